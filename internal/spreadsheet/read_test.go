package spreadsheet

import (
	"errors"
	"strings"
	"testing"
)

// TestReadAllRows: each record is numbered as a spreadsheet opening the
// file numbers it, whatever quoted newlines and blank lines it holds.
func TestReadAllRows(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []int
	}{
		{"plain", "a,b\n1,2\n3,4\n", []int{1, 2, 3}},
		{"byte-order mark and CRLF", "\xef\xbb\xbfa,b\r\n1,2\r\n3,4\r\n", []int{1, 2, 3}},
		{"quoted newlines", "a,b\n\"one\ntwo\nthree\",2\n3,\"x\r\ny\"\n5,6\n", []int{1, 2, 3, 4}},
		{"blank lines", "a,b\n\n1,2\n\n\n3,4", []int{1, 3, 6}},
		{"quoted newline then blank line", "a\n\"x\ny\"\n\nz\n", []int{1, 2, 4}},
	} {
		recs, err := ReadAll(strings.NewReader(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []int
		for _, r := range recs {
			got = append(got, r.Row)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: got rows %v, want %v", tc.name, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got rows %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
	_, err := ReadAll(strings.NewReader("a,b\n\"x\ny\",1\n3,\"unclosed\n"))
	var re *RowError
	if !errors.As(err, &re) || re.Row != 3 {
		t.Errorf("a file broken on its third row: got %v, want a RowError naming row 3", err)
	}
}
