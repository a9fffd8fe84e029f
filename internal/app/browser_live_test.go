//go:build unix

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// liveBrowserResult is the one line of JSON e2e/live_ws.mjs prints.
type liveBrowserResult struct {
	OK      bool   `json:"ok"`
	Step    string `json:"step"`
	Error   string `json:"error"`
	Browser string `json:"browser"`
	Play    struct {
		Inits     []initMessage `json:"inits"`
		Supported bool          `json:"supported"`
		HVC1      bool          `json:"hvc1"`
		Fragments int           `json:"fragments"`
		End       string        `json:"end"`
		Video     struct {
			CurrentTime float64      `json:"currentTime"`
			Width       int          `json:"width"`
			Height      int          `json:"height"`
			Buffered    [][2]float64 `json:"buffered"`
		} `json:"video"`
	} `json:"play"`
}

// TestBrowserLiveWebSocket: a real Chromium, signed in, plays a camera's
// live WebSocket through Media Source Extensions, from the console's own
// origin with the session cookie: an H.264 camera as it is, an H.265 one
// (which this Chromium cannot decode) as its H.264 view.
func TestBrowserLiveWebSocket(t *testing.T) {
	node := testkit.NeedTool(t, "node")
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	e2e, err := filepath.Abs(filepath.Join("..", "..", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	testkit.NeedFile(t, filepath.Join(e2e, "node_modules", "playwright-core", "package.json"), "playwright-core (npm ci in e2e/)")
	for _, tc := range []struct {
		name       string
		codec      codec.Codec
		transcoded bool
	}{
		{"h264", codec.H264, false},
		{"h265", codec.H265, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.transcoded {
				testkit.NeedTool(t, "ffmpeg")
			}
			h := start(t, harnessOptions{codec: tc.codec})
			id := h.addCamera("Browser live", h.cams.URL(1), nil)
			h.awaitFootage(id, time.Second, 60*time.Second)

			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, filepath.Join(e2e, "live_ws.mjs"), h.base, "admin", "correct horse battery staple", strconv.FormatInt(id, 10))
			cmd.Dir = e2e
			cmd.Env = append(os.Environ(), "STEP_TIMEOUT_MS=30000", "PLAY_SECONDS=3")
			// Its own process group, so a timeout ends node and what it started.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			cmd.WaitDelay = 10 * time.Second
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			var got liveBrowserResult
			if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &got); err != nil {
				t.Fatalf("live_ws.mjs output is not one JSON line (%v, run: %v)\nstdout: %s\nstderr: %s", err, runErr, stdout.String(), stderr.String())
			}
			t.Logf("chromium %s: %s", got.Browser, bytes.TrimSpace(stdout.Bytes()))
			if runErr != nil || !got.OK {
				t.Fatalf("browser: failed at %q: %s (exit: %v)\nstderr: %s", got.Step, got.Error, runErr, stderr.String())
			}
			p := got.Play
			if len(p.Inits) != 1 || p.Inits[0].Codec != "H264" || p.Inits[0].Transcoded != tc.transcoded || !p.Supported {
				t.Errorf("init messages: got %+v (supported %v), want one, H264, transcoded %v, that MSE supports", p.Inits, p.Supported, tc.transcoded)
			}
			if v := p.Video; v.Width != 640 || v.Height != 360 || v.CurrentTime < 3 {
				t.Errorf("video: got %dx%d at %.2f s, want 640x360 played to 3 s", v.Width, v.Height, v.CurrentTime)
			}
			// Decode times without gaps: the whole stream is one range,
			// which a player never stalls in.
			if b := p.Video.Buffered; len(b) != 1 || b[0][0] > 0.05 {
				t.Errorf("buffered ranges: got %v, want one, from 0", b)
			}
			if tc.transcoded {
				t.Logf("this Chromium plays H.265 in MSE: %v", p.HVC1)
			}
			starts := h.awaitAudit(id, "live.start", 1)
			if want := "WebSocket" + map[bool]string{true: ", transcoded H.264"}[tc.transcoded]; starts[0].Detail != want || starts[0].Username != "admin" {
				t.Errorf("live.start: got %q by %q, want %q by admin", starts[0].Detail, starts[0].Username, want)
			}
			h.awaitAudit(id, "live.stop", 1)
		})
	}
}
