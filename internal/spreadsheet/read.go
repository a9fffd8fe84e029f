package spreadsheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Record is one row of a CSV file and the number a spreadsheet shows
// for it: the header is row 1. A blank line counts as a row, since a
// spreadsheet opening the file shows it as an empty one; a quoted field
// running over several lines does not add rows, since the spreadsheet
// shows it as one cell.
type Record struct {
	Row    int
	Fields []string
}

// RowError is a refusal of an import because of one row, carrying the
// row's number as a spreadsheet shows it so that whoever fixes the file
// finds it.
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// ReadAll reads every record of a CSV file (a leading byte-order mark,
// which spreadsheets write, is dropped), each with its row. Records may
// have any number of fields. A file that is not CSV is a *RowError
// naming the row where reading failed.
func ReadAll(r io.Reader) ([]Record, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	// Spreadsheets and people write "a, b" and "a, \"1,000\"": a space
	// after a comma is never part of a field.
	cr.TrimLeadingSpace = true
	var out []Record
	// row and end are the previous record's row and the file line it
	// ended on; the lines between it and the next record's first line
	// are blank lines, which csv.Reader skips and a spreadsheet shows.
	row, end := 0, 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &RowError{Row: row + max(pe.StartLine-end, 1), Err: pe.Err}
			}
			return nil, err
		}
		start, _ := cr.FieldPos(0)
		row += max(start-end, 1)
		last, _ := cr.FieldPos(len(rec) - 1)
		end = last + strings.Count(rec[len(rec)-1], "\n")
		out = append(out, Record{Row: row, Fields: rec})
	}
}
