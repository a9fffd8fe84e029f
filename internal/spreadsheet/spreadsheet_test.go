package spreadsheet

import "testing"

func TestText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"Market Square", "Market Square"},
		{"=HYPERLINK(\"http://example.invalid\")", "'=HYPERLINK(\"http://example.invalid\")"},
		{"+44 1438", "'+44 1438"},
		{"-250170.00", "'-250170.00"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
