package ingest

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/simcam"
)

type countingSink struct{ frames, bytes int }

func (s *countingSink) WriteFrame(f *Frame) error {
	s.frames++
	for _, n := range f.NALUs {
		s.bytes += len(n)
	}
	return nil
}
func (s *countingSink) StreamEnded(error)           {}
func (s *countingSink) ClockOffset(d time.Duration) {}

// BenchmarkHandler measures a camera's goroutine from RTP packet to the
// sink's WriteFrame: reordering, the live hub without viewers,
// depacketizing and timing. One op is one frame of the clip padded with
// filler to 20 KB (4 Mbit/s at 25 fps), in packets of 1,400 bytes.
func BenchmarkHandler(b *testing.B) {
	clip, err := simcam.LoadClip(codec.H264)
	if err != nil {
		b.Fatal(err)
	}
	pz := codec.NewPacketizer(codec.H264, 96, 1, 1400)
	var frames [][]*rtp.Packet
	for i, units := range clip.Units {
		size := 0
		for _, u := range units {
			size += len(u)
		}
		au := codec.AccessUnit{Timestamp: uint32(i * 3600), NALUs: append(units[:len(units):len(units)], codec.FillerNALU(codec.H264, 20000-size))}
		frames = append(frames, pz.Packetize(au))
	}
	sink := &countingSink{}
	params := clip.Params
	h := &handler{
		hub:    live.NewHub("H264", ""),
		cam:    New(Options{ID: 1}, sink),
		codec:  codec.H264,
		params: &params,
		depack: codec.NewDepacketizer(codec.H264),
		reord:  codec.NewReorderer(128),
		first:  true,
	}
	var seq uint16
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ts := uint32(i * 3600)
		now := time.Now()
		for _, p := range frames[i%len(frames)] {
			p.SequenceNumber, p.Timestamp = seq, ts
			seq++
			h.HandleRTP(p, now)
		}
	}
	if sink.frames < b.N-2 {
		b.Fatalf("got %d frames, want %d", sink.frames, b.N)
	}
}

type atomicSink struct{ frames atomic.Int64 }

func (s *atomicSink) WriteFrame(f *Frame) error   { s.frames.Add(1); return nil }
func (s *atomicSink) StreamEnded(error)           {}
func (s *atomicSink) ClockOffset(d time.Duration) {}

// BenchmarkIdleCameras measures what each of 50 cameras streaming at
// 4 Mbit/s from simulated cameras in this process costs in heap, stacks
// and goroutines once connected, between frames (the simulated cameras'
// own sessions included: compare builds, not absolute figures).
// VIGIL_BENCH_HEAPPROFILE=file writes a heap profile then, for what
// the figure is made of.
func BenchmarkIdleCameras(b *testing.B) {
	const n = 50
	srv, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: n, Bitrate: 4_000_000})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Run(ctx)
	defer srv.Close()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		cctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		sinks := make([]*atomicSink, n)
		for i := range n {
			sinks[i] = &atomicSink{}
			c := New(Options{ID: int64(i + 1), URL: srv.URL(i + 1), Transport: "tcp", Batch: 100 * time.Millisecond}, sinks[i])
			wg.Go(func() { c.Run(cctx) })
		}
		for _, s := range sinks {
			for s.frames.Load() < 50 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/camera")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stackB/camera")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/camera")
		if p := os.Getenv("VIGIL_BENCH_HEAPPROFILE"); p != "" {
			f, _ := os.Create(p)
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		stop()
		wg.Wait()
	}
}
