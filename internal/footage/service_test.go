package footage_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// failingLog is the store bound to a change, whose Log always fails.
type failingLog struct{ *store.Store }

func (failingLog) Log(auditlog.Entry) error { return errors.New("the outbox cannot be written") }

// changeOf runs a change in one transaction of st, whose records wait in
// its outbox; with fail, adding a record fails.
func changeOf(st *store.Store, fail *bool) func(context.Context, func(footage.Repo) error) error {
	return func(ctx context.Context, fn func(footage.Repo) error) error {
		_, err := st.Update(ctx, func(tx *store.Store) error {
			if fail != nil && *fail {
				return fn(failingLog{tx})
			}
			return fn(tx)
		})
		return err
	}
}

// events is a trail that keeps what it is given, or refuses it.
type events struct {
	got  []auditlog.Entry
	fail bool
}

func (e *events) Append(_ context.Context, en auditlog.Entry) error {
	if e.fail {
		return errors.New("the trail's disk is full")
	}
	e.got = append(e.got, en)
	return nil
}

// clips builds a clip of whatever range is asked, or fails with err.
type clips struct {
	err   error
	built int
}

func (c *clips) Build(_ context.Context, _ int64, start, end time.Time) (*playback.Clip, error) {
	if c.err != nil {
		return nil, c.err
	}
	c.built++
	return &playback.Clip{Start: start, End: end}, nil
}

// pending is the approvals service as far as footage uses it: it keeps
// each request.
type pending struct{ got []approvals.Approval }

func (p *pending) Request(_ context.Context, by auditlog.Actor, ap approvals.Approval, _ auditlog.Entry) (approvals.Approval, error) {
	ap.ID, ap.RequestedBy, ap.State = int64(len(p.got)+1), by.UserID, approvals.Pending
	p.got = append(p.got, ap)
	return ap, nil
}

// noFiles removes no segment files: the tests' segments have none.
type noFiles struct{}

func (noFiles) Remove(segstore.Ref) error { return nil }

// world is a partnership with two councils, a camera of the first, and
// people with different roles in each.
type world struct {
	st     *store.Store
	cam    cameras.Camera
	snap   *rights.Snapshot
	harrow int64
	brent  int64
	orgs   []rights.Org
}

// The people of world, by user id.
const (
	manager  = 1 // CCTV manager of Harrow: everything
	officer  = 2 // partner officer of Harrow: plays back and exports, no live view
	stranger = 3 // operator of Brent: sees nothing of Harrow's
	admin    = 4 // administrator of Harrow: manages cameras, sees no footage
	operator = 5 // operator of Harrow: plays back, no export
)

func newWorld(t *testing.T, st *store.Store, fourEyes ...string) world {
	ctx := t.Context()
	org := func(name, kind string, parent int64) access.Organisation {
		o := access.Organisation{Name: name, Kind: kind, ParentID: parent}
		must(t, st.CreateOrganisation(ctx, &o))
		return o
	}
	top := org("Partnership", "partnership", 0)
	harrow := org("Harrow", "council", top.ID)
	brent := org("Brent", "council", top.ID)
	cam := cameras.Camera{OrganisationID: harrow.ID, Name: "High Street", URL: "rtsp://127.0.0.1/x", Transport: "tcp", RetentionDays: 31, Enabled: true}
	must(t, st.CreateCamera(ctx, &cam))
	var ro []rights.Org
	for _, o := range []access.Organisation{top, harrow, brent} {
		ro = append(ro, rights.Org{ID: o.ID, Parent: o.ParentID, Name: o.Name, Kind: o.Kind})
	}
	w := world{st: st, cam: cam, harrow: harrow.ID, brent: brent.ID, orgs: ro}
	return w.fourEyes(fourEyes...)
}

// fourEyes is w whose camera's council asks a second person for acts.
func (w world) fourEyes(acts ...string) world {
	w.snap = rights.NewSnapshot(rights.Data{Orgs: w.orgs, Grants: map[int64][]rights.Grant{
		manager:  {{Role: rights.CCTVManager}},
		officer:  {{Role: rights.PartnerOfficer}},
		stranger: {{Role: rights.Operator}},
		admin:    {{Role: rights.Administrator}},
		operator: {{Role: rights.Operator}},
	}, FourEyes: map[int64][]string{w.harrow: acts}})
	return w
}

func (w world) caller(user int64) footage.Caller {
	org := w.harrow
	if user == stranger {
		org = w.brent
	}
	return footage.Caller{Actor: auditlog.Actor{UserID: user, Username: "user"}, P: w.snap.Principal(user, org), Snap: w.snap}
}

// segment records a closed segment of the camera in [start, end).
func (w world) segment(t *testing.T, start, end time.Time, open bool) segindex.Segment {
	sg := segindex.Segment{CameraID: w.cam.ID, Storage: "a", Path: start.Format("150405.000") + ".mp4", Start: start, End: end,
		Size: 1000, Codec: "avc1.4d401e", Width: 1280, Height: 720, Open: open}
	must(t, w.st.CreateSegment(t.Context(), &sg))
	return sg
}

// kind names the problem kind of err, or "nil", or "other".
func kind(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{{problem.ErrNotFound, "not found"}, {problem.ErrForbidden, "forbidden"}, {problem.ErrInvalid, "invalid"},
		{problem.ErrConflict, "conflict"}, {problem.ErrUnavailable, "unavailable"}} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	if err == nil {
		return "nil"
	}
	return "other: " + err.Error()
}

// TestWhoMaySee, on both databases: a camera outside what the caller
// sees is "no camera N", like one that does not exist; one they see but
// may not do this to is forbidden, with the reason.
func TestWhoMaySee(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		w := newWorld(t, db.Store)
		svc := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{})
		for _, tc := range []struct {
			name   string
			user   int64
			camera int64
			act    rights.Action
			want   string
		}{
			{"the manager plays back", manager, w.cam.ID, rights.PlayBack, "nil"},
			{"the officer exports", officer, w.cam.ID, rights.Export, "nil"},
			{"a camera that does not exist", manager, w.cam.ID + 100, rights.PlayBack, "not found"},
			{"another council's camera", stranger, w.cam.ID, rights.PlayBack, "not found"},
			{"an administrator plays back", admin, w.cam.ID, rights.PlayBack, "forbidden"},
			{"an operator exports", operator, w.cam.ID, rights.Export, "forbidden"},
			{"an operator deletes", operator, w.cam.ID, rights.ManageCameras, "forbidden"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.Camera(t.Context(), w.caller(tc.user), tc.camera, tc.act)
				if got := kind(err); got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
				if tc.want == "not found" && problem.Message(err, "") != "no camera "+itoa(tc.camera) {
					t.Errorf("got message %q, want %q", problem.Message(err, ""), "no camera "+itoa(tc.camera))
				}
			})
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRecorded, on both databases: the range is at most 31 days; spans
// join segments that meet, and the holes between them carry the
// recorded gap's reason or "no footage recorded".
func TestRecorded(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		w := newWorld(t, db.Store)
		svc := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{})
		t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		w.segment(t, t0, t0.Add(time.Minute), false)
		w.segment(t, t0.Add(time.Minute+100*time.Millisecond), t0.Add(2*time.Minute), false) // joins the first
		w.segment(t, t0.Add(5*time.Minute), t0.Add(6*time.Minute), false)
		g := segindex.Gap{CameraID: w.cam.ID, Start: t0.Add(2 * time.Minute), End: t0.Add(3 * time.Minute), Reason: "camera offline"}
		must(t, db.Store.AddGap(t.Context(), &g))

		rec, err := svc.Recorded(t.Context(), w.caller(officer), w.cam, t0, t0.Add(10*time.Minute))
		must(t, err)
		wantSpans := []footage.Span{
			{Start: t0, End: t0.Add(2 * time.Minute), Codec: "avc1.4d401e", Width: 1280, Height: 720},
			{Start: t0.Add(5 * time.Minute), End: t0.Add(6 * time.Minute), Codec: "avc1.4d401e", Width: 1280, Height: 720},
		}
		if len(rec.Spans) != len(wantSpans) {
			t.Fatalf("got spans %+v, want %+v", rec.Spans, wantSpans)
		}
		for i := range wantSpans {
			if !rec.Spans[i].Start.Equal(wantSpans[i].Start) || !rec.Spans[i].End.Equal(wantSpans[i].End) || rec.Spans[i].Codec != wantSpans[i].Codec {
				t.Errorf("span %d: got %+v, want %+v", i, rec.Spans[i], wantSpans[i])
			}
		}
		wantGaps := []footage.Gap{
			{Start: t0.Add(2 * time.Minute), End: t0.Add(3 * time.Minute), Reason: "camera offline"},
			{Start: t0.Add(3 * time.Minute), End: t0.Add(5 * time.Minute), Reason: footage.UnknownGap},
		}
		if len(rec.Gaps) != len(wantGaps) {
			t.Fatalf("got gaps %+v, want %+v", rec.Gaps, wantGaps)
		}
		for i := range wantGaps {
			if !rec.Gaps[i].Start.Equal(wantGaps[i].Start) || !rec.Gaps[i].End.Equal(wantGaps[i].End) || rec.Gaps[i].Reason != wantGaps[i].Reason {
				t.Errorf("gap %d: got %+v, want %+v", i, rec.Gaps[i], wantGaps[i])
			}
		}

		for _, tc := range []struct {
			name       string
			user       int64
			start, end time.Time
			want       string
		}{
			{"31 days", officer, t0, t0.Add(footage.MaxListRange), "nil"},
			{"over 31 days", officer, t0, t0.Add(footage.MaxListRange + time.Second), "invalid"},
			{"another council's camera", stranger, t0, t0.Add(time.Hour), "not found"},
			{"no right to play back", admin, t0, t0.Add(time.Hour), "forbidden"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.Recorded(t.Context(), w.caller(tc.user), w.cam, tc.start, tc.end)
				if got := kind(err); got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			})
		}
	})
}

// TestFootage, on both databases: who may play back and export what,
// the playback delay for those who may not view the camera live, the
// range's limits, and the record written before footage is served (and
// of a request refused once the caller may see the camera).
func TestFootage(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		base := newWorld(t, db.Store)
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		const delay = 10 * time.Minute
		ago := func(d time.Duration) time.Time { return now.Add(-d) }
		for _, tc := range []struct {
			name       string
			user       int64
			req        footage.Request
			fourEyes   string
			buildErr   error
			short      bool // the clip ends 10s short of the range: footage still being recorded
			trailFails bool
			want       string
			wantUntil  time.Time
			wantRecord string // the record's action, "" for none
			wantServed bool   // the record has the range served
			wantInMsg  string
		}{
			{name: "old footage without the live right", user: officer, req: footage.Request{Start: ago(30 * time.Minute), End: ago(20 * time.Minute)},
				want: "nil", wantRecord: "footage.play", wantServed: true},
			{name: "into the delay without the live right: cut at the delay", user: officer, req: footage.Request{Start: ago(30 * time.Minute), End: ago(5 * time.Minute)},
				want: "nil", wantUntil: ago(delay)},
			{name: "all within the delay without the live right", user: officer, req: footage.Request{Start: ago(5 * time.Minute), End: ago(time.Minute)},
				want: "forbidden", wantRecord: "footage.play", wantInMsg: "counts as live video"},
			{name: "within the delay with the live right", user: manager, req: footage.Request{Start: ago(5 * time.Minute), End: ago(time.Minute)},
				want: "nil", wantRecord: "footage.play", wantServed: true},
			{name: "footage still being recorded: cut at what there is", user: manager, req: footage.Request{Start: ago(2 * time.Minute), End: now}, short: true,
				want: "nil", wantUntil: ago(10 * time.Second)},
			{name: "24 hours", user: manager, req: footage.Request{Start: ago(25 * time.Hour), End: ago(time.Hour)},
				want: "nil", wantRecord: "footage.play", wantServed: true},
			{name: "over 24 hours", user: manager, req: footage.Request{Start: ago(25 * time.Hour), End: ago(time.Hour - time.Second)},
				want: "invalid"},
			{name: "a range in the future", user: manager, req: footage.Request{Start: now.Add(time.Minute), End: now.Add(2 * time.Minute)},
				want: "invalid", wantRecord: "footage.play", wantInMsg: "starts in the future"},
			{name: "no footage", user: manager, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute)}, buildErr: playback.ErrNoFootage,
				want: "not found", wantRecord: "footage.play", wantInMsg: "there is no footage from 2026-11-21T11:00:00Z to 2026-11-21T11:10:00Z: no footage recorded"},
			{name: "a change of codec", user: manager, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute)}, buildErr: &playback.CodecChangeError{At: ago(55 * time.Minute)},
				want: "conflict", wantRecord: "footage.play", wantInMsg: "codec settings change"},
			{name: "the trail cannot be written", user: manager, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute)}, trailFails: true,
				want: "unavailable"},
			{name: "another council's camera", user: stranger, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute)},
				want: "not found"},
			{name: "no right to play back", user: admin, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute)},
				want: "forbidden"},
			{name: "an export with its reason", user: officer, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute), Export: true, Reason: "PC 1234"},
				want: "nil", wantRecord: "footage.export", wantServed: true},
			{name: "an export without a reason", user: officer, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute), Export: true, Reason: "  "},
				want: "invalid", wantInMsg: "give the reason for the export"},
			{name: "an export's reason over 200 characters", user: officer, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute), Export: true, Reason: strings.Repeat("x", 201)},
				want: "invalid"},
			{name: "an export without the export right", user: operator, req: footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute), Export: true},
				want: "forbidden"},
			{name: "an export under four eyes without an approval", user: officer, fourEyes: rights.FourEyesExport,
				req:  footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute), Export: true, Reason: "PC 1234"},
				want: "forbidden", wantInMsg: "needs a second person's approval: Harrow asks for it"},
			{name: "an export under four eyes naming no request", user: officer, fourEyes: rights.FourEyesExport,
				req:  footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute), Export: true, Reason: "PC 1234", Approval: "x"},
				want: "invalid"},
			{name: "an export under four eyes naming a request that is not there", user: officer, fourEyes: rights.FourEyesExport,
				req:  footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute), Export: true, Reason: "PC 1234", Approval: "99"},
				want: "forbidden", wantInMsg: "request 99 is not your export of this camera"},
			{name: "playback under four eyes for exports", user: officer, fourEyes: rights.FourEyesExport,
				req:  footage.Request{Start: ago(time.Hour), End: ago(50 * time.Minute)},
				want: "nil", wantRecord: "footage.play", wantServed: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := base.fourEyes(tc.fourEyes)
				ev := &events{fail: tc.trailFails}
				cl := &clips{err: tc.buildErr}
				var c footage.Clips = cl
				if tc.short {
					c = shortClips{}
				}
				svc := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{Trail: ev, Clips: c, PlaybackDelay: delay, Now: func() time.Time { return now }})
				f, err := svc.Footage(t.Context(), w.caller(tc.user), w.cam, tc.req)
				if got := kind(err); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
				if !f.Until.Equal(tc.wantUntil) {
					t.Errorf("got until %v, want %v", f.Until, tc.wantUntil)
				}
				if (f.Clip != nil) != (tc.want == "nil" && tc.wantUntil.IsZero()) {
					t.Errorf("got clip %v, want one only when served", f.Clip)
				}
				if msg := problem.Message(err, ""); !strings.Contains(msg, tc.wantInMsg) {
					t.Errorf("got message %q, want it to contain %q", msg, tc.wantInMsg)
				}
				if tc.want == "invalid" && strings.Contains(tc.wantInMsg, "future") != errors.Is(err, footage.ErrNotYet) {
					t.Errorf("got errors.Is(ErrNotYet) %v, want %v", errors.Is(err, footage.ErrNotYet), !errors.Is(err, footage.ErrNotYet))
				}
				if tc.wantRecord == "" {
					if len(ev.got) != 0 {
						t.Fatalf("got records %+v, want none", ev.got)
					}
					return
				}
				if len(ev.got) != 1 {
					t.Fatalf("got %d records, want 1", len(ev.got))
				}
				e := ev.got[0]
				if e.Action.String() != tc.wantRecord || e.CameraID != w.cam.ID || e.UserID != tc.user || !e.At.Equal(now) {
					t.Errorf("got record %+v, want %s of camera %d by user %d at %v", e, tc.wantRecord, w.cam.ID, tc.user, now)
				}
				if served := e.RangeStart != nil; served != tc.wantServed || served == strings.Contains(e.Detail, "nothing served") {
					t.Errorf("got record range %v and detail %q, want a range only when served (%v)", e.RangeStart, e.Detail, tc.wantServed)
				}
				if tc.req.Export && e.Reason != tc.req.Reason {
					t.Errorf("got reason %q, want %q", e.Reason, tc.req.Reason)
				}
			})
		}
	})
}

// shortClips builds clips that end 10s short of the range: its end is
// still being recorded.
type shortClips struct{}

func (shortClips) Build(_ context.Context, _ int64, start, end time.Time) (*playback.Clip, error) {
	return &playback.Clip{Start: start, End: end.Add(-10 * time.Second)}, nil
}

// TestRequestDeletion, on both databases with recording's eraser: who may
// delete, the request's limits, the plans refused and why, a dry run, a
// deletion that waits for a second person, and one that goes at once
// with its record.
func TestRequestDeletion(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		ctx := t.Context()
		w := newWorld(t, db.Store)
		t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		now := t0.Add(24 * time.Hour)
		w.segment(t, t0, t0.Add(time.Minute), false)
		w.segment(t, t0.Add(10*time.Minute), t0.Add(11*time.Minute), true) // still being written
		w.segment(t, t0.Add(20*time.Minute), t0.Add(30*time.Minute), false)
		h := segindex.Hold{CameraID: w.cam.ID, Start: t0.Add(20 * time.Minute), End: t0.Add(25 * time.Minute), Reason: "crime 42/2026", CreatedBy: manager}
		must(t, db.Store.AddHold(ctx, &h))
		eraser := recording.NewEraser(db.Store, nil, noFiles{}, nil, slog.New(slog.DiscardHandler)) // no InTx: footage deletes in a change of its own
		ap := &pending{}
		fail := false
		svc := footage.New(db.Store, changeOf(db.Store, &fail), footage.Options{Eraser: eraser, Approvals: ap, Now: func() time.Time { return now }})
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

		for _, tc := range []struct {
			name      string
			user      int64
			in        footage.DeletionRequest
			want      string
			wantInMsg string
		}{
			{"under an evidence hold", manager, footage.DeletionRequest{Start: at(20), End: at(30), Reason: "DSR-12"},
				"conflict", "under evidence hold " + itoa(h.ID) + " (crime 42/2026"},
			{"no footage", manager, footage.DeletionRequest{Start: at(40), End: at(50), Reason: "DSR-12"},
				"conflict", "there is no footage of this camera between start and end to delete"},
			{"still being recorded", manager, footage.DeletionRequest{Start: at(10), End: at(11), Reason: "DSR-12"},
				"conflict", "nothing in this range can be deleted: " + at(10).Format(time.RFC3339) + " to " + at(11).Format(time.RFC3339) + " (still being recorded"},
			{"only part of a file", manager, footage.DeletionRequest{Start: t0.Add(30 * time.Second), End: at(5), Reason: "DSR-12"},
				"conflict", "recorded in one file with footage outside the range"},
			{"no reason", manager, footage.DeletionRequest{Start: at(0), End: at(1)},
				"invalid", "give the reason"},
			{"over 31 days", manager, footage.DeletionRequest{Start: now.Add(-32 * 24 * time.Hour), End: now.Add(-time.Hour), Reason: "DSR-12"},
				"invalid", "at most 31 days"},
			{"a range not yet ended", manager, footage.DeletionRequest{Start: now.Add(-time.Hour), End: now.Add(time.Minute), Reason: "DSR-12"},
				"invalid", "the range must have ended"},
			{"the end before the start", manager, footage.DeletionRequest{Start: at(1), End: at(0), Reason: "DSR-12"},
				"invalid", "give start and end"},
			{"by an operator", operator, footage.DeletionRequest{Start: at(0), End: at(1), Reason: "DSR-12"},
				"forbidden", ""},
			// An operator holds no right to manage any camera: refused
			// whatever the camera, which reveals nothing of it.
			{"by another council's operator", stranger, footage.DeletionRequest{Start: at(0), End: at(1), Reason: "DSR-12"},
				"forbidden", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.RequestDeletion(ctx, w.caller(tc.user), w.cam, tc.in)
				if got := kind(err); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
				if msg := problem.Message(err, ""); !strings.Contains(msg, tc.wantInMsg) {
					t.Errorf("got message %q, want it to contain %q", msg, tc.wantInMsg)
				}
			})
		}

		t.Run("without an eraser", func(t *testing.T) {
			none := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{Now: func() time.Time { return now }})
			_, err := none.RequestDeletion(ctx, w.caller(manager), w.cam, footage.DeletionRequest{Start: at(0), End: at(1), Reason: "DSR-12"})
			if got := kind(err); got != "unavailable" {
				t.Errorf("got %s, want unavailable", got)
			}
		})

		segments := func() int {
			segs, err := db.Store.SegmentsInRange(ctx, w.cam.ID, at(0), at(1))
			must(t, err)
			return len(segs)
		}
		dry, err := svc.RequestDeletion(ctx, w.caller(manager), w.cam, footage.DeletionRequest{Start: at(0), End: at(1), DryRun: true})
		must(t, err)
		if !dry.DryRun || dry.Segments != 1 || dry.Bytes != 1000 || dry.NeedsApproval || segments() != 1 {
			t.Errorf("a dry run: got %+v and %d segments left, want 1 segment of 1000 bytes to go, none gone", dry, segments())
		}

		waits, err := svc.RequestDeletion(ctx, w.fourEyes(rights.FourEyesDeletion).caller(manager), w.cam, footage.DeletionRequest{Start: at(0), End: at(1), Reason: "DSR-12"})
		must(t, err)
		if waits.Pending == nil || len(ap.got) != 1 || ap.got[0].Kind != approvals.KindDeleteFootage || ap.got[0].OrganisationID != w.harrow || segments() != 1 {
			t.Fatalf("under four eyes: got %+v, requests %+v and %d segments left, want a request of Harrow's and nothing gone", waits, ap.got, segments())
		}

		// A deletion whose record cannot be added deletes nothing: the
		// rows, their log, the gap and the record go together or not.
		fail = true
		_, err = svc.RequestDeletion(ctx, w.caller(manager), w.cam, footage.DeletionRequest{Start: at(0), End: at(1), Reason: "DSR-12"})
		fail = false
		gaps, gerr := db.Store.GapPartsInRange(ctx, w.cam.ID, at(0), at(1))
		must(t, gerr)
		if err == nil || segments() != 1 || len(gaps) != 0 {
			t.Fatalf("a deletion whose record fails: got %v, %d segments and gaps %+v left, want an error, the segment and no gap", err, segments(), gaps)
		}

		done, err := svc.RequestDeletion(ctx, w.caller(manager), w.cam, footage.DeletionRequest{Start: at(0), End: at(1), Reason: "DSR-12"})
		must(t, err)
		if done.Deleted == nil || !done.Deleted.Start.Equal(at(0)) || !done.Deleted.End.Equal(at(1)) || done.Segments != 1 || segments() != 0 {
			t.Errorf("a deletion: got %+v and %d segments left, want the minute gone", done, segments())
		}
		out, err := db.Store.OutboxAfter(ctx, 0, 10)
		must(t, err)
		if len(out) != 1 || out[0].Action != auditlog.FootageDeleted.String() || out[0].CameraID != w.cam.ID || out[0].Reason != "DSR-12" {
			t.Errorf("got records %+v, want one footage.deleted of the camera with its reason", out)
		}
		_, err = svc.RequestDeletion(ctx, w.caller(manager), w.cam, footage.DeletionRequest{Start: at(0), End: at(1), Reason: "DSR-12"})
		if kind(err) != "conflict" {
			t.Errorf("again: got %v, want a conflict: nothing left to delete", err)
		}
	})
}

// TestExportApproval, on both databases: under four eyes an export is
// served only with the caller's own approved, unexpired request of this
// camera covering the range, and its record names the approval.
func TestExportApproval(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		ctx := t.Context()
		w := newWorld(t, db.Store, rights.FourEyesExport)
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		from, to := now.Add(-2*time.Hour), now.Add(-time.Hour)
		// A request's expiry while pending is read against the store's
		// clock, so the one left waiting expires long after now.
		request := func(by int64, camera int64, decide string, expires time.Time) int64 {
			a := approvals.Approval{OrganisationID: w.harrow, Action: rights.FourEyesExport, Kind: approvals.KindExport, Summary: "export",
				Reason: "PC 1234", CameraID: camera, RangeStart: &from, RangeEnd: &to, RequestedBy: by, ExpiresAt: now.AddDate(10, 0, 0)}
			must(t, db.Store.CreateApproval(ctx, &a))
			if decide != "" {
				_, err := db.Store.DecideApproval(ctx, a.ID, manager, decide, "", now.Add(-time.Minute), expires)
				must(t, err)
			}
			return a.ID
		}
		approved := request(officer, w.cam.ID, approvals.Approved, now.Add(time.Hour))
		waiting := request(officer, w.cam.ID, "", time.Time{})
		rejected := request(officer, w.cam.ID, approvals.Rejected, time.Time{})
		expired := request(officer, w.cam.ID, approvals.Approved, now.Add(-time.Second))
		someoneElses := request(operator, w.cam.ID, approvals.Approved, now.Add(time.Hour))
		itoa := func(id int64) string { return strconv.FormatInt(id, 10) }
		for _, tc := range []struct {
			name       string
			approval   string
			start, end time.Time
			want       string
			wantInMsg  string
		}{
			{"approved", itoa(approved), from, to, "nil", ""},
			{"approved, part of the range", itoa(approved), from.Add(time.Minute), to.Add(-time.Minute), "nil", ""},
			{"approved, beyond the range", itoa(approved), from, to.Add(time.Second), "forbidden", "approved " + from.Format(time.RFC3339Nano) + " to " + to.Format(time.RFC3339Nano) + " only"},
			{"still waiting", itoa(waiting), from, to, "forbidden", "still waiting for approval"},
			{"rejected", itoa(rejected), from, to, "forbidden", "was rejected"},
			{"expired", itoa(expired), from, to, "forbidden", "could be downloaded until"},
			{"someone else's", itoa(someoneElses), from, to, "forbidden", "is not your export of this camera"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ev := &events{}
				svc := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{Trail: ev, Clips: &clips{}, Now: func() time.Time { return now }})
				f, err := svc.Footage(ctx, w.caller(officer), w.cam, footage.Request{Start: tc.start, End: tc.end, Export: true, Reason: "PC 1234", Approval: tc.approval})
				if got := kind(err); got != tc.want {
					t.Fatalf("got %s (%v), want %s", got, err, tc.want)
				}
				if msg := problem.Message(err, ""); !strings.Contains(msg, tc.wantInMsg) {
					t.Errorf("got message %q, want it to contain %q", msg, tc.wantInMsg)
				}
				if tc.want != "nil" {
					if len(ev.got) != 0 {
						t.Errorf("got records %+v, want none", ev.got)
					}
					return
				}
				wantDetail := "approval: request " + itoa(approved) + ", approved by user " + itoa(manager)
				if f.Clip == nil || len(ev.got) != 1 || !strings.Contains(ev.got[0].Detail, wantDetail) {
					t.Errorf("got clip %v and records %+v, want the clip and one record naming %q", f.Clip, ev.got, wantDetail)
				}
			})
		}
	})
}

// TestCarryOutDeletion, on both databases: an approved deletion deletes
// the footage, its record naming the request and who approved it, and
// settles the request as applied; one with nothing left to delete fails,
// and says why on the request.
func TestCarryOutDeletion(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		ctx := t.Context()
		w := newWorld(t, db.Store, rights.FourEyesDeletion)
		t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		now := t0.Add(24 * time.Hour)
		w.segment(t, t0, t0.Add(time.Minute), false)
		eraser := recording.NewEraser(db.Store, nil, noFiles{}, nil, slog.New(slog.DiscardHandler)) // no InTx: footage deletes in a change of its own
		svc := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{Eraser: eraser, Now: func() time.Time { return now }})
		end := t0.Add(time.Minute)
		approve := func() approvals.Approval {
			a := approvals.Approval{OrganisationID: w.harrow, Action: rights.FourEyesDeletion, Kind: approvals.KindDeleteFootage, Summary: "delete",
				Reason: "DSR-12", CameraID: w.cam.ID, RangeStart: &t0, RangeEnd: &end, RequestedBy: officer, ExpiresAt: now.Add(time.Hour)}
			must(t, db.Store.CreateApproval(ctx, &a))
			a, err := db.Store.DecideApproval(ctx, a.ID, manager, approvals.Approved, "", now, now.Add(time.Hour))
			must(t, err)
			return a
		}

		first := approve()
		got, err := svc.CarryOutDeletion(ctx, w.caller(manager), first)
		must(t, err)
		stored, err := db.Store.Approval(ctx, first.ID)
		must(t, err)
		if got.State != approvals.Applied || stored.State != approvals.Applied || !strings.HasPrefix(stored.Note, "deleted 1 segment(s)") {
			t.Errorf("got %s (stored %s, %q), want applied: deleted 1 segment(s)", got.State, stored.State, stored.Note)
		}
		out, err := db.Store.OutboxAfter(ctx, 0, 10)
		must(t, err)
		wantDetail := "request " + strconv.FormatInt(first.ID, 10) + " of user 2 (deleted) approved by user"
		if len(out) != 1 || out[0].Action != auditlog.FootageDeleted.String() || !strings.Contains(out[0].Detail, wantDetail) {
			t.Errorf("got records %+v, want one footage.deleted naming %q", out, wantDetail)
		}

		second := approve()
		got, err = svc.CarryOutDeletion(ctx, w.caller(manager), second)
		if kind(err) != "conflict" {
			t.Fatalf("nothing left: got %v, want a conflict", err)
		}
		stored, err = db.Store.Approval(ctx, second.ID)
		must(t, err)
		if want := "there is no footage of this camera between start and end to delete"; got.State != approvals.Failed || stored.State != approvals.Failed || stored.Note != want {
			t.Errorf("got %s (stored %s, %q), want failed: %q", got.State, stored.State, stored.Note, want)
		}
	})
}

// clipOf builds a clip from the first picture at or after from to the
// end of the range or to, whichever is first: footage that exists only
// in part of the range.
type clipOf struct{ from, to time.Time }

func (c clipOf) Build(_ context.Context, _ int64, start, end time.Time) (*playback.Clip, error) {
	s, e := start, end
	if c.from.After(s) {
		s = c.from
	}
	if c.to.Before(e) {
		e = c.to
	}
	if !e.After(s) {
		return nil, playback.ErrNoFootage
	}
	return &playback.Clip{Start: s, End: e}, nil
}

// TestExportGaps, on both databases: an export of a range with no
// footage is refused with when and why, part by part, never a file; one
// only partly covered is served with what it lacks and why, in the
// answer and in the record.
func TestExportGaps(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		w := newWorld(t, db.Store)
		t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		now := t0.Add(2 * time.Hour)
		// Footage 10:00-10:05, the camera offline 10:05-10:10, footage
		// deleted early 10:10-10:12, footage again from 10:15.
		w.segment(t, t0, t0.Add(5*time.Minute), false)
		w.segment(t, t0.Add(15*time.Minute), t0.Add(20*time.Minute), false)
		for _, g := range []segindex.Gap{
			{CameraID: w.cam.ID, Start: t0.Add(5 * time.Minute), End: t0.Add(10 * time.Minute), Reason: "camera offline"},
			{CameraID: w.cam.ID, Start: t0.Add(10 * time.Minute), End: t0.Add(12 * time.Minute), Reason: "deleted early: DSR-12"},
		} {
			must(t, db.Store.AddGap(t.Context(), &g))
		}
		at := func(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }
		gap := func(a, b float64, why string) footage.Gap { return footage.Gap{Start: at(a), End: at(b), Reason: why} }
		for _, tc := range []struct {
			name        string
			start, end  time.Time
			clip        clipOf
			want        string
			wantMissing []footage.Gap
			wantMsg     string
		}{
			{name: "a range in the outage", start: at(6), end: at(8), clip: clipOf{at(15), at(20)}, want: "not found",
				wantMissing: []footage.Gap{gap(6, 8, "camera offline")},
				wantMsg:     "there is no footage from 2026-11-21T10:06:00Z to 2026-11-21T10:08:00Z: camera offline"},
			{name: "a range across the outage and the deletion", start: at(6), end: at(14), clip: clipOf{at(15), at(20)}, want: "not found",
				wantMissing: []footage.Gap{gap(6, 10, "camera offline"), gap(10, 12, "deleted early: DSR-12"), gap(12, 14, footage.UnknownGap)},
				wantMsg:     "there is no footage from 2026-11-21T10:06:00Z to 2026-11-21T10:10:00Z: camera offline; from 2026-11-21T10:10:00Z to 2026-11-21T10:12:00Z: deleted early: DSR-12; from 2026-11-21T10:12:00Z to 2026-11-21T10:14:00Z: no footage recorded"},
			{name: "a range after the newest footage", start: at(30), end: at(40), clip: clipOf{at(15), at(20)}, want: "not found",
				wantMissing: []footage.Gap{gap(30, 40, footage.UnknownGap)}, wantMsg: "no footage recorded"},
			{name: "footage, then the outage", start: at(3), end: at(8), clip: clipOf{t0, at(5)}, want: "nil",
				wantMissing: []footage.Gap{gap(5, 8, "camera offline")}},
			{name: "the deletion, then footage", start: at(11), end: at(17), clip: clipOf{at(15), at(20)}, want: "nil",
				wantMissing: []footage.Gap{gap(11, 12, "deleted early: DSR-12"), gap(12, 15, footage.UnknownGap)}},
			{name: "all footage", start: at(1), end: at(4), clip: clipOf{t0, at(5)}, want: "nil"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ev := &events{}
				svc := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{Trail: ev, Clips: tc.clip, Now: func() time.Time { return now }})
				f, err := svc.Footage(t.Context(), w.caller(officer), w.cam, footage.Request{Start: tc.start, End: tc.end, Export: true, Reason: "PC 1234"})
				if got := kind(err); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
				missing := f.Missing
				if err != nil {
					if f.Clip != nil {
						t.Errorf("got a clip %+v with the refusal, want none", f.Clip)
					}
					var nf *footage.NoFootageError
					if !errors.As(err, &nf) {
						t.Fatalf("got %v, want a NoFootageError", err)
					}
					missing = nf.Gaps
					if msg := problem.Message(err, ""); !strings.Contains(msg, tc.wantMsg) {
						t.Errorf("got message %q, want it to contain %q", msg, tc.wantMsg)
					}
				}
				if !sameGaps(missing, tc.wantMissing) {
					t.Errorf("got missing %+v, want %+v", missing, tc.wantMissing)
				}
				if len(ev.got) != 1 {
					t.Fatalf("got %d records, want 1", len(ev.got))
				}
				e := ev.got[0]
				switch {
				case err != nil && (e.RangeStart != nil || !strings.Contains(e.Detail, "nothing served: there is no footage")):
					t.Errorf("got record %+v, want one of nothing served, saying why", e)
				case err == nil && len(tc.wantMissing) > 0 && !strings.Contains(e.Detail, "missing: from "+tc.wantMissing[0].Start.Format(time.RFC3339)):
					t.Errorf("got record detail %q, want what is missing", e.Detail)
				case err == nil && len(tc.wantMissing) == 0 && strings.Contains(e.Detail, "missing"):
					t.Errorf("got record detail %q, want nothing missing", e.Detail)
				case e.Reason != "PC 1234":
					t.Errorf("got record reason %q, want %q", e.Reason, "PC 1234")
				}
			})
		}
	})
}

func sameGaps(a, b []footage.Gap) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) || a[i].Reason != b[i].Reason {
			return false
		}
	}
	return true
}

// TestMissing: what a range lacks, cut to it, with the time after the
// newest footage missing too.
func TestMissing(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	at := func(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }
	span := func(a, b float64) footage.Span { return footage.Span{Start: at(a), End: at(b)} }
	gap := func(a, b float64, why string) footage.Gap { return footage.Gap{Start: at(a), End: at(b), Reason: why} }
	for _, tc := range []struct {
		name       string
		spans      []footage.Span
		parts      []footage.Gap
		start, end float64
		want       []footage.Gap
	}{
		{"all covered", []footage.Span{span(-1, 11)}, nil, 0, 10, []footage.Gap{}},
		{"nothing", nil, nil, 0, 10, []footage.Gap{gap(0, 10, footage.UnknownGap)}},
		{"nothing, offline", nil, []footage.Gap{gap(0, 10, "camera offline")}, 0, 10, []footage.Gap{gap(0, 10, "camera offline")}},
		{"a hole between", []footage.Span{span(0, 3), span(6, 10)}, []footage.Gap{gap(3, 5, "camera offline")}, 0, 10,
			[]footage.Gap{gap(3, 5, "camera offline"), gap(5, 6, footage.UnknownGap)}},
		{"after the newest footage", []footage.Span{span(0, 4)}, nil, 0, 10, []footage.Gap{gap(4, 10, footage.UnknownGap)}},
		{"before the first footage", []footage.Span{span(4, 12)}, nil, 0, 10, []footage.Gap{gap(0, 4, footage.UnknownGap)}},
		{"a sliver is no gap", []footage.Span{span(0, 9.999)}, nil, 0, 10, []footage.Gap{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := footage.Missing(tc.spans, tc.parts, at(tc.start), at(tc.end)); !sameGaps(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestOnePlayOneRecord: one click in the console asks for a clip several
// times (a HEAD, then the video element's byte ranges); the trail holds
// one record of it, written before the first answer. Another range, an
// export, another person, or the same clip after a pause is recorded
// again.
func TestOnePlayOneRecord(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		w := newWorld(t, db.Store)
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		ev := &events{}
		svc := footage.New(db.Store, changeOf(db.Store, nil), footage.Options{Trail: ev, Clips: &clips{}, Now: func() time.Time { return now }})
		a := footage.Request{Start: now.Add(-time.Hour), End: now.Add(-50 * time.Minute), Detail: "GET"}
		b := footage.Request{Start: now.Add(-40 * time.Minute), End: now.Add(-30 * time.Minute), Detail: "GET"}
		export := a
		export.Export, export.Reason = true, "PC 1234"
		caller := func(user int64, addr string) footage.Caller {
			c := w.caller(user)
			c.Actor.RemoteAddr = addr
			return c
		}
		for _, step := range []struct {
			name  string
			by    footage.Caller
			req   footage.Request
			after time.Duration // the clock moves on by this first
			want  int           // records in the trail after it
		}{
			{"the HEAD of a click", caller(manager, "10.0.0.1:5001"), a, 0, 1},
			{"the video's first range, another connection", caller(manager, "10.0.0.1:5002"), a, time.Second, 1},
			{"the video's next range", caller(manager, "10.0.0.1:5002"), a, time.Second, 1},
			{"a seek a minute on", caller(manager, "10.0.0.1:5003"), a, time.Minute, 1},
			{"another range: a second play", caller(manager, "10.0.0.1:5003"), b, time.Second, 2},
			{"an export of the first clip", caller(manager, "10.0.0.1:5003"), export, time.Second, 3},
			{"the same clip by another person", caller(officer, "10.0.0.1:5003"), a, time.Second, 4},
			{"the same clip from another address", caller(manager, "10.0.0.2:5003"), a, time.Second, 5},
			{"the first clip after a pause", caller(manager, "10.0.0.1:5003"), a, footage.PlayRepeat, 6},
			{"and its next range", caller(manager, "10.0.0.1:5004"), a, time.Second, 6},
		} {
			now = now.Add(step.after)
			f, err := svc.Footage(t.Context(), step.by, w.cam, step.req)
			if err != nil || f.Clip == nil {
				t.Fatalf("%s: got clip %v, error %v, want a clip", step.name, f.Clip, err)
			}
			if len(ev.got) != step.want {
				t.Fatalf("%s: got %d records, want %d", step.name, len(ev.got), step.want)
			}
		}
		// The trail refused: the footage is refused, and the next request
		// for it is recorded (and served) only once the trail takes it.
		ev.fail = true
		c := footage.Request{Start: now.Add(-20 * time.Minute), End: now.Add(-10 * time.Minute)}
		if _, err := svc.Footage(t.Context(), caller(manager, "10.0.0.1:1"), w.cam, c); kind(err) != "unavailable" {
			t.Fatalf("with the trail failing: got %s, want unavailable", kind(err))
		}
		if _, err := svc.Footage(t.Context(), caller(manager, "10.0.0.1:1"), w.cam, c); kind(err) != "unavailable" {
			t.Fatalf("asked again with the trail failing: got %s, want unavailable", kind(err))
		}
		ev.fail = false
		if _, err := svc.Footage(t.Context(), caller(manager, "10.0.0.1:1"), w.cam, c); err != nil || len(ev.got) != 7 {
			t.Fatalf("once the trail takes it: got %v and %d records, want 7", err, len(ev.got))
		}
	})
}
