// Package localtime is how Vigil shows a time to a person: in one display
// zone, by default Europe/London (GMT in winter, BST in summer), because
// witness statements and the police work in local time. The machine's
// records stay in UTC; what a person reads carries the zone's
// abbreviation and, on hover, the UTC instant, and what a file name or a
// manifest carries has its offset, so the hour that happens twice each
// October is never ambiguous.
package localtime

import (
	// The tz database is embedded, so a machine without a zoneinfo
	// folder (a minimal container) still knows when BST begins.
	_ "time/tzdata"

	"fmt"
	"html/template"
	"time"
)

// Default is the display zone when none is configured.
const Default = "Europe/London"

// Load is the zone named (an IANA name such as "Europe/London"); empty is
// Default.
func Load(name string) (*time.Location, error) {
	if name == "" {
		name = Default
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// London is Europe/London, which the embedded database always has.
func London() *time.Location {
	loc, err := Load(Default)
	if err != nil {
		panic(err)
	}
	return loc
}

// Layout is how a person reads a time: "21 Nov 2026 10:00:05 GMT".
const Layout = "2 Jan 2006 15:04:05 MST"

// utcLayout is the same time as UTC, for the hover text.
const utcLayout = "2 Jan 2006 15:04:05 UTC"

// Format is t in loc as a person reads it, with the zone's abbreviation
// (GMT or BST).
func Format(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(Layout)
}

// FormatUTC is t in UTC as a person reads it.
func FormatUTC(t time.Time) string { return t.UTC().Format(utcLayout) }

// HTML is t in loc inside a <time> element whose datetime is the RFC 3339
// instant in UTC and whose title is the same time in UTC, shown on hover.
func HTML(t time.Time, loc *time.Location) template.HTML {
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		template.HTMLEscapeString(t.UTC().Format(time.RFC3339)),
		template.HTMLEscapeString(FormatUTC(t)),
		template.HTMLEscapeString(Format(t, loc))))
}

// RFC3339 is t in loc as RFC 3339 with its offset
// ("2026-07-01T10:00:00+01:00"): what a manifest carries.
func RFC3339(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}

// Stamp is t in loc for a file name: no colons (Windows refuses them),
// and the offset, so the two 01:30s of the autumn change are two names:
// "2026-07-01T10-00-00+0100".
func Stamp(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02T15-04-05-0700")
}

// ExportName is the file name of a camera's footage from start to end:
// "camera-3_2026-07-01T10-00-00+0100_to_2026-07-01T10-05-00+0100.mp4".
func ExportName(camera int64, start, end time.Time, loc *time.Location) string {
	return fmt.Sprintf("camera-%d_%s_to_%s.mp4", camera, Stamp(start, loc), Stamp(end, loc))
}
