//go:build unix

package app

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/localtime"
)

// TestBrowserLocalTime: in a real Chromium whose own zone is New York,
// the console shows times in the display zone (Europe/London, GMT or BST)
// with the UTC time on hover: the audit page's server-rendered times, the
// header clock, Playback's instant, and Playback's go-to time read as
// London time (the autumn hour that happens twice taken the first time).
func TestBrowserLocalTime(t *testing.T) {
	node, e2e := needBrowser(t)

	h := start(t, harnessOptions{})
	summer := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	cfg := map[string]any{"base": h.base, "username": "admin", "password": "correct horse battery staple", "t": summer.UnixMilli()}
	type shown struct{ Text, Title, Datetime, Input string }
	var got struct {
		scriptResult
		Audit   []shown `json:"audit"`
		Clock   shown   `json:"clock"`
		ClockAt int64   `json:"clockAt"`
		Opened  shown   `json:"opened"`
		Goto    []shown `json:"goto"`
	}
	runScript(t, node, e2e, "localtime.mjs", cfg, &got)
	lon := localtime.London()

	// The server's pages: each time in London, its UTC on hover.
	if len(got.Audit) == 0 {
		t.Errorf("audit page: got no <time> elements, want the records' times")
	}
	for _, a := range got.Audit {
		at, err := time.Parse(time.RFC3339, a.Datetime)
		if err != nil || !strings.HasSuffix(a.Datetime, "Z") {
			t.Errorf("audit <time datetime=%q>: got %v, want an RFC 3339 instant in UTC", a.Datetime, err)
			continue
		}
		if want := localtime.Format(at, lon); a.Text != want {
			t.Errorf("audit time %s: got %q, want %q", a.Datetime, a.Text, want)
		}
		if want := localtime.FormatUTC(at); a.Title != want {
			t.Errorf("audit time %s: got title %q, want %q", a.Datetime, a.Title, want)
		}
	}

	// The header clock: the time now in London, with its abbreviation.
	now := time.UnixMilli(got.ClockAt)
	abbr, _ := now.In(lon).Zone()
	if !strings.HasSuffix(got.Clock.Text, " "+abbr) || !strings.HasSuffix(got.Clock.Title, " UTC") {
		t.Errorf("clock: got %q (title %q), want London time ending %s, UTC on hover", got.Clock.Text, got.Clock.Title, abbr)
	}

	// Playback, whatever the browser's own zone.
	for _, tt := range []struct {
		what      string
		got       shown
		text, utc string
	}{
		{"opened at a summer instant", got.Opened, "1 Jul 2026 10:00:00.000 BST", "1 Jul 2026 09:00:00.000 UTC"},
		{"go to a winter time", nth(got.Goto, 0), "15 Jan 2026 10:00:00.000 GMT", "15 Jan 2026 10:00:00.000 UTC"},
		{"go to a summer time", nth(got.Goto, 1), "1 Jul 2026 10:00:00.000 BST", "1 Jul 2026 09:00:00.000 UTC"},
		{"go to the autumn hour that happens twice", nth(got.Goto, 2), "25 Oct 2026 01:30:00.000 BST", "25 Oct 2026 00:30:00.000 UTC"},
	} {
		if tt.got.Text != tt.text || tt.got.Title != tt.utc {
			t.Errorf("playback, %s: got %q (title %q), want %q (title %q)", tt.what, tt.got.Text, tt.got.Title, tt.text, tt.utc)
		}
	}
}

// nth is s[i], or nothing when the script stopped short of it.
func nth[T any](s []T, i int) T {
	var zero T
	if i < len(s) {
		return s[i]
	}
	return zero
}
