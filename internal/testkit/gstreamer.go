//go:build unix

package testkit

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// here is this package's source folder, where the GStreamer script is.
func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Clip returns the path of a simulated camera clip ("h264" or "h265").
func Clip(codec string) string {
	return filepath.Join(here(), "..", "simcam", "clips", codec+".mp4")
}

// NeedGStreamer returns python3 once GStreamer's RTSP server bindings are
// known to import; it skips (fails under VIGIL_REQUIRE_TOOLS=1) otherwise.
func NeedGStreamer(t testing.TB) string {
	t.Helper()
	py := NeedFile(t, "/usr/bin/python3", "python3 with GStreamer bindings")
	probe := "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtsp', '1.0'); " +
		"gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtsp, GstRtspServer"
	if out, err := exec.Command(py, "-c", probe).CombinedOutput(); err != nil {
		if os.Getenv("VIGIL_REQUIRE_TOOLS") == "1" {
			t.Fatalf("GStreamer RTSP server bindings do not import (VIGIL_REQUIRE_TOOLS=1): %v\n%s", err, out)
		}
		t.Skipf("skipping: GStreamer RTSP server bindings do not import: %v", err)
	}
	return py
}

// GStreamerCamera runs GStreamer's RTSP server (gst_rtsp_server.py) serving
// a clip, a camera we did not write, and returns the URL of its /cam mount.
// With user and pass it requires Digest authentication. The server is
// killed when the test ends.
func GStreamerCamera(t testing.TB, codec, user, pass string) string {
	t.Helper()
	py := NeedGStreamer(t)
	clip := Clip(codec)
	NeedFile(t, clip, codec+" test clip")
	args := []string{filepath.Join(here(), "gst_rtsp_server.py"), "0", clip, codec}
	if user != "" {
		args = append(args, user, pass)
	}
	cmd := exec.Command(py, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the GStreamer server: %v", err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- port
			}
		}
		close(ready)
	}()
	select {
	case port, ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("GStreamer server exited before READY: %s", stderr.String())
		}
		return "rtsp://127.0.0.1:" + port + "/cam"
	case <-time.After(30 * time.Second):
		t.Fatalf("GStreamer server not READY within 30s: %s", stderr.String())
	}
	return ""
}
