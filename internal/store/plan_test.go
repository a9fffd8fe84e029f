package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLiteQueryPlans guards the indexes the hot and the large queries
// depend on: none may scan the segments or fragments table.
var bigTables = map[string]bool{"segments": true, "s": true, "fragments": true, "k": true}

func TestSQLiteQueryPlans(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "plan.db"))
	tests := []struct {
		name  string
		query string
		args  []any
		want  string // an index the plan must use
	}{
		{"segments in range", `SELECT ` + segmentColsS + ` ` + sqlSegmentsInRange, []any{1, 2, 3}, "segments_camera_"},
		{"last segment", sqlLastSegment, []any{1}, "segments_camera_start"},
		{"fragments in range", sqlFragmentsInRange, []any{1, 2, 3}, "fragments_camera_start"},
		{"segment fragments", sqlSegmentFragments, []any{1}, "fragments_segment"},
		{"expired segments", `SELECT ` + segmentColsS + ` ` + sqlExpiredSegments, []any{1, 2}, "segments_camera_end"},
		{"oldest segments", `SELECT ` + segmentColsS + ` ` + sqlOldestSegments, []any{1, "d", 3}, "segments_storage_start"},
		{"open segments", `SELECT id FROM segments s WHERE s.open ORDER BY s.id`, nil, "segments_open"},
		{"storage usage", sqlStorageUsage, []any{"d"}, "segments_storage_start"},
		{"insert fragments", batchSQL(dialectSQLite, stmtKey{kindInsertFragments, 1}), []any{1, 2, 3, 4, 5, 6, 7, true}, "PRIMARY KEY"},
		{"update segments", batchSQL(dialectSQLite, stmtKey{kindUpdateSegments, 1}), []any{1, 2, 3, true}, "PRIMARY KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.rdb.Query("EXPLAIN QUERY PLAN "+tt.query, tt.args...)
			must(t, err)
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				must(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			must(t, rows.Err())
			all := strings.Join(plan, "\n")
			for _, line := range plan {
				// SCAN, even through an index, visits every row; only the
				// partial index of open segments is small enough for that.
				f := strings.Fields(line)
				if len(f) >= 2 && f[0] == "SCAN" && bigTables[f[1]] && !strings.Contains(line, "segments_open") {
					t.Errorf("plan scans a table: got\n%s\nwant SEARCH on %s", all, f[1])
				}
			}
			if !strings.Contains(all, tt.want) {
				t.Errorf("plan: got\n%s\nwant it to use %q", all, tt.want)
			}
		})
	}
}
