package transcode

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/live"
)

// errParamsChanged ends a process whose input's parameter sets changed:
// an MP4 stream cannot change its sample entry.
var errParamsChanged = errors.New("transcode: the camera's parameters changed")

// args is ffmpeg's command line.
//
// In: fragmented MP4 from live.FMP4, one fragment per frame, which gives
// every frame its time; a raw H.265 stream has none, and would make the
// parser hold each frame until the next began. No probing ahead, and no
// frame-threaded decoding (-flags low_delay), which holds a frame back
// per thread.
//
// Out: FLV, whose tags frame each H.264 access unit with its time as
// soon as it is encoded; a raw H.264 stream would again only end a frame
// when the next began. -copyts keeps the input's times, so that each
// output frame is matched to the camera frame it came from and carries
// the camera's own timestamp. x264 with zerolatency holds no frame
// back; a keyframe every two seconds of video lets a new viewer start
// soon whatever the frame rate (-g only bounds it in frames).
func (t *Transcoder) args() []string {
	return []string{
		"-hide_banner", "-loglevel", "error", "-nostats",
		"-probesize", "32", "-analyzeduration", "0", "-flags", "low_delay",
		"-f", "mp4", "-i", "pipe:0",
		"-an", "-sn", "-dn", "-copyts",
		"-vf", fmt.Sprintf("scale=-2:'min(%d,ih)'", t.opt.MaxHeight), "-pix_fmt", "yuv420p",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
		"-g", "120", "-force_key_frames", "expr:gte(t,n_forced*2)",
		"-flush_packets", "1", "-flvflags", "no_duration_filesize",
		"-f", "flv", "pipe:1",
	}
}

// runProcess runs one ffmpeg until it ends. It returns the frame to
// start the next process with when the camera's parameters changed, and
// nil, nil when the run was stopped.
func (r *run) runProcess(sub *live.FrameSubscriber, out *output, first *live.Frame) (*live.Frame, error) {
	ctx, kill := context.WithCancel(r.ctx)
	defer kill()
	cmd := exec.CommandContext(ctx, r.t.opt.Command, r.t.args()...)
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("transcode: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("transcode: starting %s: %w", r.t.opt.Command, err)
	}
	started := time.Now()
	r.cmdMu.Lock()
	r.cmd = cmd
	r.cmdMu.Unlock()

	var wg sync.WaitGroup
	tail := &lastLines{}
	wg.Go(func() { r.logStderr(stderr, tail) })
	feedCtx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	st := &stamps{}
	var next *live.Frame
	var feedErr error
	wg.Go(func() {
		next, feedErr = feed(feedCtx, sub, first, stdin, st)
		stdin.Close()
	})
	var stalled error
	stallCheck := time.NewTicker(max(r.t.opt.StallTimeout/4, 10*time.Millisecond))
	defer stallCheck.Stop()
	wg.Go(func() {
		for {
			select {
			case <-feedCtx.Done():
				return
			case <-stallCheck.C:
				if age := st.oldest(); age > r.t.opt.StallTimeout {
					stalled = fmt.Errorf("it turned no frame into video for %s", r.t.opt.StallTimeout)
					kill()
					return
				}
			}
		}
	})
	readErr := out.read(stdout, st)
	if readErr != nil {
		kill()
	}
	// ffmpeg has closed its output: it is ending, or has ended.
	stopFeed()
	safety := time.AfterFunc(10*time.Second, kill)
	wg.Wait()
	waitErr := cmd.Wait()
	safety.Stop()
	if ps := cmd.ProcessState; ps != nil {
		wall := time.Since(started)
		cpu := ps.UserTime() + ps.SystemTime()
		r.t.log.Info("live transcoder process ended", "ran", wall.Round(time.Millisecond),
			"cpu", cpu.Round(time.Millisecond), "cpu_percent", fmt.Sprintf("%.1f", 100*cpu.Seconds()/max(wall.Seconds(), 1e-3)))
	}
	switch {
	case r.ctx.Err() != nil:
		return nil, nil
	case errors.Is(feedErr, errParamsChanged) && readErr == nil:
		return next, nil
	case errors.Is(feedErr, live.ErrClosed):
		return nil, errSourceEnded
	}
	why := waitErr
	if stalled != nil {
		why = stalled
	} else if readErr != nil {
		why = readErr
	} else if why == nil {
		why = errors.New("it ended its output")
	}
	if msg := tail.String(); msg != "" {
		return nil, fmt.Errorf("transcode: ffmpeg stopped: %v: %s", why, msg)
	}
	return nil, fmt.Errorf("transcode: ffmpeg stopped: %v", why)
}

// feed writes the camera's frames to ffmpeg as fragmented MP4, noting
// each frame's time, until the subscription or ctx ends or the
// parameters change (then returning the frame with the new ones).
func feed(ctx context.Context, sub *live.FrameSubscriber, first *live.Frame, w io.Writer, st *stamps) (*live.Frame, error) {
	mux := live.NewFMP4()
	begun := false
	f := first
	for {
		if f == nil {
			var err error
			if f, err = sub.Next(ctx); err != nil {
				return nil, err
			}
		}
		if !begun && !f.Keyframe {
			f = nil // a process starts at a keyframe
			continue
		}
		dts := mux.DecodeTime()
		init, frag, err := mux.Write(f)
		if err != nil {
			return nil, err
		}
		if init != nil {
			if begun {
				return f, errParamsChanged
			}
			if _, err := w.Write(init.Data); err != nil {
				return nil, err
			}
		}
		begun = true
		st.push(dts, f.Timestamp)
		if _, err := w.Write(frag); err != nil {
			return nil, err
		}
		f = nil
	}
}

// logStderr passes ffmpeg's messages to the log, keeping the last few
// for the error that ends a failed process.
func (r *run) logStderr(rd io.Reader, tail *lastLines) {
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		tail.add(line)
		r.t.log.Warn("ffmpeg", "message", line)
	}
}

// lastLines keeps the last lines of a process's error output.
type lastLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *lastLines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(s) > 300 {
		s = s[:300]
	}
	l.lines = append(l.lines, s)
	if len(l.lines) > 3 {
		l.lines = l.lines[1:]
	}
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "; ")
}

// stamps matches ffmpeg's output frames to the camera frames they came
// from: each input frame's decode time, in the milliseconds FLV gives,
// with the camera's RTP timestamp.
type stamps struct {
	mu sync.Mutex
	q  []stamp
}

type stamp struct {
	ms   int64
	rtp  uint32
	from time.Time // when it was given to ffmpeg
}

// maxStamps bounds the frames awaiting their output; ffmpeg holds a few.
const maxStamps = 512

func (s *stamps) push(dts uint64, rtp uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Rounded as ffmpeg rescales from 90 kHz to milliseconds.
	s.q = append(s.q, stamp{ms: int64((dts + 45) / 90), rtp: rtp, from: time.Now()})
	if len(s.q) > maxStamps {
		s.q = s.q[len(s.q)-maxStamps:]
	}
}

// oldest returns how long the oldest frame given to ffmpeg has waited
// for its output, or 0.
func (s *stamps) oldest() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.q) == 0 {
		return 0
	}
	return time.Since(s.q[0].from)
}

// stampSlack is how far an output time may be from its input's; frames
// are further apart than that only above 10 fps, and ffmpeg keeps the
// milliseconds exact with -copyts anyway.
const stampSlack = 50

// match returns the RTP timestamp of the input frame nearest ms and
// forgets it and those before, which ffmpeg has dropped (the leading
// pictures it cannot decode, say).
func (s *stamps) match(ms int64) (uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, bestD := -1, int64(stampSlack+1)
	for i, e := range s.q {
		d := e.ms - ms
		if d > stampSlack {
			break
		}
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		i := 0
		for i < len(s.q) && s.q[i].ms < ms-stampSlack {
			i++
		}
		s.q = s.q[i:]
		return 0, false
	}
	ts := s.q[best].rtp
	s.q = s.q[best+1:]
	return ts, true
}

// output turns ffmpeg's H.264 into RTP packets for the view's hub, which
// it makes at the first keyframe. It outlives processes, so that viewers
// see one stream across a restart.
type output struct {
	r      *run
	pz     *codec.Packetizer
	params codec.Params
	last   struct {
		valid bool
		ms    int64
		rtp   uint32
	}
}

func newOutput(r *run) *output {
	return &output{r: r, pz: codec.NewPacketizer(codec.H264, 96, rand.Uint32(), 1200), params: codec.Params{Codec: codec.H264}}
}

// read reads one process's FLV to its end.
func (o *output) read(rd io.Reader, st *stamps) error {
	fr := newFLVReader(rd)
	var unwrap codec.Unwrapper
	// Each process's times start again at 0.
	o.last.valid = false
	for {
		tag, err := fr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch tag.packetType {
		case flvSequenceHeader:
			p, err := codec.ParseDecoderConfig(codec.H264, tag.data)
			if err != nil || !p.Complete() {
				return fmt.Errorf("transcode: ffmpeg's H.264 configuration: %v", err)
			}
			o.params = codec.Params{Codec: codec.H264}
			o.params.Update(p.SPS)
			o.params.Update(p.PPS)
		case flvNALUs:
			if err := o.frame(tag, unwrap.Unwrap(tag.ms), st); err != nil {
				return err
			}
		}
	}
}

// frame sends one H.264 access unit to the hub.
func (o *output) frame(tag flvTag, ms int64, st *stamps) error {
	nalus, err := codec.SplitAVCC(tag.data)
	if err != nil {
		return fmt.Errorf("transcode: ffmpeg's output: %w", err)
	}
	key := tag.keyframe
	hasSets := false
	for _, u := range nalus {
		key = key || codec.IsKeyframe(codec.H264, u)
		hasSets = hasSets || codec.IsParameterSet(codec.H264, u)
	}
	if !o.params.Complete() {
		return errors.New("transcode: ffmpeg sent video before its configuration")
	}
	if key && !hasSets {
		// x264 puts them in the configuration only; every keyframe
		// carries them here, so that any viewer can start there.
		nalus = append([][]byte{o.params.SPS, o.params.PPS}, nalus...)
	}
	ts, ok := st.match(ms)
	if !ok {
		if !o.last.valid {
			return nil // nothing to time it by
		}
		ts = o.last.rtp + uint32((ms-o.last.ms)*90)
	}
	o.last.valid, o.last.ms, o.last.rtp = true, ms, ts
	r := o.r
	if r.hub == nil {
		if !key {
			return nil
		}
		r.hub = live.NewHub("H264", o.pz.SDPFmtp(o.params))
	}
	for _, p := range o.pz.Packetize(codec.AccessUnit{Timestamp: ts, NALUs: nalus, Keyframe: key}) {
		r.hub.WriteRTP(p)
	}
	if !r.isReady() {
		close(r.ready)
	}
	return nil
}
