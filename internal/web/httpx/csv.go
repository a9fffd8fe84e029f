package httpx

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/internal/spreadsheet"
)

// CSVTime is an instant as a CSV cell: RFC 3339 in UTC, empty for none.
func CSVTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// WriteCSV sends rows as a CSV download. Cells a spreadsheet would take
// for a formula are quoted with a leading apostrophe, so a camera named
// "=HYPERLINK(...)" stays text.
func WriteCSV(w http.ResponseWriter, name string, rows [][]string) error {
	CSVHeaders(w, name)
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

// SendCSV sends what write makes as a CSV download, all or nothing: a
// failure part-way is an error answer, not a truncated file.
func SendCSV(w http.ResponseWriter, name string, write func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	CSVHeaders(w, name)
	_, err := w.Write(b.Bytes())
	return err
}

// CSVHeaders makes the answer a CSV download called name, which no cache
// keeps: the figures, faults and names in it are not for a shared cache.
func CSVHeaders(w http.ResponseWriter, name string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	h.Set("Cache-Control", "no-store")
}
