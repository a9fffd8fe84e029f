package cameras

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// ImportColumns are a camera import file's columns, in its header row in
// any order; only name and url are required.
var ImportColumns = []string{"name", "url", "username", "password", "organisation", "retention_days", "area", "site", "latitude", "longitude"}

// MaxImportRows bounds an import: one change holds every camera of it.
const MaxImportRows = 2000

// Import adds every camera of a CSV file (ImportColumns, a header row
// first), all or none: each row is checked as a single create would be
// (its organisation by name, the default when empty, which by must manage
// cameras in), and the first refused one refuses the file, naming its
// row (the header is row 1). The cameras are added in one change, each
// with its audit record and installation, then started.
func (s *Service) Import(ctx context.Context, by Caller, file io.Reader) ([]Camera, error) {
	rows, err := readImport(file)
	if err != nil {
		return nil, err
	}
	cams := make([]Camera, 0, len(rows))
	names := map[string]int{} // organisation and name -> row
	for _, r := range rows {
		org, err := s.Owner(ctx, by, Joins{Name: r.organisation})
		if err != nil {
			return nil, rowError(r.line, err)
		}
		c, err := s.prepare(ctx, by, org.ID, r.in)
		if err != nil {
			return nil, rowError(r.line, err)
		}
		key := fmt.Sprintf("%d\x00%s", c.OrganisationID, c.Name)
		if first, ok := names[key]; ok {
			return nil, problem.Invalidf("row %d: camera %q is also on row %d", r.line, c.Name, first)
		}
		names[key] = r.line
		cams = append(cams, c)
	}
	err = s.change(ctx, func(tx Repo) error {
		for i := range cams {
			if err := s.insert(ctx, tx, by, &cams[i], nil); err != nil {
				return rowError(rows[i].line, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range cams {
		s.start(ctx, c)
	}
	return cams, nil
}

// importRow is one camera of an import file: its line, its owner's name
// and what it asks.
type importRow struct {
	line         int
	organisation string
	in           Input
}

// rowError names the row a refusal is about, keeping its kind.
func rowError(line int, err error) error {
	var p *problem.Problem
	if errors.As(err, &p) {
		return problem.New(p.Kind, fmt.Sprintf("row %d: %s", line, p.Msg), err)
	}
	return fmt.Errorf("row %d: %w", line, err)
}

// readImport reads an import file's rows; a file that is not one is
// problem.ErrInvalid saying where.
func readImport(file io.Reader) ([]importRow, error) {
	cr := csv.NewReader(file)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return nil, problem.Invalidf("the file is empty: give a header row (%s) and a row for each camera", strings.Join(ImportColumns, ","))
	}
	if err != nil {
		return nil, problem.Invalidf("the file is not CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, c := range ImportColumns {
			known = known || c == h
		}
		if !known {
			return nil, problem.Invalidf("row 1: unknown column %q; the columns are %s", h, strings.Join(ImportColumns, ","))
		}
		col[h] = i
	}
	for _, need := range []string{"name", "url"} {
		if _, ok := col[need]; !ok {
			return nil, problem.Invalidf("row 1: the header has no %q column", need)
		}
	}
	var rows []importRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, problem.Invalidf("row %d: %v", line, err)
		}
		if len(rows) == MaxImportRows {
			return nil, problem.Invalidf("a file holds at most %d cameras", MaxImportRows)
		}
		r, err := importRowOf(line, rec, col)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, problem.Invalidf("the file has no cameras, only its header")
	}
	return rows, nil
}

// importRowOf reads one record by the header's columns.
func importRowOf(line int, rec []string, col map[string]int) (importRow, error) {
	get := func(name string) (string, bool) {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return "", false
		}
		return strings.TrimSpace(rec[i]), true
	}
	r := importRow{line: line}
	name, _ := get("name")
	url, _ := get("url")
	r.in.Name, r.in.URL = &name, &url
	r.organisation, _ = get("organisation")
	for _, f := range []struct {
		col string
		dst **string
	}{{"username", &r.in.Username}, {"password", &r.in.Password}, {"area", &r.in.Area}, {"site", &r.in.Site}} {
		if v, ok := get(f.col); ok && v != "" {
			*f.dst = &v
		}
	}
	if v, ok := get("retention_days"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return r, problem.Invalidf("row %d: retention_days %q is not a whole number of days", line, v)
		}
		r.in.RetentionDays = &n
	}
	for _, f := range []struct {
		col string
		dst *Optional
	}{{"latitude", &r.in.Latitude}, {"longitude", &r.in.Longitude}} {
		if v, ok := get(f.col); ok && v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return r, problem.Invalidf("row %d: %s %q is not a number of degrees", line, f.col, v)
			}
			*f.dst = Optional{Set: true, V: &x}
		}
	}
	return r, nil
}
