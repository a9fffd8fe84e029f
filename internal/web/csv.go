package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/internal/spreadsheet"
)

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// writeCSV sends rows as a CSV download. Cells a spreadsheet would take
// for a formula are quoted with a leading apostrophe, so a camera named
// "=HYPERLINK(...)" stays text.
func writeCSV(w http.ResponseWriter, name string, rows [][]string) error {
	csvHeaders(w, name)
	cw := csv.NewWriter(w)
	for _, row := range rows {
		for i, c := range row {
			// A number stays a number: "-5.00" is no formula.
			if t := spreadsheet.Text(c); t != c {
				if _, err := strconv.ParseFloat(c, 64); err != nil {
					row[i] = t
				}
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// sendCSV sends what write makes as a CSV download, all or nothing: a
// failure part-way is an error answer, not a truncated file.
func sendCSV(w http.ResponseWriter, name string, write func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	csvHeaders(w, name)
	_, err := w.Write(b.Bytes())
	return err
}

// csvHeaders makes the answer a CSV download called name, which no cache
// keeps: the figures, faults and names in it are not for a shared cache.
func csvHeaders(w http.ResponseWriter, name string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	h.Set("Cache-Control", "no-store")
}
