package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/segstore"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// noCameras is a server's running cameras when none runs.
type noCameras struct{}

func (noCameras) Status(int64) (ingest.Status, bool) { return ingest.Status{}, false }
func (noCameras) Hub(int64) (*live.Hub, bool)        { return nil, false }
func (noCameras) TranscodedHub(context.Context, int64) (*live.Hub, error) {
	return nil, errors.New("no cameras run")
}
func (noCameras) Recording(int64) (recording.Stats, bool)     { return recording.Stats{}, false }
func (noCameras) Apply(context.Context, cameras.Camera) error { return nil }
func (noCameras) Stop(int64)                                  {}

// BenchmarkFootageRights measures what authorisation and the audit
// record add to a request for footage, with a partnership of 100
// organisations, 1,000 users and 5,000 cameras in the store: a police
// viewer, allowed by one of 100 sharing agreements, plays back 2 s of a
// camera's recorded footage (GET video.mp4, answered in full). The peer,
// measured in the same run and interleaved with it, is the same request
// with neither: the token is checked, the camera looked up, the range
// read and the MP4 built and sent exactly as before.
//
//	go test ./internal/web -run '^$' -bench FootageRights -benchtime 4000x
//
// With VIGIL_TEST_POSTGRES set it runs on PostgreSQL too.
func BenchmarkFootageRights(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchFootageRights(b, filepath.Join(b.TempDir(), "vigil.db"))
	})
	if pg := testkit.PostgresURL(); pg != "" {
		b.Run("postgres", func(b *testing.B) { benchFootageRights(b, testkit.PostgresSchema(b, pg)) })
	}
}

func benchFootageRights(b *testing.B, dsn string) {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	root := b.TempDir()
	user, token, cam := seedPartnership(b, st)
	recordClip(b, st, root, cam, 50)
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	trail := openTrail(b, dsn)
	segs, err := segstore.NewLocal([]segstore.Folder{{Name: "local", Path: root}}, segstore.LocalOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Store: st, Audit: trail, Cameras: noCameras{}, Clips: playback.NewBuilder(st, segs),
		Secrets: box, Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	// The peer: the same request without authorisation or audit.
	peer := http.NewServeMux()
	peer.Handle("GET /api/v1/cameras/{id}/video.mp4", s.wrap(s.requireUser(func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "camera")
		if err != nil {
			return err
		}
		c, err := s.cams.Camera(r.Context(), id)
		if err != nil {
			return err
		}
		start, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("start"))
		if err != nil {
			return err
		}
		end, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("end"))
		if err != nil {
			return err
		}
		clip, err := s.opt.Clips.Build(r.Context(), c.ID, start, end)
		if err != nil {
			return err
		}
		defer clip.Close()
		h := w.Header()
		h.Set("Content-Type", "video/mp4")
		h.Set("ETag", clip.ETag)
		h.Set("Cache-Control", "private, no-transform")
		h.Set("X-Vigil-Start", clip.Start.Format(time.RFC3339Nano))
		h.Set("X-Vigil-End", clip.End.Format(time.RFC3339Nano))
		h.Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", fmt.Sprintf("camera-%d-%s.mp4", c.ID, clip.Start.Format("20060102T150405Z"))))
		http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(clip, 0, clip.Size()))
		return nil
	}, false)))

	start := clipStart.Add(200 * time.Millisecond)
	url := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", cam, start.Format(time.RFC3339Nano), start.Add(time.Second).Format(time.RFC3339Nano))
	run := func(h http.Handler) (time.Duration, int) {
		req := httptest.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, req)
		return time.Since(t0), w.Body.Len()
	}
	// Both answer the same bytes, and the first decision loads the
	// snapshot, which is not a request's cost.
	for i := range 50 {
		_, n1 := run(s)
		_, n2 := run(peer)
		if i == 0 && (n1 != n2 || n1 < 10000) {
			b.Fatalf("with rights %d bytes, without %d: want the same MP4", n1, n2)
		}
	}
	since := time.Now()
	audits := func() int {
		es, err := trail.Store().ListAudit(ctx, store.AuditFilter{UserID: user, Since: since, Limit: 10000})
		if err != nil {
			b.Fatal(err)
		}
		return len(es)
	}
	var with, without []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Interleaved, in alternating order, so both see the same
		// machine.
		if i%2 == 0 {
			d, _ := run(s)
			with = append(with, d)
			d, _ = run(peer)
			without = append(without, d)
		} else {
			d, _ := run(peer)
			without = append(without, d)
			d, _ = run(s)
			with = append(with, d)
		}
	}
	b.StopTimer()
	if got := audits(); got < min(len(with), 10000) {
		b.Fatalf("%d audit records for %d requests with rights: every one must be audited", got, len(with))
	}
	pw, pp := pct(with, 0.99), pct(without, 0.99)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(pct(with, 0.5)), "p50-µs")
	b.ReportMetric(us(pct(without, 0.5)), "peer-p50-µs")
	b.ReportMetric(us(pw), "p99-µs")
	b.ReportMetric(us(pp), "peer-p99-µs")
	b.ReportMetric(us(pw-pp), "added-p99-µs")
	b.ReportMetric(float64(pw)/float64(pp), "p99-ratio")

	// The two parts of what is added, each alone: the decision (who the
	// user is, from the snapshot, and whether they may play back this
	// camera now) and the audit record's write.
	u, err := st.User(ctx, user)
	if err != nil {
		b.Fatal(err)
	}
	c, err := st.Camera(ctx, cam)
	if err != nil {
		b.Fatal(err)
	}
	var decisions, writes []time.Duration
	for range min(len(with), 2000) {
		t0 := time.Now()
		a, err := s.principal(ctx, u)
		if err != nil || !a.Snap.Can(a.P, "play_back", rights.Camera{ID: c.ID, Org: c.OrganisationID}, time.Now()).Allowed {
			b.Fatalf("the police viewer may not play back camera %d: %v", cam, err)
		}
		decisions = append(decisions, time.Since(t0))
		t0 = time.Now()
		if err := trail.Append(ctx, auditlog.Entry{UserID: user, Username: u.Username, OrganisationID: u.OrganisationID, Action: auditlog.FootagePlay, CameraID: cam,
			RangeStart: &start, RangeEnd: &start, RemoteAddr: "192.0.2.1:1234", Detail: "GET"}); err != nil {
			b.Fatal(err)
		}
		writes = append(writes, time.Since(t0))
	}
	b.ReportMetric(us(pct(decisions, 0.99)), "decision-p99-µs")
	b.ReportMetric(us(pct(writes, 0.5)), "audit-p50-µs")
	b.ReportMetric(us(pct(writes, 0.99)), "audit-p99-µs")
}

func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// clipStart is when the benchmark's footage begins.
var clipStart = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// recordClip records n frames of the simulated camera's clip as camera
// cam's footage, through the real recorder.
func recordClip(b *testing.B, st *store.Store, root string, cam int64, n int) {
	clip, err := simcam.LoadClip(codec.H264)
	if err != nil {
		b.Fatal(err)
	}
	rec := recording.New(st, recording.Options{StorageName: "local", StoragePath: root})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	cr := rec.Camera(context.Background(), cam)
	dur := time.Duration(clip.FrameDur) * time.Second / 90000
	for k := range n {
		i := k % len(clip.Units)
		if err := cr.WriteFrame(&ingest.Frame{Codec: codec.H264, Params: &clip.Params, PTS: int64(k) * int64(clip.FrameDur),
			Time: clipStart.Add(time.Duration(k) * dur), NALUs: clip.Units[i], Keyframe: clip.Keyframe[i], Discontinuity: k == 0}); err != nil {
			b.Fatal(err)
		}
	}
	cr.StreamEnded(errors.New("benchmark: clip over"))
	if err := rec.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// seedPartnership fills the store with a partnership of 100
// organisations (a partnership, 60 councils, 20 departments, 10 police
// forces, 5 customers and 4 camera owners), 5,000 cameras, 1,000 users
// with roles, 100 camera groups and 100 sharing agreements with the
// police, and returns a police viewer, their token and a camera of a
// council that shares it with them.
func seedPartnership(b *testing.B, st *store.Store) (int64, string, int64) {
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	top := access.Organisation{Name: "Partnership", Kind: "partnership"}
	must(st.CreateOrganisation(ctx, &top))
	var councils, police, all []int64
	add := func(name, kind string, parent int64) int64 {
		o := access.Organisation{Name: name, Kind: kind, ParentID: parent}
		must(st.CreateOrganisation(ctx, &o))
		all = append(all, o.ID)
		return o.ID
	}
	for i := range 60 {
		councils = append(councils, add(fmt.Sprintf("Council %d", i), "council", top.ID))
	}
	for i := range 20 {
		add(fmt.Sprintf("Department %d", i), "department", councils[i])
	}
	for i := range 10 {
		police = append(police, add(fmt.Sprintf("Police %d", i), "police", top.ID))
	}
	for i := range 5 {
		add(fmt.Sprintf("Customer %d", i), "customer", top.ID)
	}
	for i := range 4 {
		add(fmt.Sprintf("Owner %d", i), "camera_owner", top.ID)
	}
	owners := append(slices.Clone(councils), all[60:80]...) // councils and departments own cameras
	owners = append(owners, all[len(all)-9:]...)            // and customers and camera owners
	cams := map[int64][]int64{}
	for i := range 5000 {
		org := owners[i%len(owners)]
		c := cameras.Camera{OrganisationID: org, Name: fmt.Sprintf("Camera %d", i), URL: "rtsp://127.0.0.1:1/x", RetentionDays: 31}
		must(st.CreateCamera(ctx, &c))
		cams[org] = append(cams[org], c.ID)
	}
	groups := map[int64]int64{}
	for i, org := range councils[:50] {
		g := access.CameraGroup{OrganisationID: org, Name: fmt.Sprintf("Group %d", i), Cameras: cams[org][:len(cams[org])/2]}
		must(st.CreateCameraGroup(ctx, &g))
		groups[org] = g.ID
		g2 := access.CameraGroup{OrganisationID: org, Name: fmt.Sprintf("Other group %d", i), Cameras: cams[org][len(cams[org])/2:]}
		must(st.CreateCameraGroup(ctx, &g2))
	}
	now := time.Now()
	ends := now.Add(24 * time.Hour)
	for i := range 100 {
		org := councils[i%50]
		a := access.SharingAgreement{GrantorID: org, GranteeID: police[i%len(police)], Reference: fmt.Sprintf("DSA %d", i),
			Rights: []string{"view_live", "play_back"}, Groups: []int64{groups[org]}, StartsAt: now.Add(-time.Hour), EndsAt: &ends}
		if i%3 == 0 {
			a.Groups, a.Cameras = nil, cams[org][:5]
		}
		must(st.CreateSharingAgreement(ctx, &a))
	}
	roles := []string{"operator", "supervisor", "cctv_manager", "partner_officer", "auditor", "administrator"}
	var viewer int64
	for i := range 1000 {
		org, role := all[i%len(all)], roles[i%len(roles)]
		if slices.Contains(police, org) {
			role = "police_viewer"
		}
		u := identity.User{Username: fmt.Sprintf("user%d", i), PasswordHash: "unusable", OrganisationID: org, Role: role}
		must(st.CreateUser(ctx, &u))
		if org == police[9] && viewer == 0 {
			viewer = u.ID
		}
	}
	// Police 9 is granted agreements 9, 19, ... 99; council 49's camera
	// is shared with it by group (agreement 49) and by name (99, the
	// last of its agreements to be searched).
	target := cams[councils[49]][0]
	tok, hash := auth.NewToken()
	must(st.CreateToken(ctx, &identity.Token{UserID: viewer, Name: "bench", Hash: hash}))
	return viewer, tok, target
}
