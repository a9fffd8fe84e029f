package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
)

// ExportOptions configure "vigil bench export".
type ExportOptions struct {
	Length  time.Duration // footage exported, e.g. one hour
	Bitrate int           // bits per second of the recorded camera
	Runs    int
	Dir     string
}

// ExportReport is what the run measured; durations are medians of Runs.
type ExportReport struct {
	Length     time.Duration
	Bytes      int64 // size of the MP4 Vigil served
	Segments   int
	SourceSize int64 // bytes of the segment files
	VigilTTFB  time.Duration
	VigilTotal time.Duration
	FFmpeg     time.Duration
	Cat        time.Duration
}

// Export records Length of one simulated camera (faster than real time,
// through the real recorder), then serves it as one MP4 over HTTP and
// times it against ffmpeg joining the same segments and cat reading them.
func Export(ctx context.Context, opt ExportOptions, progress io.Writer) (*ExportReport, error) {
	if opt.Runs < 1 {
		opt.Runs = 3
	}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-export-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		opt.Dir = d
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.DataDir = opt.Dir
	cfg.HTTP = httpAddr
	cfg.AdminPassword = "bench-only passphrase for export"
	cfg.Storage = []config.Storage{{Name: "local", Path: filepath.Join(opt.Dir, "recordings")}}
	cfg.CameraNetwork.Allow = []string{"127.0.0.0/8"} // its camera's made-up address
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := app.New(ctx, cfg, log, io.Discard)
	if err != nil {
		return nil, err
	}
	// The camera whose footage is exported, of the partnership the
	// first start made, with its record: once, before anything is
	// measured.
	cam := cameras.Camera{Name: "bench", URL: "rtsp://127.0.0.1:1/bench", Transport: "tcp", RetentionDays: 31}
	err = a.Changes.Change(ctx, func(tx *store.Store) error {
		org, err := tx.Partnership(ctx)
		if err != nil {
			return err
		}
		cam.OrganisationID = org.ID
		if err := tx.CreateCamera(ctx, &cam); err != nil {
			return err
		}
		e := auditlog.System.Entry(auditlog.CameraCreate, fmt.Sprintf("%s: camera %s (%d)", benchSeed, cam.Name, cam.ID))
		e.CameraID = cam.ID
		return tx.Log(e)
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "recording %s of footage at %.1f Mbit/s through the recorder\n", opt.Length, float64(opt.Bitrate)/1e6)
	start := time.Now().UTC().Add(-opt.Length - time.Minute).Truncate(time.Second)
	if err := synthesize(ctx, a.Store, cfg.Storage[0], cam.ID, start, opt.Length, opt.Bitrate); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	token, err := benchToken(ctx, cfg.DSN())
	if err != nil {
		return nil, err
	}
	segs, err := a.Store.SegmentsInRange(ctx, cam.ID, start, start.Add(opt.Length))
	if err != nil {
		return nil, err
	}
	rep := &ExportReport{Length: opt.Length, Segments: len(segs)}
	var files []string
	for _, s := range segs {
		files = append(files, filepath.Join(cfg.Storage[0].Path, s.Path))
		rep.SourceSize += s.Size
	}
	// Warm the page cache, so every contender reads from memory.
	catTime(files)

	url := fmt.Sprintf("http://%s/api/v1/cameras/%d/video.mp4?start=%s&end=%s", httpAddr, cam.ID,
		start.Format(time.RFC3339), start.Add(opt.Length).Format(time.RFC3339))
	var ttfb, total, ff, cat []time.Duration
	for i := 0; i < opt.Runs; i++ {
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != 200 {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return nil, fmt.Errorf("bench: export answered %d %s", res.StatusCode, b)
		}
		one := make([]byte, 1)
		if _, err := io.ReadFull(res.Body, one); err != nil {
			return nil, err
		}
		ttfb = append(ttfb, time.Since(t0))
		n, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		total = append(total, time.Since(t0))
		rep.Bytes = n + 1

		if _, err := exec.LookPath("ffmpeg"); err == nil {
			d, err := ffmpegJoin(ctx, opt.Dir, files)
			if err != nil {
				return nil, err
			}
			ff = append(ff, d)
		}
		cat = append(cat, catTime(files))
	}
	cancel()
	<-done
	rep.VigilTTFB, rep.VigilTotal, rep.FFmpeg, rep.Cat = median(ttfb), median(total), median(ff), median(cat)
	return rep, nil
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func catTime(files []string) time.Duration {
	t0 := time.Now()
	cmd := exec.Command("cat", files...)
	cmd.Stdout = io.Discard
	cmd.Run()
	return time.Since(t0)
}

func ffmpegJoin(ctx context.Context, dir string, files []string) (time.Duration, error) {
	list := filepath.Join(dir, "concat.txt")
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "file '%s'\n", f)
	}
	os.WriteFile(list, []byte(b.String()), 0o600)
	out := filepath.Join(dir, "ffmpeg-join.mp4")
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list, "-c", "copy", "-movflags", "+faststart", out)
	if o, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("bench: ffmpeg join: %v %s", err, o)
	}
	d := time.Since(t0)
	os.Remove(out)
	return d, nil
}

// synthesize records length of footage for a camera through the real
// recorder, with frames from the simulated camera's clip stamped at
// consecutive instants from start, as fast as the disk takes them.
func synthesize(ctx context.Context, st *store.Store, s config.Storage, cameraID int64, start time.Time, length time.Duration, bitrate int) error {
	clip, err := simcam.LoadClip(codec.H264)
	if err != nil {
		return err
	}
	rec := recording.New(st, recording.Options{StorageName: s.Name, StoragePath: s.Path, SegmentDuration: time.Minute})
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- rec.Run(rctx) }()
	cr := rec.Camera(ctx, cameraID)
	params := clip.Params
	frameDur := time.Duration(clip.FrameDur) * time.Second / 90000
	filler := 0
	if bitrate > 0 {
		filler = int(float64(bitrate)/8/clip.FPS()) - clip.Bytes/len(clip.Units)
	}
	n := int(length / frameDur)
	for k := 0; k < n; k++ {
		i := k % len(clip.Units)
		nalus := clip.Units[i]
		if filler >= 3 {
			nalus = append(nalus[:len(nalus):len(nalus)], codec.FillerNALU(codec.H264, filler))
		}
		if err := cr.WriteFrame(&ingest.Frame{
			Codec: codec.H264, Params: &params, PTS: int64(k) * int64(clip.FrameDur),
			Time: start.Add(time.Duration(k) * frameDur), NALUs: nalus, Keyframe: clip.Keyframe[i], Discontinuity: k == 0,
		}); err != nil {
			return err
		}
	}
	cr.StreamEnded(nil)
	if err := rec.Flush(ctx); err != nil {
		return err
	}
	stop()
	return <-done
}

// Print writes the report.
func (r *ExportReport) Print(w io.Writer) {
	mbps := func(d time.Duration, n int64) float64 { return float64(n) / (1 << 20) / d.Seconds() }
	fmt.Fprintf(w, "\nexport of %s (%d segments, %.0f MiB on disk; the MP4 is %.0f MiB), median of runs:\n",
		r.Length, r.Segments, float64(r.SourceSize)/(1<<20), float64(r.Bytes)/(1<<20))
	fmt.Fprintf(w, "vigil:  first byte after %s, whole file in %s (%.0f MiB/s)\n", r.VigilTTFB.Round(time.Microsecond*100), r.VigilTotal.Round(time.Millisecond), mbps(r.VigilTotal, r.Bytes))
	if r.FFmpeg > 0 {
		fmt.Fprintf(w, "ffmpeg: joined the segments (-c copy, faststart) in %s: vigil is %.1fx faster to the whole file, %.0fx to the first byte\n",
			r.FFmpeg.Round(time.Millisecond), r.FFmpeg.Seconds()/r.VigilTotal.Seconds(), r.FFmpeg.Seconds()/r.VigilTTFB.Seconds())
	}
	fmt.Fprintf(w, "cat:    read the segment files in %s (%.0f MiB/s): vigil takes %.2fx as long\n",
		r.Cat.Round(time.Millisecond), mbps(r.Cat, r.SourceSize), r.VigilTotal.Seconds()/r.Cat.Seconds())
}
