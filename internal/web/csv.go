package web

import (
	"bytes"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The CSV downloads live in httpx, which the console's pages share; these
// names are the bridge that leaves web's files as they are (see Error).

func csvTime(t *time.Time) string { return httpx.CSVTime(t) }

func writeCSV(w http.ResponseWriter, name string, rows [][]string) error {
	return httpx.WriteCSV(w, name, rows)
}

func sendCSV(w http.ResponseWriter, name string, write func(*bytes.Buffer) error) error {
	return httpx.SendCSV(w, name, write)
}

func csvHeaders(w http.ResponseWriter, name string) { httpx.CSVHeaders(w, name) }
