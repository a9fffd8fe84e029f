package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/simcam"
)

// LiveOptions configure "vigil bench live".
type LiveOptions struct {
	Cameras int
	Viewers int // spread evenly over the cameras
	// Measuring viewers read and time every packet; the rest are sinks
	// (see liveViewer). Negative: one per camera.
	Measuring int
	Duration  time.Duration
	Bitrate   int // bits per second of each camera
	Codec     string
	// Modes are the ways the server batches its reads from cameras
	// (see liveModes), each measured in a server of its own.
	Modes       []string
	PeerCameras int    // ffmpeg processes measured (0: min(Cameras, 10); -1: none)
	Dir         string // work folder; a temporary one if empty
	Exe         string // runs "bench live-server"; os.Executable if empty
}

// liveModes are the ways of batching reads from cameras a run can
// measure: the server's recording.read_batch and its flags.
var liveModes = map[string]struct {
	batch string
	args  []string
}{
	"auto":   {"100ms", nil},                            // the default: batched, paused while a camera has viewers
	"always": {"100ms", []string{"--batch-while-live"}}, // batched even for live viewers, as before
	"never":  {"0s", nil},
}

// LiveReport is what the run measured.
type LiveReport struct {
	Cameras, Viewers     int
	Bitrate              int
	Duration             time.Duration
	Runs                 []*LiveRun
	PeerCameras          int
	Peer                 result
	PeerCPUPerCameraHour float64
	PeerRSSPerCamera     int64
}

// LiveRun is one server's figures.
type LiveRun struct {
	Mode string
	// The server over three windows: its cameras recording with no
	// viewer, then with every viewer, then with every viewer and the
	// forwarding latency traced.
	Idle, Watched, Traced result
	// This process, the cameras and the viewers, in the Watched window.
	Load result
	// Others is the CPU the rest of the machine used (other processes,
	// the kernel's own threads) in the Watched and Traced windows, in
	// cores: the server shares two cores with this process and them.
	Others, OthersTraced float64
	// DiskMBps is what the whole machine wrote to disk in the Watched and
	// Traced windows, per second (the server's recordings among it): the
	// recorder writes on each camera's goroutine, which also forwards its
	// live packets.
	DiskMBps, DiskMBpsTraced float64
	CPUPerViewerHour         float64 // server CPU seconds, Watched minus Idle
	SysPerViewerHour         float64 // of which in the kernel
	RSSPerViewer             int64
	// Forward is the server's own latency: from the camera's packet read
	// off its socket to the write to a viewer returning.
	Forward Latency
	// EndToEnd is from the camera sending a frame to a viewer holding
	// all of it (its last packet received), over the Watched window.
	EndToEnd       Latency
	FramesExpected int64 // frames the measuring viewers' cameras sent in the window, once per viewer
	FramesReceived int64
	Unstamped      int64
	MbitPerViewer  float64 // video received by each measuring viewer
	MbitPerSink    float64 // SRTP received by each sink viewer
	// The server's garbage collections in the Watched window and what
	// it allocated, per second.
	GCs       int64
	AllocMBps float64
	// UDP packets the kernel dropped in the window for want of room in
	// a receiving socket: the viewers' (this process's), the server's.
	ViewerDrops, ServerDrops int64
	Connect                  time.Duration // to connect every viewer and see video at each
}

// Live runs the live view benchmark.
func Live(ctx context.Context, opt LiveOptions, progress io.Writer) (*LiveReport, error) {
	if opt.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opt.Exe = exe
	}
	if opt.Cameras < 1 || opt.Viewers < 0 {
		return nil, errors.New("bench: need at least one camera and no negative viewers")
	}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-live-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		opt.Dir = d
	}
	if len(opt.Modes) == 0 {
		opt.Modes = []string{"auto"}
	}
	for _, m := range opt.Modes {
		if _, ok := liveModes[m]; !ok {
			return nil, fmt.Errorf("bench: unknown read batching mode %q", m)
		}
	}
	if opt.PeerCameras == 0 {
		opt.PeerCameras = min(opt.Cameras, 10)
	}
	if opt.Measuring < 0 || opt.Measuring > opt.Viewers {
		opt.Measuring = min(opt.Cameras, opt.Viewers)
	}
	cd, ok := codec.ParseCodec(opt.Codec)
	if !ok {
		return nil, fmt.Errorf("bench: unknown codec %q", opt.Codec)
	}
	// The cameras and the viewers share one core at most, so that the
	// server, like a real one, has a core to itself whatever they do.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	// The cameras run here, with the viewers: what the server does is
	// then all in the server's process.
	cams, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: max(opt.Cameras, opt.PeerCameras), Codec: cd, Bitrate: opt.Bitrate, Stamp: true})
	if err != nil {
		return nil, err
	}
	camCtx, stopCams := context.WithCancel(context.Background())
	camDone := make(chan error, 1)
	go func() { camDone <- cams.Run(camCtx) }()
	defer func() { stopCams(); <-camDone }()

	rep := &LiveReport{Cameras: opt.Cameras, Viewers: opt.Viewers, Bitrate: opt.Bitrate, Duration: opt.Duration}
	for _, mode := range opt.Modes {
		run, err := liveRun(ctx, opt, mode, cams, progress)
		if err != nil {
			return rep, fmt.Errorf("bench: read batching %s: %w", mode, err)
		}
		rep.Runs = append(rep.Runs, run)
	}

	if opt.PeerCameras > 0 {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return rep, errors.New("bench: ffmpeg is not installed, so the peer cannot be measured (apt-get install ffmpeg)")
		}
		peerDir := filepath.Join(opt.Dir, "ffmpeg")
		os.MkdirAll(peerDir, 0o750)
		var pids []int
		var peers []*child
		defer func() {
			for _, c := range peers {
				c.stop(syscall.SIGINT)
			}
		}()
		for i := 1; i <= opt.PeerCameras; i++ {
			c, err := startChild("ffmpeg", []string{"-nostdin", "-v", "error", "-rtsp_transport", "tcp",
				"-i", cams.URL(i), "-c", "copy", "-f", "segment", "-segment_time", "60",
				"-segment_format", "mp4", "-reset_timestamps", "1", filepath.Join(peerDir, fmt.Sprintf("cam%d-%%05d.mp4", i))}, nil)
			if err != nil {
				return rep, err
			}
			peers = append(peers, c)
			pids = append(pids, c.cmd.Process.Pid)
		}
		if err := sleep(ctx, 5*time.Second); err != nil { // connect and settle, as for Vigil
			return rep, err
		}
		rep.Peer = measure(ctx, pids, opt.Duration, progress, "ffmpeg")
		for _, c := range peers {
			if c.cmd.ProcessState != nil || c.cmd.Process.Signal(syscall.Signal(0)) != nil {
				return rep, fmt.Errorf("bench: an ffmpeg stopped during the run:\n%s", c.log.String())
			}
		}
		rep.PeerCameras = opt.PeerCameras
		rep.PeerCPUPerCameraHour = rep.Peer.CPU.Seconds() / (float64(opt.PeerCameras) * rep.Peer.Wall.Hours())
		rep.PeerRSSPerCamera = rep.Peer.MeanRSS / int64(opt.PeerCameras)
	}
	return rep, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// liveServer is the server process and its command line.
type liveServer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr bytes.Buffer
	mu     sync.Mutex // guards stderr, written by exec's copier
}

func (s *liveServer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(p)
}

func (s *liveServer) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func startLiveServer(exe string, args, env []string) (*liveServer, error) {
	s := &liveServer{cmd: exec.Command(exe, append([]string{"bench", "live-server"}, args...)...)}
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stderr = s
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var err error
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.lines = bufio.NewScanner(out)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// command sends one command and decodes its answer into v.
func (s *liveServer) command(cmd string, v any) error {
	if _, err := io.WriteString(s.stdin, cmd+"\n"); err != nil {
		return err
	}
	if !s.lines.Scan() {
		return fmt.Errorf("bench: the server ended before answering %q:\n%s", cmd, s.log())
	}
	return json.Unmarshal(s.lines.Bytes(), v)
}

// stop ends the server as an operator would, closing its input first.
func (s *liveServer) stop() error {
	s.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		return <-done
	}
}

// liveRun measures one server.
func liveRun(ctx context.Context, opt LiveOptions, mode string, cams *simcam.Server, progress io.Writer) (*LiveRun, error) {
	run := &LiveRun{Mode: mode}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(opt.Dir, "vigil-"+mode)
	defer os.RemoveAll(data)
	srv, err := startLiveServer(opt.Exe, liveModes[mode].args, []string{
		"VIGIL_DATA=" + data, "VIGIL_HTTP=" + httpAddr, "VIGIL_LOG_LEVEL=warn", "VIGIL_LIVE_HOSTS=127.0.0.1",
		"VIGIL_ADMIN_PASSWORD=bench-only passphrase " + strconv.Itoa(os.Getpid()), "VIGIL_STORAGE_MIN_FREE=0",
		"VIGIL_READ_BATCH=" + liveModes[mode].batch,
		// The simulated cameras are on loopback, which cameras
		// otherwise may not be.
		"VIGIL_CAMERA_ALLOW=127.0.0.0/8",
	})
	if err != nil {
		return nil, err
	}
	defer srv.cmd.Process.Kill()
	if err := awaitDial(ctx, httpAddr); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, srv.log())
	}
	token, err := benchToken(ctx, filepath.Join(data, "vigil.db"))
	if err != nil {
		return nil, err
	}
	base := "http://" + httpAddr
	ids := make([]int64, opt.Cameras)
	for i := range ids {
		body := fmt.Sprintf(`{"name":"bench %d","url":%q}`, i+1, cams.URL(i+1))
		b, err := call(ctx, "POST", base+"/api/v1/cameras", token, body)
		if err != nil {
			return nil, err
		}
		var c struct{ ID int64 }
		if err := json.Unmarshal(b, &c); err != nil || c.ID == 0 {
			return nil, fmt.Errorf("bench: adding a camera answered %s", b)
		}
		ids[i] = c.ID
	}
	fmt.Fprintf(progress, "vigil (read batching %s): %d cameras added; waiting for all to record\n", mode, opt.Cameras)
	if err := awaitStates(ctx, base, token, func(n map[string]int) bool { return n["recording"] == opt.Cameras }, 90*time.Second); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, srv.log())
	}
	if err := sleep(ctx, 3*time.Second); err != nil { // settle: every camera past its first keyframe
		return nil, err
	}
	pid := []int{srv.cmd.Process.Pid}
	run.Idle = measure(ctx, pid, opt.Duration, progress, "vigil, no viewers")

	// The viewers: viewer i watches camera i mod Cameras, the first
	// Measuring of them measuring.
	var (
		e2e   hist
		e2eOn atomic.Bool
	)
	viewers := make([]*liveViewer, opt.Viewers)
	defer func() {
		lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, v := range viewers {
			if v != nil {
				v.leave(lctx, base, token)
			}
		}
	}()
	fmt.Fprintf(progress, "connecting %d viewers (%d measuring)\n", opt.Viewers, opt.Measuring)
	t0 := time.Now()
	sem := make(chan struct{}, 8) // as many WHEP exchanges at once
	errs := make(chan error, opt.Viewers)
	var wg sync.WaitGroup
	for i := range viewers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			v, err := watch(wctx, base, token, ids[i%opt.Cameras], i >= opt.Measuring, &e2e, &e2eOn)
			if err != nil {
				errs <- err
				return
			}
			viewers[i] = v
			select {
			case <-v.first:
			case <-wctx.Done():
				errs <- fmt.Errorf("bench: viewer %d of camera %d saw no video within 30 s", i+1, v.camera)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("%w\n%s", err, srv.log())
	}
	run.Connect = time.Since(t0)
	if err := sleep(ctx, 3*time.Second); err != nil {
		return nil, err
	}

	type tally struct{ frames, unstamped, bytes, sinkBytes int64 }
	counts := func() (t tally) {
		for _, v := range viewers {
			if v.conn.sink {
				t.sinkBytes += v.bytes.Load()
				continue
			}
			t.frames += v.frames.Load()
			t.unstamped += v.unstamped.Load()
			t.bytes += v.bytes.Load()
		}
		return t
	}
	gc := func() (n, alloc float64) {
		n, _ = scrapeSum(ctx, base, token, "go_gc_duration_seconds_count")
		alloc, _ = scrapeSum(ctx, base, token, "go_memstats_alloc_bytes_total")
		return n, alloc
	}
	gc0, alloc0 := gc()
	c0, vd0, sd0 := counts(), udpDrops(os.Getpid()), udpDrops(pid[0])
	e2eOn.Store(true)
	load, busy, disk := startUsage([]int{os.Getpid()}), machineBusy(), diskWritten()
	run.Watched = measure(ctx, pid, opt.Duration, progress, fmt.Sprintf("vigil, %d viewers", opt.Viewers))
	run.Load = load.stop()
	run.Others = others(busy, run.Watched, run.Load)
	run.DiskMBps = float64(diskWritten()-disk) / 1e6 / run.Watched.Wall.Seconds()
	e2eOn.Store(false)
	c1 := counts()
	run.ViewerDrops, run.ServerDrops = udpDrops(os.Getpid())-vd0, udpDrops(pid[0])-sd0
	gc1, alloc1 := gc()
	run.GCs, run.AllocMBps = int64(gc1-gc0), (alloc1-alloc0)/1e6/run.Watched.Wall.Seconds()
	run.EndToEnd = e2e.summary()
	run.FramesReceived, run.Unstamped = c1.frames-c0.frames, c1.unstamped-c0.unstamped
	run.FramesExpected = int64(float64(opt.Measuring) * run.Watched.Wall.Seconds() * cams.Clip().FPS())
	secs := run.Watched.Wall.Seconds()
	if opt.Measuring > 0 {
		run.MbitPerViewer = float64(c1.bytes-c0.bytes) * 8 / 1e6 / secs / float64(opt.Measuring)
	}
	if n := opt.Viewers - opt.Measuring; n > 0 {
		run.MbitPerSink = float64(c1.sinkBytes-c0.sinkBytes) * 8 / 1e6 / secs / float64(n)
	}
	if opt.Viewers > 0 {
		// The server's share of a core the viewers added, for an hour,
		// shared among them.
		added := run.Watched.CPU.Seconds()/run.Watched.Wall.Seconds() - run.Idle.CPU.Seconds()/run.Idle.Wall.Seconds()
		run.CPUPerViewerHour = added * time.Hour.Seconds() / float64(opt.Viewers)
		sys := run.Watched.Sys.Seconds()/run.Watched.Wall.Seconds() - run.Idle.Sys.Seconds()/run.Idle.Wall.Seconds()
		run.SysPerViewerHour = sys * time.Hour.Seconds() / float64(opt.Viewers)
		run.RSSPerViewer = (run.Watched.MeanRSS - run.Idle.MeanRSS) / int64(opt.Viewers)
	}

	var ok map[string]any
	if err := srv.command("trace start", &ok); err != nil {
		return nil, err
	}
	load, busy, disk = startUsage([]int{os.Getpid()}), machineBusy(), diskWritten()
	run.Traced = measure(ctx, pid, opt.Duration, progress, "vigil, viewers, forwarding traced")
	run.OthersTraced = others(busy, run.Traced, load.stop())
	run.DiskMBpsTraced = float64(diskWritten()-disk) / 1e6 / run.Traced.Wall.Seconds()
	if err := srv.command("trace stop", &run.Forward); err != nil {
		return nil, err
	}
	for i, v := range viewers {
		if err, _ := v.readErr.Load().(error); err != nil {
			return nil, fmt.Errorf("bench: viewer %d stopped receiving: %v", i+1, err)
		}
	}
	for i, v := range viewers {
		v.leave(ctx, base, token)
		viewers[i] = nil
	}
	if err := srv.stop(); err != nil {
		return nil, fmt.Errorf("bench: the server exited badly: %w\n%s", err, srv.log())
	}
	return run, nil
}

// others is the CPU, in cores, the machine spent in a window beyond the
// server's and this process's, from the machine's busy time at its start.
func others(busy0 time.Duration, server, self result) float64 {
	d := machineBusy() - busy0 - server.CPU - self.CPU
	return max(d.Seconds(), 0) / server.Wall.Seconds()
}

// udpDrops sums the packets the kernel dropped at a process's UDP
// sockets, for want of room in them, since each socket opened.
func udpDrops(pid int) int64 {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if ino, ok := strings.CutPrefix(l, "socket:["); ok && err == nil {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	var n int64
	for _, table := range []string{"udp", "udp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		// sl local rem st queues tr retrnsmt uid timeout inode ref pointer drops
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) >= 13 && inodes[f[9]] {
				d, _ := strconv.ParseInt(f[12], 10, 64)
				n += d
			}
		}
	}
	return n
}

// Print writes the report for a person.
func (r *LiveReport) Print(w io.Writer) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(w, "\n%d viewers over %d cameras at %.1f Mbit/s, windows of %s\n", r.Viewers, r.Cameras, float64(r.Bitrate)/1e6, r.Duration)
	for _, run := range r.Runs {
		fmt.Fprintf(w, "\nread batching %s:\n", run.Mode)
		fmt.Fprintf(w, "  server CPU: %.1f%% of a core with no viewer, %.1f%% with %d, %.1f%% traced; memory %.1f MiB, %.1f MiB\n",
			100*run.Idle.CPU.Seconds()/run.Idle.Wall.Seconds(), 100*run.Watched.CPU.Seconds()/run.Watched.Wall.Seconds(), r.Viewers,
			100*run.Traced.CPU.Seconds()/run.Traced.Wall.Seconds(), mib(run.Idle.MeanRSS), mib(run.Watched.MeanRSS))
		fmt.Fprintf(w, "  per viewer: %.2f CPU s per viewer-hour, %.2f MiB resident; %.2f Mbit/s of video received by each measuring viewer, %.2f Mbit/s of SRTP by each sink\n",
			run.CPUPerViewerHour, mib(run.RSSPerViewer), run.MbitPerViewer, run.MbitPerSink)
		fmt.Fprintf(w, "  of which in the kernel: %.2f CPU s per viewer-hour (%.0f%%); the server allocated %.1f MB/s and collected garbage %d times in the window\n",
			run.SysPerViewerHour, 100*run.SysPerViewerHour/run.CPUPerViewerHour, run.AllocMBps, run.GCs)
		fmt.Fprintf(w, "  cameras and viewers (this process): %.1f%% of a core; the rest of the machine: %.0f%% of a core (%.0f%% while traced); the machine wrote %.0f MB/s to disk (%.0f MB/s)\n",
			100*run.Load.CPU.Seconds()/run.Load.Wall.Seconds(), 100*run.Others, 100*run.OthersTraced, run.DiskMBps, run.DiskMBpsTraced)
		f := run.Forward
		fmt.Fprintf(w, "  forwarding (read off the camera's socket -> written to the viewer): p50 %s, p90 %s, p99 %s, p99.9 %s, max %s over %d packets\n",
			ms(f.P50), ms(f.P90), ms(f.P99), ms(f.P999), ms(f.Max), f.Count)
		e := run.EndToEnd
		fmt.Fprintf(w, "  end to end (camera sends a frame -> viewer has all of it): p50 %s, p90 %s, p99 %s, max %s over %d frames\n",
			ms(e.P50), ms(e.P90), ms(e.P99), ms(e.Max), e.Count)
		fmt.Fprintf(w, "  frames: %d of %d expected reached the measuring viewers (%d without a stamp); UDP packets dropped by full sockets: %d at the viewers, %d at the server; connecting all took %s\n",
			run.FramesReceived, run.FramesExpected, run.Unstamped, run.ViewerDrops, run.ServerDrops, run.Connect.Round(time.Millisecond))
	}
	if r.PeerCameras > 0 {
		fmt.Fprintf(w, "\nffmpeg -c copy recording one camera: %.2f CPU s per camera-hour, %.1f MiB resident (%d processes)\n",
			r.PeerCPUPerCameraHour, mib(r.PeerRSSPerCamera), r.PeerCameras)
		for _, run := range r.Runs {
			fmt.Fprintf(w, "ratio (read batching %s): one viewer costs %.2fx the CPU of one ffmpeg (target: under 0.10x)\n",
				run.Mode, run.CPUPerViewerHour/r.PeerCPUPerCameraHour)
		}
	}
}
