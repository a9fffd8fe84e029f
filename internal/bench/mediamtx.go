package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ingestMediaMTX measures MediaMTX (the binary at opt.MediaMTX, built by
// whoever runs the benchmark; never part of Vigil) recording every camera
// as fragmented MP4, as Vigil does: one process pulling opt.Cameras
// simulated cameras over RTSP/TCP, one-minute segments of one-second
// parts, everything else it serves switched off.
func ingestMediaMTX(ctx context.Context, opt IngestOptions, rep *IngestReport, progress io.Writer) error {
	if opt.MediaMTX == "" {
		return errors.New("bench: the mediamtx peer needs the path of a MediaMTX binary (--mediamtx)")
	}
	camAddr, _ := freeAddr()
	sim, err := startChild(opt.Exe, []string{"simcam", "--listen", camAddr, "--count", fmt.Sprint(opt.Cameras), "--bitrate", opt.Bitrate, "--codec", opt.Codec}, nil)
	if err != nil {
		return err
	}
	defer sim.stop(syscall.SIGTERM)
	if err := awaitDial(ctx, camAddr); err != nil {
		return fmt.Errorf("%w\n%s", err, sim.log.String())
	}
	dir := filepath.Join(opt.Dir, "mediamtx")
	rec := filepath.Join(dir, "recordings")
	if err := os.MkdirAll(rec, 0o750); err != nil {
		return err
	}
	rtspAddr, _ := freeAddr()
	var b strings.Builder
	fmt.Fprintf(&b, `logLevel: warn
logDestinations: [stdout]
api: false
metrics: false
pprof: false
playback: false
rtsp: true
rtspTransports: [tcp]
rtspAddress: %s
rtmp: false
hls: false
webrtc: false
srt: false
moq: false
pathDefaults:
  rtspTransport: tcp
  sourceOnDemand: false
  record: true
  recordFormat: fmp4
  recordPartDuration: 1s
  recordSegmentDuration: 60s
  recordPath: %s/%%path/%%Y-%%m-%%d_%%H-%%M-%%S-%%f
paths:
`, rtspAddr, rec)
	for i := 1; i <= opt.Cameras; i++ {
		fmt.Fprintf(&b, "  cam%d:\n    source: rtsp://%s/cam/%d\n", i, camAddr, i)
	}
	conf := filepath.Join(dir, "mediamtx.yml")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		return err
	}
	srv, err := startChild(opt.MediaMTX, []string{conf}, nil)
	if err != nil {
		return err
	}
	defer srv.stop(syscall.SIGTERM)
	fmt.Fprintf(progress, "mediamtx: %d cameras configured; waiting for all to record\n", opt.Cameras)
	deadline := time.Now().Add(90 * time.Second)
	for {
		n, _ := recordingCameras(rec)
		if n == opt.Cameras {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: mediamtx recorded %d of %d cameras after 90 s\n%s", n, opt.Cameras, srv.log.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	time.Sleep(3 * time.Second) // settle, as for Vigil
	_, bytes0 := recordingCameras(rec)
	r := measure(ctx, []int{srv.cmd.Process.Pid}, opt.Duration, progress, "mediamtx")
	_, bytes1 := recordingCameras(rec)
	rep.MediaMTX = &r
	hours := float64(opt.Cameras) * r.Wall.Hours()
	rep.MediaMTXCPUPerCameraHour = r.CPU.Seconds() / hours
	rep.MediaMTXRSSPerCamera = r.MeanRSS / int64(opt.Cameras)
	rep.MediaMTXMbitPerCamera = float64(bytes1-bytes0) * 8 / 1e6 / r.Wall.Seconds() / float64(opt.Cameras)
	return nil
}

// recordingCameras counts the cameras (folders) with footage under root,
// and the bytes of it.
func recordingCameras(root string) (cameras int, bytes int64) {
	seen := map[string]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Size() > 0 {
			seen[filepath.Dir(p)] = true
			bytes += fi.Size()
		}
		return nil
	})
	return len(seen), bytes
}
