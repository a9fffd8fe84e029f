// Package bench measures Vigil against the tools its users would
// otherwise run, in the same run on the same machine: recording against
// one ffmpeg per camera and against MediaMTX (and against an earlier
// build of Vigil), export against ffmpeg joining segments and cat reading
// them. The figures go to docs/BENCHMARKS.md.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/store"
)

// IngestOptions configure "vigil bench ingest".
type IngestOptions struct {
	Cameras     int
	Duration    time.Duration
	Bitrate     string // per camera, e.g. "4M"
	PeerCameras int    // ffmpeg processes measured (0: min(Cameras, 10); -1: none)
	Codec       string
	ReadBatch   string // the server's recording.read_batch, e.g. "0s"; its default if empty
	Dir         string // work folder; a temporary one if empty
	Exe         string // the vigil binary; os.Executable if empty
	// Peers are the peers measured after Vigil: "ffmpeg" (one process
	// per camera, PeerCameras of them) and "mediamtx" (one process
	// recording all Cameras, from the binary at MediaMTX). Empty:
	// ffmpeg alone.
	Peers    []string
	MediaMTX string
	// Baseline, when set, is another vigil binary (an earlier build)
	// measured the same way just before this one, for a before and
	// after in one run.
	Baseline string
}

// IngestReport is what the run measured.
type IngestReport struct {
	Cameras  int
	Duration time.Duration
	// Baseline is the earlier build's run, when one was asked for.
	Baseline *VigilRun
	VigilRun
	PeerCameras          int
	Peer                 result
	PeerCPUPerCameraHour float64
	PeerRSSPerCamera     int64
	// MediaMTX: one process recording every camera, when measured.
	MediaMTX                 *result
	MediaMTXCPUPerCameraHour float64
	MediaMTXRSSPerCamera     int64
	MediaMTXMbitPerCamera    float64 // written to its files in the window
}

// VigilRun is one vigil build's measurement.
type VigilRun struct {
	Exe                    string
	Vigil                  result
	Cams                   result  // the simulated cameras' process
	MbitPerCamera          float64 // video received per camera in the window
	VigilCPUPerCameraHour  float64 // CPU seconds
	VigilRSSPerCamera      int64
	FramesDelivered        int64 // sent while Vigil was playing the camera
	FramesStored           int64
	FramesAwaitingKeyframe int64 // dropped by design until each session's first keyframe
	FramesDroppedOther     int64
	Drops                  map[string]int64 // frames dropped by Vigil, by reason
	Reconnects             int64            // sessions that ended and were retried during the run
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func awaitDial(ctx context.Context, addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %s did not come up: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// child runs a process and stops it at the end.
type child struct {
	cmd *exec.Cmd
	log bytes.Buffer
}

func startChild(name string, args []string, env []string) (*child, error) {
	c := &child{cmd: exec.Command(name, args...)}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.log, &c.log
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *child) stop(sig os.Signal) error {
	c.cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		return <-done
	}
}

// Ingest runs the recording benchmark.
func Ingest(ctx context.Context, opt IngestOptions, progress io.Writer) (*IngestReport, error) {
	if opt.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opt.Exe = exe
	}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		opt.Dir = d
	}
	if opt.PeerCameras == 0 {
		opt.PeerCameras = min(opt.Cameras, 10)
	}
	rep := &IngestReport{Cameras: opt.Cameras, Duration: opt.Duration}
	if opt.Baseline != "" {
		run, err := ingestVigil(ctx, opt.Baseline, opt, filepath.Join(opt.Dir, "baseline"), progress)
		if err != nil {
			return nil, fmt.Errorf("bench: the baseline build: %w", err)
		}
		rep.Baseline = run
	}
	run, err := ingestVigil(ctx, opt.Exe, opt, filepath.Join(opt.Dir, "vigil"), progress)
	if err != nil {
		return nil, err
	}
	rep.VigilRun = *run
	peers := map[string]bool{}
	for _, p := range opt.Peers {
		peers[p] = true
	}
	if len(peers) == 0 {
		peers["ffmpeg"] = true
	}
	if peers["mediamtx"] {
		if err := ingestMediaMTX(ctx, opt, rep, progress); err != nil {
			return rep, err
		}
	}
	if !peers["ffmpeg"] {
		return rep, nil
	}

	// The peer: one ffmpeg per camera, as Frigate, Shinobi and ZoneMinder
	// users run.
	if opt.PeerCameras > 0 {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return rep, errors.New("bench: ffmpeg is not installed, so the peer cannot be measured (apt-get install ffmpeg)")
		}
		camAddr, _ := freeAddr()
		sim, err := startChild(opt.Exe, []string{"simcam", "--listen", camAddr, "--count", fmt.Sprint(opt.PeerCameras), "--bitrate", opt.Bitrate, "--codec", opt.Codec}, nil)
		if err != nil {
			return rep, err
		}
		defer sim.stop(syscall.SIGTERM)
		if err := awaitDial(ctx, camAddr); err != nil {
			return rep, err
		}
		peerDir := filepath.Join(opt.Dir, "ffmpeg")
		os.MkdirAll(peerDir, 0o750)
		var pids []int
		var peers []*child
		for i := 1; i <= opt.PeerCameras; i++ {
			c, err := startChild("ffmpeg", []string{"-nostdin", "-v", "error", "-rtsp_transport", "tcp",
				"-i", fmt.Sprintf("rtsp://%s/cam/%d", camAddr, i), "-c", "copy", "-f", "segment", "-segment_time", "60",
				"-segment_format", "mp4", "-reset_timestamps", "1", filepath.Join(peerDir, fmt.Sprintf("cam%d-%%05d.mp4", i))}, nil)
			if err != nil {
				return rep, err
			}
			peers = append(peers, c)
			pids = append(pids, c.cmd.Process.Pid)
		}
		time.Sleep(5 * time.Second) // connect and settle, as for Vigil
		rep.Peer = measure(ctx, pids, opt.Duration, progress, "ffmpeg")
		for _, c := range peers {
			c.stop(syscall.SIGINT)
		}
		rep.PeerCameras = opt.PeerCameras
		ph := float64(opt.PeerCameras) * rep.Peer.Wall.Hours()
		rep.PeerCPUPerCameraHour = rep.Peer.CPU.Seconds() / ph
		rep.PeerRSSPerCamera = rep.Peer.MeanRSS / int64(opt.PeerCameras)
	}
	return rep, nil
}

// ingestVigil measures one vigil build (exe) recording opt.Cameras, with
// data in dir.
func ingestVigil(ctx context.Context, exe string, opt IngestOptions, dir string, progress io.Writer) (*VigilRun, error) {
	rep := &VigilRun{Exe: exe}

	// Vigil.
	camAddr, _ := freeAddr()
	stats := filepath.Join(opt.Dir, "simcam-stats.json")
	sim, err := startChild(exe, []string{"simcam", "--listen", camAddr, "--count", fmt.Sprint(opt.Cameras), "--bitrate", opt.Bitrate, "--codec", opt.Codec, "--stats", stats}, nil)
	if err != nil {
		return nil, err
	}
	defer sim.cmd.Process.Kill()
	if err := awaitDial(ctx, camAddr); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, sim.log.String())
	}
	httpAddr, _ := freeAddr()
	data := dir
	env := []string{
		"VIGIL_DATA=" + data, "VIGIL_HTTP=" + httpAddr, "VIGIL_LOG_LEVEL=warn",
		"VIGIL_ADMIN_PASSWORD=bench-only passphrase " + strconv.Itoa(os.Getpid()), "VIGIL_STORAGE_MIN_FREE=0",
		// The simulated cameras are on loopback, which cameras
		// otherwise may not be.
		"VIGIL_CAMERA_ALLOW=127.0.0.0/8",
	}
	if opt.ReadBatch != "" {
		env = append(env, "VIGIL_READ_BATCH="+opt.ReadBatch)
	}
	srv, err := startChild(exe, []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	defer srv.cmd.Process.Kill()
	if err := awaitDial(ctx, httpAddr); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, srv.log.String())
	}
	dsn := filepath.Join(data, "vigil.db")
	token, err := benchToken(ctx, dsn)
	if err != nil {
		return nil, err
	}
	base := "http://" + httpAddr
	for i := 1; i <= opt.Cameras; i++ {
		body := fmt.Sprintf(`{"name":"bench %d","url":"rtsp://%s/cam/%d"}`, i, camAddr, i)
		if _, err := call(ctx, "POST", base+"/api/v1/cameras", token, body); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(progress, "vigil (%s): %d cameras added; waiting for all to record\n", exe, opt.Cameras)
	if err := awaitStates(ctx, base, token, func(n map[string]int) bool { return n["recording"] == opt.Cameras }, 90*time.Second); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, srv.log.String())
	}
	time.Sleep(3 * time.Second) // settle: every camera past its first keyframe
	bytes0, err := scrapeSum(ctx, base, token, "vigil_camera_video_bytes_total")
	if err != nil {
		return nil, err
	}
	camUsage := startUsage([]int{sim.cmd.Process.Pid})
	rep.Vigil = measure(ctx, []int{srv.cmd.Process.Pid}, opt.Duration, progress, "vigil")
	rep.Cams = camUsage.stop()
	bytes1, err := scrapeSum(ctx, base, token, "vigil_camera_video_bytes_total")
	if err != nil {
		return nil, err
	}
	rep.MbitPerCamera = (bytes1 - bytes0) * 8 / 1e6 / rep.Vigil.Wall.Seconds() / float64(opt.Cameras)
	drops, err := scrapeDrops(ctx, base, token)
	if err != nil {
		return nil, err
	}
	rc, err := scrapeSum(ctx, base, token, "vigil_camera_reconnects_total")
	if err != nil {
		return nil, err
	}
	rep.Reconnects = int64(rc)
	rep.FramesAwaitingKeyframe = drops["awaiting_keyframe"]
	rep.Drops = drops
	for k, v := range drops {
		if k != "awaiting_keyframe" {
			rep.FramesDroppedOther += v
		}
	}
	// Stop the cameras first, so everything they sent reaches the files.
	sim.stop(syscall.SIGTERM)
	awaitStates(ctx, base, token, func(n map[string]int) bool { return n["recording"] == 0 }, 60*time.Second)
	if err := srv.stop(syscall.SIGTERM); err != nil {
		return nil, fmt.Errorf("bench: vigil exited badly: %w\n%s", err, srv.log.String())
	}
	var st struct{ Delivered []int64 }
	if b, err := os.ReadFile(stats); err == nil {
		json.Unmarshal(b, &st)
	}
	for _, d := range st.Delivered {
		rep.FramesDelivered += d
	}
	rep.FramesStored, err = storedFrames(ctx, dsn, opt.Cameras)
	if err != nil {
		return nil, err
	}
	hours := float64(opt.Cameras) * rep.Vigil.Wall.Hours()
	rep.VigilCPUPerCameraHour = rep.Vigil.CPU.Seconds() / hours
	rep.VigilRSSPerCamera = rep.Vigil.MeanRSS / int64(opt.Cameras)
	os.RemoveAll(data)
	return rep, nil
}

func measure(ctx context.Context, pids []int, d time.Duration, progress io.Writer, name string) result {
	fmt.Fprintf(progress, "%s: measuring for %s\n", name, d)
	u := startUsage(pids)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	end := time.After(d)
	u.sample()
	for {
		select {
		case <-t.C:
			u.sample()
			continue
		case <-end:
		case <-ctx.Done():
		}
		break
	}
	return u.stop()
}

// benchSeed begins the detail of the records of what the benchmarks make
// for themselves: the account they act as, its token, a camera.
const benchSeed = "benchmark seed data"

// benchToken is a token of the account "bench", made (as Vigil, with its
// records) beside the server on dsn: the records wait in the outbox for
// the server's next drain, a few records outside anything measured.
func benchToken(ctx context.Context, dsn string) (string, error) {
	st, err := store.Open(ctx, dsn, nil)
	if err != nil {
		return "", err
	}
	defer st.Close()
	tok, hash := auth.NewToken()
	_, err = st.Update(ctx, func(tx *store.Store) error {
		// The administrator sees no footage; the benchmarks act as a
		// CCTV manager, who adds cameras and exports.
		u, err := tx.UserByName(ctx, "bench")
		if errors.Is(err, store.ErrNotFound) {
			admin, aerr := tx.UserByName(ctx, "admin")
			if aerr != nil {
				return aerr
			}
			hash, herr := auth.HashPassword(auth.RandomPassword())
			if herr != nil {
				return herr
			}
			u = identity.User{Username: "bench", PasswordHash: hash, OrganisationID: admin.OrganisationID, Role: "cctv_manager"}
			if err = tx.CreateUser(ctx, &u); err == nil {
				err = tx.Log(auditlog.System.Entry(auditlog.UserCreate,
					fmt.Sprintf("%s: user %s (%d), role %s", benchSeed, u.Username, u.ID, u.Role)))
			}
		}
		if err != nil {
			return err
		}
		exp := time.Now().Add(24 * time.Hour)
		t := identity.Token{UserID: u.ID, Name: "bench", Hash: hash, ExpiresAt: &exp}
		if err := tx.CreateToken(ctx, &t); err != nil {
			return err
		}
		return tx.Log(auditlog.System.Entry(auditlog.TokenCreate,
			fmt.Sprintf("%s: token %d %q of user %s until %s", benchSeed, t.ID, t.Name, u.Username, exp.UTC().Format(time.RFC3339))))
	})
	return tok, err
}

func call(ctx context.Context, method, url, token, body string) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return b, fmt.Errorf("bench: %s %s: %d %s", method, url, res.StatusCode, b)
	}
	return b, err
}

func awaitStates(ctx context.Context, base, token string, done func(map[string]int) bool, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		b, err := call(ctx, "GET", base+"/api/v1/cameras", token, "")
		if err != nil {
			return err
		}
		var cams []struct{ State string }
		json.Unmarshal(b, &cams)
		n := map[string]int{}
		for _, c := range cams {
			n[c.State]++
		}
		if done(n) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: cameras did not reach the expected state: %v", n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// scrapeSum sums every series of one metric.
func scrapeSum(ctx context.Context, base, token, name string) (float64, error) {
	b, err := call(ctx, "GET", base+"/metrics", token, "")
	if err != nil {
		return 0, err
	}
	var sum float64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum, nil
}

// scrapeDrops sums vigil_camera_dropped_total by reason.
func scrapeDrops(ctx context.Context, base, token string) (map[string]int64, error) {
	b, err := call(ctx, "GET", base+"/metrics", token, "")
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "vigil_camera_dropped_total{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `reason="`)
		reason, _, _ := strings.Cut(rest, `"`)
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		out[reason] += int64(v)
	}
	return out, nil
}

func storedFrames(ctx context.Context, dsn string, cameras int) (int64, error) {
	st, err := store.Open(ctx, dsn, nil)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	cams, err := st.ListCameras(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range cams {
		segs, err := st.SegmentsInRange(ctx, c.ID, time.Unix(0, 0), time.Now().Add(time.Hour))
		if err != nil {
			return 0, err
		}
		for _, s := range segs {
			frags, err := st.SegmentFragments(ctx, s.ID)
			if err != nil {
				return 0, err
			}
			for _, f := range frags {
				n += int64(f.Samples)
			}
		}
	}
	return n, nil
}

// Print writes the report for a person.
func (r *IngestReport) Print(w io.Writer) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	if r.Baseline != nil {
		fmt.Fprintf(w, "\nbaseline build (%s):", r.Baseline.Exe)
		r.Baseline.print(w, r.Cameras)
		fmt.Fprintf(w, "\nthis build (%s):", r.Exe)
	}
	r.VigilRun.print(w, r.Cameras)
	if r.Baseline != nil {
		fmt.Fprintf(w, "change: %.2f to %.2f CPU s per camera-hour (%+.0f%%), %.2f to %.2f MiB per camera (%+.0f%%)\n",
			r.Baseline.VigilCPUPerCameraHour, r.VigilCPUPerCameraHour, 100*(r.VigilCPUPerCameraHour/r.Baseline.VigilCPUPerCameraHour-1),
			mib(r.Baseline.VigilRSSPerCamera), mib(r.VigilRSSPerCamera), 100*(float64(r.VigilRSSPerCamera)/float64(r.Baseline.VigilRSSPerCamera)-1))
	}
	if m := r.MediaMTX; m != nil {
		fmt.Fprintf(w, "mediamtx: %.2f CPU s per camera-hour (%.0f%% of a core in all), %.2f MiB resident per camera (%.1f MiB in all, max %.1f), %.2f Mbit/s per camera written\n",
			r.MediaMTXCPUPerCameraHour, 100*m.CPU.Seconds()/m.Wall.Seconds(), mib(r.MediaMTXRSSPerCamera), mib(m.MeanRSS), mib(m.MaxRSS), r.MediaMTXMbitPerCamera)
		fmt.Fprintf(w, "ratio:  mediamtx uses %.1fx the CPU and %.1fx the memory per camera\n",
			r.MediaMTXCPUPerCameraHour/r.VigilCPUPerCameraHour, float64(r.MediaMTXRSSPerCamera)/float64(r.VigilRSSPerCamera))
	}
	if r.PeerCameras > 0 {
		fmt.Fprintf(w, "ffmpeg: %.2f CPU s per camera-hour, %.2f MiB resident per camera (%d processes)\n",
			r.PeerCPUPerCameraHour, mib(r.PeerRSSPerCamera), r.PeerCameras)
		fmt.Fprintf(w, "ratio:  ffmpeg uses %.1fx the CPU and %.1fx the memory per camera\n",
			r.PeerCPUPerCameraHour/r.VigilCPUPerCameraHour, float64(r.PeerRSSPerCamera)/float64(r.VigilRSSPerCamera))
	}
}

func (r *VigilRun) print(w io.Writer, cameras int) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	fmt.Fprintf(w, "\n%d cameras at %.2f Mbit/s each (received) for %s; the cameras' own process used %.0f%% of a core\n",
		cameras, r.MbitPerCamera, r.Vigil.Wall.Round(time.Second), 100*r.Cams.CPU.Seconds()/r.Cams.Wall.Seconds())
	fmt.Fprintf(w, "vigil:  %.2f CPU s per camera-hour (%.0f%% of a core in all), %.2f MiB resident per camera (%.1f MiB in all, max %.1f)\n",
		r.VigilCPUPerCameraHour, 100*r.Vigil.CPU.Seconds()/r.Vigil.Wall.Seconds(), mib(r.VigilRSSPerCamera), mib(r.Vigil.MeanRSS), mib(r.Vigil.MaxRSS))
	fmt.Fprintf(w, "frames: %d delivered by the cameras, %d stored, %d skipped before each session's first keyframe, %d dropped otherwise, %d unaccounted\n",
		r.FramesDelivered, r.FramesStored, r.FramesAwaitingKeyframe, r.FramesDroppedOther, r.FramesDelivered-r.FramesStored-r.FramesAwaitingKeyframe)
	if r.FramesDroppedOther > 0 {
		fmt.Fprintf(w, "        dropped by reason: %v\n", r.Drops)
	}
	fmt.Fprintf(w, "        %d camera sessions ended and were retried during the run\n", r.Reconnects)
}
