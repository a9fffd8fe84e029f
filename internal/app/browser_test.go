//go:build unix

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// browserVideo is what a <video> element reported to e2e/video_seek.mjs.
type browserVideo struct {
	ReadyState  int     `json:"readyState"`
	Duration    any     `json:"duration"` // a number, or "NaN"/"Infinity"
	CurrentTime float64 `json:"currentTime"`
	VideoWidth  int     `json:"videoWidth"`
	VideoHeight int     `json:"videoHeight"`
	Error       *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// browserResult is the one line of JSON e2e/video_seek.mjs prints.
type browserResult struct {
	OK      bool         `json:"ok"`
	Step    string       `json:"step"`
	Error   string       `json:"error"`
	Browser string       `json:"browser"`
	Loaded  browserVideo `json:"loaded"`
	Play    struct {
		From float64 `json:"from"`
		To   float64 `json:"to"`
	} `json:"play"`
	Seek struct {
		Target         float64 `json:"target"`
		CurrentTime    float64 `json:"currentTime"`
		FrameMediaTime float64 `json:"frameMediaTime"`
	} `json:"seek"`
	Final          browserVideo `json:"final"`
	MediaResponses []struct {
		Status int    `json:"status"`
		Range  string `json:"range"`
		ETag   string `json:"etag"`
	} `json:"mediaResponses"`
	ETagChanged bool `json:"etagChanged"`
}

// TestBrowserVideoSeek: a real Chromium signs in, plays the last minute of
// the first camera in a plain <video> and seeks within it. ffprobe
// accepting a file does not mean a browser will: Chromium's demuxer and
// media cache are what users run.
//
// The camera records throughout, as in a control room.
func TestBrowserVideoSeek(t *testing.T) {
	node := testkit.NeedTool(t, "node")
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	e2e, err := filepath.Abs(filepath.Join("..", "..", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	testkit.NeedFile(t, filepath.Join(e2e, "node_modules", "playwright-core", "package.json"), "playwright-core (npm ci in e2e/)")

	h := start(t, harnessOptions{})
	id := h.addCamera("Browser Lane", h.cams.URL(1), nil)
	h.awaitFootage(id, 12*time.Second, 60*time.Second)
	// The camera goes on recording while the browser plays: the page asks
	// for the minute up to now, and the server sends it to the URL of the
	// footage indexed so far, whose bytes do not change as more comes in.
	footage := 61.0

	shot := os.Getenv("VIGIL_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "home.png")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2e, "video_seek.mjs"), h.base, "admin", "correct horse battery staple")
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(), "SCREENSHOT="+shot, "STEP_TIMEOUT_MS=30000")
	// Its own process group, so a timeout ends node and what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var got browserResult
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &got); err != nil {
		t.Fatalf("video_seek.mjs output is not one JSON line (%v, run: %v)\nstdout: %s\nstderr: %s", err, runErr, stdout.String(), stderr.String())
	}
	t.Logf("chromium %s: %s", got.Browser, bytes.TrimSpace(stdout.Bytes()))
	if runErr != nil || !got.OK {
		t.Fatalf("browser: failed at %q: %s (exit: %v)\nstderr: %s", got.Step, got.Error, runErr, stderr.String())
	}

	duration, ok := got.Loaded.Duration.(float64)
	if !ok {
		t.Fatalf("duration: got %v, want a finite number", got.Loaded.Duration)
	}
	checks := []struct {
		name string
		bad  bool
		msg  string
	}{
		{"ready", got.Loaded.ReadyState < 2, fmt.Sprintf("readyState got %d, want >= 2", got.Loaded.ReadyState)},
		{"duration", duration <= 5 || duration > footage+0.5, fmt.Sprintf("duration got %.3f s, want in (5, %.3f]", duration, footage+0.5)},
		{"size", got.Final.VideoWidth != 640 || got.Final.VideoHeight != 360, fmt.Sprintf("video size got %dx%d, want 640x360", got.Final.VideoWidth, got.Final.VideoHeight)},
		{"plays", got.Play.To < got.Play.From+0.5, fmt.Sprintf("currentTime got %.3f -> %.3f while playing, want +0.5 s or more", got.Play.From, got.Play.To)},
		{"seek target", math.Abs(got.Seek.Target-duration*0.6) > 0.01, fmt.Sprintf("seek target got %.3f, want 0.6 x %.3f", got.Seek.Target, duration)},
		{"seeked", math.Abs(got.Seek.CurrentTime-got.Seek.Target) > 0.5, fmt.Sprintf("currentTime after seeking got %.3f, want %.3f +- 0.5", got.Seek.CurrentTime, got.Seek.Target)},
		// A player that could only land on keyframes would be up to a GOP
		// (2 s) early here.
		{"frame", math.Abs(got.Seek.FrameMediaTime-got.Seek.Target) > 0.5, fmt.Sprintf("first frame after seeking got %.3f, want %.3f +- 0.5", got.Seek.FrameMediaTime, got.Seek.Target)},
		{"error", got.Final.Error != nil, fmt.Sprintf("video error got %+v, want none", got.Final.Error)},
		{"requests", len(got.MediaResponses) == 0, "video.mp4 responses got none, want at least one"},
	}
	for _, c := range checks {
		if c.bad {
			t.Errorf("%s: %s", c.name, c.msg)
		}
	}
	// The page's range reaches now, so the first answer is a redirect to
	// the footage indexed so far; every byte range after it must come from
	// that one file, whatever is recorded meanwhile.
	etags := map[string]bool{}
	for i, m := range got.MediaResponses {
		switch {
		case i == 0 && m.Status == http.StatusTemporaryRedirect:
		case m.Status == http.StatusOK || m.Status == http.StatusPartialContent:
			etags[m.ETag] = true
		default:
			t.Errorf("video.mp4 (Range %q): got status %d, want a first 307 then 200 or 206", m.Range, m.Status)
		}
	}
	if len(got.MediaResponses) > 0 && got.MediaResponses[0].Status != http.StatusTemporaryRedirect {
		t.Errorf("first video.mp4 answer got %d, want 307 to the footage indexed so far", got.MediaResponses[0].Status)
	}
	if len(etags) != 1 {
		t.Errorf("video.mp4 ETags got %+v, want one file", got.MediaResponses)
	}
	// One play, one record: the video element's byte ranges and the seek
	// are the same person seeing the same file.
	plays, err := h.app.Audit.Store().ListAudit(t.Context(), store.AuditFilter{CameraID: id, Action: "footage.play", Limit: 100})
	mustDo(t, err)
	served := 0
	for _, e := range plays {
		if e.RangeStart != nil {
			served++
		}
	}
	if served != 1 {
		t.Errorf("footage.play records with footage served: got %d for %d answers of one file, want 1", served, len(got.MediaResponses)-1)
	}
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot %s: got %d bytes (%v), want a PNG", shot, len(png), err)
	}
}
