package localtime

import (
	"strings"
	"testing"
	"time"
)

// In 2026 BST begins at 01:00 UTC on 29 March and ends at 01:00 UTC on
// 25 October; the hour from 01:00 to 02:00 local happens twice that day.
func TestFormat(t *testing.T) {
	lon := London()
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"winter", time.Date(2026, 11, 21, 10, 0, 5, 0, time.UTC), "21 Nov 2026 10:00:05 GMT"},
		{"summer", time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), "1 Jul 2026 10:00:00 BST"},
		{"spring, before the change", time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC), "29 Mar 2026 00:59:59 GMT"},
		{"spring, after the change", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), "29 Mar 2026 02:00:00 BST"},
		{"autumn, the first 01:30", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "25 Oct 2026 01:30:00 BST"},
		{"autumn, the second 01:30", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "25 Oct 2026 01:30:00 GMT"},
	}
	for _, tt := range tests {
		if got := Format(tt.at, lon); got != tt.want {
			t.Errorf("%s: Format got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHTML(t *testing.T) {
	lon := London()
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), `<time datetime="2026-07-01T09:00:00Z" title="1 Jul 2026 09:00:00 UTC">1 Jul 2026 10:00:00 BST</time>`},
		{time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("x", 3600)), `<time datetime="2026-01-05T08:00:00Z" title="5 Jan 2026 08:00:00 UTC">5 Jan 2026 08:00:00 GMT</time>`},
	}
	for _, tt := range tests {
		if got := string(HTML(tt.at, lon)); got != tt.want {
			t.Errorf("HTML(%v) got %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestRFC3339(t *testing.T) {
	lon := London()
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), "2026-07-01T10:00:00+01:00"},
		{time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), "2026-12-01T09:00:00Z"},
	}
	for _, tt := range tests {
		if got := RFC3339(tt.at, lon); got != tt.want {
			t.Errorf("RFC3339(%v) got %q, want %q", tt.at, got, tt.want)
		}
		// What Vigil writes with an offset, its API reads back.
		back, err := time.Parse(time.RFC3339Nano, RFC3339(tt.at, lon))
		if err != nil || !back.Equal(tt.at) {
			t.Errorf("parse %q: got %v %v, want %v", RFC3339(tt.at, lon), back, err, tt.at)
		}
	}
}

func TestExportName(t *testing.T) {
	lon := London()
	tests := []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"summer", time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 9, 5, 0, 0, time.UTC),
			"camera-3_2026-07-01T10-00-00+0100_to_2026-07-01T10-05-00+0100.mp4"},
		{"winter", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 9, 5, 0, 0, time.UTC),
			"camera-3_2026-12-01T09-00-00+0000_to_2026-12-01T09-05-00+0000.mp4"},
		{"spring forward", time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC),
			"camera-3_2026-03-29T00-30-00+0000_to_2026-03-29T02-30-00+0100.mp4"},
		{"the autumn hour, first time", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC),
			"camera-3_2026-10-25T01-30-00+0100_to_2026-10-25T01-45-00+0100.mp4"},
		{"the autumn hour, second time", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 45, 0, 0, time.UTC),
			"camera-3_2026-10-25T01-30-00+0000_to_2026-10-25T01-45-00+0000.mp4"},
	}
	for _, tt := range tests {
		got := ExportName(3, tt.start, tt.end, lon)
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
		if strings.ContainsAny(got, `:/\`) {
			t.Errorf("%s: got %q, want no colon or slash", tt.name, got)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"", "Europe/London", true},
		{"Europe/London", "Europe/London", true},
		{"UTC", "UTC", true},
		{"Europe/Nowhere", "", false},
	}
	for _, tt := range tests {
		loc, err := Load(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("Load(%q): got err %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if err == nil && loc.String() != tt.want {
			t.Errorf("Load(%q): got %q, want %q", tt.name, loc, tt.want)
		}
	}
}
