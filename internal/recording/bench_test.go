package recording

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// benchFrames is the H.264 clip (25 fps, a keyframe every 2 s) looped to
// n frames, timed so that the last ends now: frames come faster than real
// time, and must not look ahead of our clock.
func benchFrames(b *testing.B, n int) []ingest.Frame {
	params, clip := clipFrames(b, codec.H264, "../simcam/clips/h264.mp4")
	span := int64(len(clip)) * 3600
	t0 := time.Now().Add(-time.Duration(n/25+10) * time.Second)
	out := make([]ingest.Frame, n)
	for k := range out {
		f := clip[k%len(clip)]
		f.Params = &params
		f.PTS += int64(k/len(clip)) * span
		f.Time = t0.Add(ptsDuration(f.PTS))
		f.Discontinuity = k == 0
		out[k] = f
	}
	return out
}

func benchRecorder(b *testing.B, more int) (*Recorder, []int64) {
	st, cam, dir := fixture.OneCamera(b)
	ids := []int64{cam.ID}
	for i := range more {
		c := cam
		c.ID, c.Name = 0, fmt.Sprint("cam", i)
		if err := st.CreateCamera(context.Background(), &c); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	rec := New(st, Options{StorageName: "local", StoragePath: filepath.Join(dir, "rec"), QueueBytes: 1 << 40, QueueDelay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return rec, ids
}

// BenchmarkCameraQueue measures a camera's frames through its CameraQueue
// and CameraRecorder into segment files: one op is one frame of the
// clip (about 10 KB), written and waited for a second's worth at a time,
// so ns/op is the CPU of both goroutines.
func BenchmarkCameraQueue(b *testing.B) {
	for _, queued := range []bool{false, true} {
		b.Run(fmt.Sprintf("queued=%v", queued), func(b *testing.B) {
			rec, ids := benchRecorder(b, 0)
			cam := ids[0]
			frames := benchFrames(b, b.N)
			ctx := context.Background()
			var sink ingest.Sink
			var sync func()
			if queued {
				q := rec.Queued(ctx, cam)
				defer q.Close()
				sink, sync = q, func() { q.Sync(ctx) }
			} else {
				sink, sync = rec.Camera(ctx, cam), func() {}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := sink.WriteFrame(&frames[i]); err != nil {
					b.Fatalf("frame %d: %v", i, err)
				}
				if i%25 == 24 {
					sync()
				}
			}
			sink.StreamEnded(nil)
			sync()
		})
	}
}

// BenchmarkIdleCameras measures what each of 300 cameras holds on the
// heap, and its goroutines, between fragments: each has recorded a few
// seconds and has a segment open.
// VIGIL_BENCH_HEAPPROFILE=file writes a heap profile then, for what
// the figure is made of.
func BenchmarkIdleCameras(b *testing.B) {
	const cams = 300
	rec, ids := benchRecorder(b, cams-1)
	frames := benchFrames(b, 75)
	ctx := context.Background()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		qs := make([]*CameraQueue, cams)
		for i := range qs {
			qs[i] = rec.Queued(ctx, ids[i])
			for k := range frames {
				if err := qs[i].WriteFrame(&frames[k]); err != nil {
					b.Fatal(err)
				}
			}
			qs[i].Sync(ctx)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/cams, "heapB/camera")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/cams, "stackB/camera")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/cams, "goroutines/camera")
		if p := os.Getenv("VIGIL_BENCH_HEAPPROFILE"); p != "" {
			f, _ := os.Create(p)
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		for _, q := range qs {
			q.Close()
		}
	}
}
