// Package simcam serves simulated IP cameras over RTSP from short clips
// kept in the repository, looped with continuous timestamps, so the demo,
// the tests and the benchmarks have cameras without hardware. Each camera
// can be made to misbehave on purpose (drop its connections, stall, send
// corrupt packets) to prove the recorder survives it.
package simcam

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/mp4"
	"github.com/vigil-cctv/vigil/internal/rtsp"
)

//go:embed clips/h264.mp4 clips/h265.mp4
var clips embed.FS

// Options configure the simulated cameras.
type Options struct {
	Listen string // e.g. "127.0.0.1:8554"
	Count  int
	Codec  codec.Codec
	// Username and Password, when set, require Digest authentication.
	Username, Password string
	// Bitrate, when above the clip's own, pads every frame with filler
	// data to reach it (bits per second).
	Bitrate int
	// Stamp writes into each frame's filler data the time the camera sent
	// the frame (see ReadStamp), so a receiver anywhere down the line can
	// measure the latency from the camera. It needs filler: a Bitrate
	// above the clip's own.
	Stamp  bool
	Faults Faults
	Logger *slog.Logger
}

// Faults make cameras misbehave on a schedule; zero values mean never.
type Faults struct {
	DropEvery    time.Duration // close every session's connection
	StallEvery   time.Duration // stop sending ...
	StallFor     time.Duration // ... for this long
	CorruptEvery int           // replace every Nth packet with garbage
}

// Clip is a looped source: its access units, parameter sets and timing.
type Clip struct {
	Codec    codec.Codec
	Params   codec.Params
	Units    [][][]byte // NAL units of each frame, decode order
	Keyframe []bool
	FrameDur uint32 // 90 kHz ticks per frame
	Bytes    int    // total size of the frames
}

// LoadClip reads an embedded clip.
func LoadClip(c codec.Codec) (*Clip, error) {
	name := "clips/h264.mp4"
	if c == codec.H265 {
		name = "clips/h265.mp4"
	}
	b, err := clips.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return ParseClip(c, b)
}

// ParseClip reads a clip from a plain MP4 in memory.
func ParseClip(c codec.Codec, b []byte) (*Clip, error) {
	r := bytes.NewReader(b)
	track, samples, err := mp4.ReadProgressive(r, int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("simcam: clip: %w", err)
	}
	params, err := codec.ParseDecoderConfig(c, track.Config)
	if err != nil {
		return nil, fmt.Errorf("simcam: clip parameter sets: %w", err)
	}
	if len(samples) == 0 || !samples[0].Keyframe {
		return nil, errors.New("simcam: clip must start with a keyframe")
	}
	cl := &Clip{Codec: c, Params: params}
	var total uint64
	for _, s := range samples {
		nalus, err := codec.SplitAVCC(b[s.Offset : s.Offset+int64(s.Size)])
		if err != nil {
			return nil, fmt.Errorf("simcam: clip sample: %w", err)
		}
		var keep [][]byte
		for _, n := range nalus {
			if !codec.IsParameterSet(c, n) {
				keep = append(keep, n)
			}
		}
		cl.Units = append(cl.Units, keep)
		cl.Keyframe = append(cl.Keyframe, s.Keyframe)
		cl.Bytes += int(s.Size)
		total += uint64(s.Duration)
	}
	cl.FrameDur = uint32(total * 90000 / uint64(track.Timescale) / uint64(len(samples)))
	return cl, nil
}

// FPS is the clip's frame rate.
func (c *Clip) FPS() float64 { return 90000 / float64(c.FrameDur) }

// Server is a set of simulated cameras on one RTSP server.
type Server struct {
	opt     Options
	clip    *Clip
	srv     *rtsp.Server
	cams    []*camera
	started chan struct{}
}

type camera struct {
	index     int
	stream    *rtsp.Stream
	pack      *codec.Packetizer
	stall     atomic.Int64 // unix nanos until which the camera is silent
	frames    atomic.Int64 // frames sent
	delivered atomic.Int64 // frames sent while a client was playing
	sent      atomic.Int64 // packets sent
}

// New prepares the cameras and binds the listener.
func New(opt Options) (*Server, error) {
	if opt.Count < 1 {
		return nil, errors.New("simcam: count must be at least 1")
	}
	if opt.Codec == 0 {
		opt.Codec = codec.H264
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	clip, err := LoadClip(opt.Codec)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, clip: clip, started: make(chan struct{})}
	for i := 1; i <= opt.Count; i++ {
		pack := codec.NewPacketizer(opt.Codec, 96, rand.Uint32(), 1400)
		st := rtsp.NewStream(rtsp.StreamMedia{
			EncodingName: opt.Codec.String(), PayloadType: 96, ClockRate: 90000,
			Fmtp: pack.SDPFmtp(clip.Params),
		})
		s.cams = append(s.cams, &camera{index: i, stream: st, pack: pack})
	}
	srv, err := rtsp.NewServer(rtsp.ServerConfig{
		Listen:   opt.Listen,
		Username: opt.Username,
		Password: opt.Password,
		Logger:   opt.Logger,
		Lookup: func(path string) (*rtsp.Stream, bool) {
			var n int
			if _, err := fmt.Sscanf(path, "/cam/%d", &n); err != nil || n < 1 || n > len(s.cams) {
				return nil, false
			}
			return s.cams[n-1].stream, true
		},
	})
	if err != nil {
		return nil, err
	}
	s.srv = srv
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.srv.Addr() }

// URL is camera n's address (1-based).
func (s *Server) URL(n int) string { return fmt.Sprintf("rtsp://%s/cam/%d", s.srv.Addr(), n) }

// Clip is the clip the cameras loop.
func (s *Server) Clip() *Clip { return s.clip }

// FramesSent counts the frames camera n has sent.
func (s *Server) FramesSent(n int) int64 { return s.cams[n-1].frames.Load() }

// FramesDelivered counts the frames camera n sent while a client played it.
func (s *Server) FramesDelivered(n int) int64 { return s.cams[n-1].delivered.Load() }

// Sessions is how many clients play camera n now.
func (s *Server) Sessions(n int) int { return s.cams[n-1].stream.Sessions() }

// Count is the number of cameras.
func (s *Server) Count() int { return len(s.cams) }

// Drop closes every session of camera n.
func (s *Server) Drop(n int) { s.cams[n-1].stream.DropSessions() }

// Stall silences camera n for d.
func (s *Server) Stall(n int, d time.Duration) {
	s.cams[n-1].stall.Store(time.Now().Add(d).UnixNano())
}

// Run serves until ctx ends. The cameras stop sending first and the
// server lingers a moment, so packets already queued to clients reach
// them: a count of frames sent is then a count of frames delivered.
func (s *Server) Run(ctx context.Context) error {
	playCtx, stopPlay := context.WithCancel(ctx)
	defer stopPlay()
	srvCtx, stopSrv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSrv()
	var players sync.WaitGroup
	for _, c := range s.cams {
		players.Go(func() { s.play(playCtx, c) })
	}
	if f := s.opt.Faults; f.DropEvery > 0 || f.StallEvery > 0 {
		players.Go(func() { s.faults(playCtx) })
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- s.srv.Run(srvCtx) }()
	var err error
	select {
	case <-ctx.Done():
		stopPlay()
		players.Wait()
		select {
		case err = <-srvDone:
		case <-time.After(lingerTime):
			stopSrv()
			err = <-srvDone
		}
	case err = <-srvDone:
		stopPlay()
		players.Wait()
	}
	for _, c := range s.cams {
		c.stream.Close()
	}
	return err
}

// lingerTime is how long the server keeps sending queued packets after
// the cameras stop.
const lingerTime = time.Second

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Every camera sends on a schedule fixed to the wall clock: camera n sends
// frame number g of its life at phase(n) + g × frame duration after the
// Unix epoch, and frame g is the clip's frame g mod the clip's length. The
// clip has its frame number burnt in, so the picture itself tells when it
// left the camera, to within the clip's length: a glass-to-glass clock for
// the browser tests, and a known answer for "what did camera n show at
// instant t" in the playback tests, with no process having to ask another.
// Cameras are staggered within a frame, as real ones are.

func (c *Clip) frameDuration() time.Duration {
	return time.Duration(c.FrameDur) * time.Second / 90000
}

func (c *Clip) phase(n int) time.Duration {
	return time.Duration((int64(n-1) * 7919) % int64(c.frameDuration()/time.Microsecond) * int64(time.Microsecond))
}

// frameNumber is the number of the frame camera n sent last at or before t.
func (c *Clip) frameNumber(n int, t time.Time) int64 {
	d := t.UnixNano() - int64(c.phase(n))
	fd := int64(c.frameDuration())
	g := d / fd
	if d%fd < 0 {
		g--
	}
	return g
}

func (c *Clip) due(n int, g int64) time.Time {
	return time.Unix(0, int64(c.phase(n))+g*int64(c.frameDuration()))
}

// FrameAt is the clip frame (0-based, as burnt into the picture) that
// camera n sends last at or before t.
func (c *Clip) FrameAt(n int, t time.Time) int {
	g := c.frameNumber(n, t) % int64(len(c.Units))
	if g < 0 {
		g += int64(len(c.Units))
	}
	return int(g)
}

// SentAt is when camera n last sent clip frame i at or before t.
func (c *Clip) SentAt(n, i int, t time.Time) time.Time {
	g := c.frameNumber(n, t)
	back := (int64(c.FrameAt(n, t)) - int64(i) + int64(len(c.Units))) % int64(len(c.Units))
	return c.due(n, g-back)
}

// play sends one camera's frames in real time, forever, the clip looped
// with timestamps that keep counting.
func (s *Server) play(ctx context.Context, c *camera) {
	clip := s.clip
	// The schedule is the wall clock's (see FrameAt), so the frame number
	// burnt into the picture tells when the frame was sent.
	g0 := clip.frameNumber(c.index, time.Now()) + 1
	ts0 := rand.Uint32()
	filler := 0
	if s.opt.Bitrate > 0 {
		want := float64(s.opt.Bitrate) / 8 / clip.FPS()
		have := float64(clip.Bytes) / float64(len(clip.Units))
		filler = int(want - have)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	var pktCount int
	for k := 0; ; k++ {
		g := g0 + int64(k)
		due := clip.due(c.index, g)
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if until := c.stall.Load(); until != 0 && time.Now().UnixNano() < until {
			continue // a stalled camera sends nothing, but its clock runs on
		}
		i := int(g % int64(len(clip.Units)))
		nalus := clip.Units[i]
		if clip.Keyframe[i] {
			// Parameter sets in band before every keyframe, as cameras do.
			ps := [][]byte{}
			if clip.Codec == codec.H265 {
				ps = append(ps, clip.Params.VPS)
			}
			ps = append(ps, clip.Params.SPS, clip.Params.PPS)
			nalus = append(ps, nalus...)
		}
		if filler >= 3 {
			f := codec.FillerNALU(clip.Codec, filler)
			if s.opt.Stamp {
				stamp(f, time.Now())
			}
			nalus = append(nalus[:len(nalus):len(nalus)], f)
		}
		ts := ts0 + uint32(k)*clip.FrameDur
		c.stream.SetClock(ts, due)
		for _, p := range c.pack.Packetize(codec.AccessUnit{Timestamp: ts, NALUs: nalus, Keyframe: clip.Keyframe[i]}) {
			pktCount++
			if n := s.opt.Faults.CorruptEvery; n > 0 && pktCount%n == 0 {
				p = corrupt(p, pktCount)
			}
			c.stream.WriteRTP(p)
			c.sent.Add(1)
		}
		c.frames.Add(1)
		if c.stream.Sessions() > 0 {
			c.delivered.Add(1)
		}
	}
}

// A stamp is stampMagic and the send time in Unix nanoseconds as 16 hex
// digits, repeated through the body of a filler NAL unit, so that every
// RTP packet carrying a piece of the filler longer than two stamps holds
// a whole one, however the unit is fragmented. Neither holds a zero byte,
// so no start code can appear.
var stampMagic = []byte("~VGL")

const stampLen = 4 + 16

// stamp writes at into filler NAL unit f, between its header and its
// trailing bits.
func stamp(f []byte, at time.Time) {
	var rec [stampLen]byte
	copy(rec[:], stampMagic)
	const hex = "0123456789abcdef"
	v := uint64(at.UnixNano())
	for i := stampLen - 1; i >= len(stampMagic); i-- {
		rec[i] = hex[v&0xf]
		v >>= 4
	}
	for i := 2; i+stampLen < len(f); i += stampLen {
		copy(f[i:], rec[:])
	}
}

// ReadStamp finds a camera's send time (Options.Stamp) in an RTP payload.
func ReadStamp(payload []byte) (time.Time, bool) {
	for {
		i := bytes.Index(payload, stampMagic)
		if i < 0 || len(payload)-i < stampLen {
			return time.Time{}, false
		}
		var v uint64
		ok := true
		for _, c := range payload[i+len(stampMagic) : i+stampLen] {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | uint64(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | uint64(c-'a'+10)
			default:
				ok = false
			}
		}
		if ok {
			return time.Unix(0, int64(v)), true
		}
		payload = payload[i+1:]
	}
}

// corrupt replaces a packet's payload with one of the malformations a
// broken camera sends.
func corrupt(p *rtp.Packet, n int) *rtp.Packet {
	q := *p
	switch n % 4 {
	case 0: // forbidden_zero_bit set
		q.Payload = append([]byte{0x80 | p.Payload[0]}, p.Payload[1:]...)
	case 1: // an aggregation packet whose length runs past the end
		q.Payload = []byte{24, 0xff, 0xff, 1, 2, 3}
	case 2: // a fragment with neither start nor a unit in progress
		q.Payload = []byte{28, 0x05, 9, 9, 9}
	default: // noise
		b := make([]byte, 1+rand.IntN(64))
		for i := range b {
			b[i] = byte(rand.Uint32())
		}
		q.Payload = b
	}
	return &q
}

func (s *Server) faults(ctx context.Context) {
	f := s.opt.Faults
	var drop, stall <-chan time.Time
	if f.DropEvery > 0 {
		t := time.NewTicker(f.DropEvery)
		defer t.Stop()
		drop = t.C
	}
	if f.StallEvery > 0 {
		t := time.NewTicker(f.StallEvery)
		defer t.Stop()
		stall = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-drop:
			for i := range s.cams {
				s.Drop(i + 1)
			}
		case <-stall:
			for i := range s.cams {
				s.Stall(i+1, f.StallFor)
			}
		}
	}
}
