package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// harness is a running server with simulated cameras, for tests.
type harness struct {
	t     *testing.T
	app   *App
	cams  *simcam.Server
	base  string
	token string
	data  string
	root  string // the recordings folder
	stop  func()
	// cancel ends the server's context (stop also waits for it).
	cancel context.CancelFunc
}

type harnessOptions struct {
	codec   codec.Codec
	cameras int
	faults  simcam.Faults
	user    string
	pass    string
	quota   int64
	// storage, when set, is the recordings folder (instead of one in the
	// data folder), with no free-space floor.
	storage string
	bitrate int
	// postgres runs the server on PostgreSQL (VIGIL_TEST_POSTGRES).
	postgres bool
	// retentionEvery, when set, runs retention this often.
	retentionEvery time.Duration
	// mapOutline is the map_outline setting.
	mapOutline string
	// liveTranscoder, when set, is the live_transcoder setting.
	liveTranscoder string
	// data, when set, is the data folder (instead of a fresh one).
	data string
	// playbackDelay, when set, is the playback_delay setting; otherwise
	// a second, so that tests may play footage a moment old with any role.
	playbackDelay time.Duration
	// databaseURL, when set, is the PostgreSQL database (instead of a
	// fresh schema): for restarting a server on the same data.
	databaseURL string
	// httpTimeouts, when set, replaces the HTTP server's timeouts.
	httpTimeouts *config.HTTPTimeouts
	// cameraNetwork, when set, is the camera_network setting; otherwise
	// loopback is allowed, where the simulated cameras are.
	cameraNetwork *config.CameraNetwork
	// segmentDuration, when set, replaces the 5 s segments.
	segmentDuration time.Duration
	// shutdownTimeout, when set, is the shutdown_timeout setting.
	shutdownTimeout time.Duration
	// runErr, when set, receives Run's error (instead of the test
	// failing on one), once Run has returned.
	runErr chan error
}

func start(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	if o.cameras == 0 {
		o.cameras = 1
	}
	if o.codec == 0 {
		o.codec = codec.H264
	}
	cams, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: o.cameras, Codec: o.codec, Faults: o.faults, Username: o.user, Password: o.pass, Bitrate: o.bitrate})
	if err != nil {
		t.Fatal(err)
	}
	data := o.data
	if data == "" {
		data = t.TempDir()
	}
	cfg := config.Default()
	cfg.DataDir = data
	cfg.HTTP = "127.0.0.1:0"
	cfg.AdminPassword = "correct horse battery staple"
	cfg.LiveHosts = []string{"127.0.0.1"}
	cfg.Recording.SegmentDuration.Duration = 5 * time.Second
	if o.segmentDuration > 0 {
		cfg.Recording.SegmentDuration.Duration = o.segmentDuration
	}
	if o.shutdownTimeout > 0 {
		cfg.ShutdownTimeout.Duration = o.shutdownTimeout
	}
	cfg.Recording.RetentionInterval.Duration = time.Hour
	if o.retentionEvery > 0 {
		cfg.Recording.RetentionInterval.Duration = o.retentionEvery
	}
	cfg.MapOutline = o.mapOutline
	cfg.Recording.PlaybackDelay.Duration = time.Second
	if o.playbackDelay > 0 {
		cfg.Recording.PlaybackDelay.Duration = o.playbackDelay
	}
	cfg.Storage = []config.Storage{{Name: "local", Path: filepath.Join(data, "recordings"), QuotaBytes: o.quota}}
	if o.storage != "" {
		cfg.Storage[0].Path = o.storage
	}
	if o.liveTranscoder != "" {
		cfg.LiveTranscoder = o.liveTranscoder
	}
	if o.postgres {
		cfg.DatabaseURL = testkit.PostgresSchema(t, testkit.PostgresURL())
	}
	if o.databaseURL != "" {
		cfg.DatabaseURL = o.databaseURL
	}
	if o.httpTimeouts != nil {
		cfg.HTTPTimeouts = *o.httpTimeouts
	}
	cfg.CameraNetwork.Allow = []string{"127.0.0.0/8"}
	if o.cameraNetwork != nil {
		cfg.CameraNetwork = *o.cameraNetwork
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, log, io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	u, err := a.Store.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	// The tests act as an administrator who is also the CCTV manager,
	// so they may see footage; the rights tests make their own users.
	if err := a.Store.SetUserRoles(ctx, u.ID, []access.UserRole{{Role: "administrator"}, {Role: "cctv_manager"}}); err != nil {
		t.Fatal(err)
	}
	tok, hash := auth.NewToken()
	if err := a.Store.CreateToken(ctx, &identity.Token{UserID: u.ID, Name: "test", Hash: hash}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { cams.Run(ctx) })
	wg.Go(func() {
		err := a.Run(ctx)
		if o.runErr != nil {
			o.runErr <- err
		} else if err != nil {
			t.Errorf("app.Run: %v", err)
		}
	})
	h := &harness{t: t, app: a, cams: cams, base: "http://" + a.Addr(), token: tok, data: data, root: cfg.Storage[0].Path, cancel: cancel}
	h.stop = sync.OnceFunc(func() {
		cancel()
		wg.Wait()
	})
	t.Cleanup(h.stop)
	return h
}

func (h *harness) do(method, path string, body any, hdr map[string]string) (*http.Response, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return res, b
}

func (h *harness) addCamera(name, url string, extra map[string]any) int64 {
	h.t.Helper()
	body := map[string]any{"name": name, "url": url}
	for k, v := range extra {
		body[k] = v
	}
	res, b := h.do("POST", "/api/v1/cameras", body, nil)
	if res.StatusCode != http.StatusCreated {
		h.t.Fatalf("POST /api/v1/cameras: got %d %s, want 201", res.StatusCode, b)
	}
	var c struct{ ID int64 }
	json.Unmarshal(b, &c)
	return c.ID
}

type recordingsJSON struct {
	Spans []struct {
		Start, End time.Time
		Codec      string
	}
	Gaps []struct {
		Start, End time.Time
		Reason     string
	}
}

func (h *harness) recordings(id int64) recordingsJSON {
	h.t.Helper()
	res, b := h.do("GET", fmt.Sprintf("/api/v1/cameras/%d/recordings", id), nil, nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("recordings: got %d %s", res.StatusCode, b)
	}
	var r recordingsJSON
	if err := json.Unmarshal(b, &r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

// awaitFootage waits until the camera has at least d of footage indexed
// in its latest span, failing after the deadline.
func (h *harness) awaitFootage(id int64, d time.Duration, within time.Duration) recordingsJSON {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		h.app.Flush(context.Background())
		r := h.recordings(id)
		if n := len(r.Spans); n > 0 && r.Spans[n-1].End.Sub(r.Spans[n-1].Start) >= d {
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("camera %d: no %s of footage within %s; recordings %+v, status %+v", id, d, within, r, h.status(id))
		}
		time.Sleep(100 * time.Millisecond) // polling: the index has no event to await over HTTP
	}
}

// usage is the bytes the store counts in the storage folder.
func (h *harness) usage() int64 {
	n, err := h.app.Store.StorageUsage(context.Background(), "local")
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) status(id int64) map[string]any {
	_, b := h.do("GET", fmt.Sprintf("/api/v1/cameras/%d", id), nil, nil)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// video fetches a range and writes it to a file.
func (h *harness) video(id int64, start, end time.Time) (*http.Response, string) {
	h.t.Helper()
	q := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", id, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	res, b := h.do("GET", q, nil, nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("video: got %d %s, want 200", res.StatusCode, b)
	}
	path := filepath.Join(h.t.TempDir(), "clip.mp4")
	os.WriteFile(path, b, 0o600)
	return res, path
}

type probe struct {
	Codec    string
	Width    int
	Height   int
	Frames   int
	Duration float64
}

// ffprobe decodes every frame of a file and fails the test on any error.
func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	testkit.NeedTool(t, "ffmpeg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg decoding %s: %v\n%s", path, err, out)
	}
	return probeFile(t, path)
}

// probeFile reads what ffprobe finds in the file, without asking that
// every frame decode cleanly: for footage of a camera that sent damaged
// pictures, which are kept as they came.
func probeFile(t *testing.T, path string) probe {
	t.Helper()
	bin := testkit.NeedTool(t, "ffprobe")
	out, err := exec.Command(bin, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var r struct {
		Streams []struct {
			CodecName    string `json:"codec_name"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			NbReadFrames string `json:"nb_read_frames"`
		}
		Format struct{ Duration string }
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Streams) != 1 {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	p := probe{Codec: r.Streams[0].CodecName, Width: r.Streams[0].Width, Height: r.Streams[0].Height}
	p.Frames, _ = strconv.Atoi(r.Streams[0].NbReadFrames)
	p.Duration, _ = strconv.ParseFloat(r.Format.Duration, 64)
	return p
}

func TestRecordAndExport(t *testing.T) {
	t.Parallel() // see main_test.go
	for _, tc := range []struct {
		codec codec.Codec
		name  string
	}{{codec.H264, "h264"}, {codec.H265, "hevc"}} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, harnessOptions{codec: tc.codec})
			id := h.addCamera("Market Square", h.cams.URL(1), nil)
			r := h.awaitFootage(id, 12*time.Second, 40*time.Second)
			span := r.Spans[len(r.Spans)-1]
			from := span.Start.Add(3 * time.Second)
			to := from.Add(8 * time.Second)
			res, path := h.video(id, from, to)
			gotStart, _ := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-Start"))
			gotEnd, _ := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-End"))
			if gotStart.After(from) || from.Sub(gotStart) > 2*time.Second+100*time.Millisecond {
				t.Errorf("file starts at %s, want the keyframe at or before %s (GOP 2 s)", gotStart, from)
			}
			if gotEnd.Before(to.Add(-100*time.Millisecond)) || gotEnd.After(to.Add(100*time.Millisecond)) {
				t.Errorf("file ends at %s, want about %s", gotEnd, to)
			}
			p := ffprobe(t, path)
			if p.Codec != tc.name || p.Width != 640 || p.Height != 360 {
				t.Errorf("ffprobe got %+v, want %s 640x360", p, tc.name)
			}
			wantFrames := int(gotEnd.Sub(gotStart).Seconds()*25 + 0.5)
			if p.Frames < wantFrames-1 || p.Frames > wantFrames+1 {
				t.Errorf("ffprobe counted %d frames, want %d (25 fps over %s)", p.Frames, wantFrames, gotEnd.Sub(gotStart))
			}
			if d := gotEnd.Sub(gotStart).Seconds(); p.Duration < d-0.1 || p.Duration > d+0.1 {
				t.Errorf("ffprobe duration %.3f s, want %.3f s", p.Duration, d)
			}
		})
	}
}

// TestPostgres runs the server on PostgreSQL: record, list, export.
func TestPostgres(t *testing.T) {
	t.Parallel() // see main_test.go
	if testkit.PostgresURL() == "" {
		t.Skip("skipping: VIGIL_TEST_POSTGRES is not set")
	}
	h := start(t, harnessOptions{postgres: true})
	if d := h.app.Store.Dialect(); d != "postgres" {
		t.Fatalf("store dialect %q, want postgres", d)
	}
	id := h.addCamera("On PostgreSQL", h.cams.URL(1), nil)
	r := h.awaitFootage(id, 7*time.Second, 40*time.Second)
	span := r.Spans[len(r.Spans)-1]
	_, path := h.video(id, span.Start, span.End)
	if p := ffprobe(t, path); p.Frames < 150 {
		t.Errorf("got %d frames, want at least 6 s at 25 fps", p.Frames)
	}
}
