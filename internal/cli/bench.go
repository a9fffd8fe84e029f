package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/bench"
	"github.com/vigil-cctv/vigil/internal/config"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("bench: say which: ingest, export, live or audit")
	}
	switch args[0] {
	case "live":
		fs := flag.NewFlagSet("bench live", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o bench.LiveOptions
		fs.IntVar(&o.Cameras, "cameras", 20, "simulated cameras recorded by Vigil")
		fs.IntVar(&o.Viewers, "viewers", 100, "live viewers (WebRTC peers), spread evenly over the cameras")
		fs.IntVar(&o.Measuring, "measuring-viewers", -1, "viewers that read and time every packet; the rest drop media unread (-1: one per camera)")
		fs.DurationVar(&o.Duration, "duration", time.Minute, "each measurement window")
		rate := fs.String("bitrate", "4M", "bitrate of each camera, e.g. 4M or 4000000")
		fs.StringVar(&o.Codec, "codec", "h264", "h264 or h265")
		modes := fs.String("read-batch", "auto", "how the server batches reads from cameras, one or more of auto (100 ms, paused while a camera has viewers: the default), always, never; each measured in a server of its own")
		fs.IntVar(&o.PeerCameras, "peer-cameras", 0, "ffmpeg processes measured as the peer (0: min(cameras, 10); -1: none)")
		fs.StringVar(&o.Dir, "dir", "", "work folder (default: a temporary one, removed after)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		b, err := config.ParseBytes(strings.TrimSuffix(strings.ToUpper(*rate), "BPS"))
		if err != nil {
			return fmt.Errorf("bench live: --bitrate: %w", err)
		}
		o.Bitrate = int(float64(b) * bitScale(*rate))
		o.Modes = strings.Split(*modes, ",")
		rep, err := bench.Live(ctx, o, stderr)
		if rep != nil {
			rep.Print(stdout)
		}
		return err
	case "live-server":
		return bench.LiveServer(ctx, args[1:], os.Stdin, stdout, stderr)
	case "ingest":
		fs := flag.NewFlagSet("bench ingest", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o bench.IngestOptions
		fs.IntVar(&o.Cameras, "cameras", 20, "simulated cameras recorded by Vigil")
		fs.DurationVar(&o.Duration, "duration", time.Minute, "measurement window")
		fs.StringVar(&o.Bitrate, "bitrate", "4M", "bitrate of each camera")
		fs.IntVar(&o.PeerCameras, "peer-cameras", 0, "ffmpeg processes measured as the peer (0: min(cameras, 10); -1: none)")
		fs.StringVar(&o.Codec, "codec", "h264", "h264 or h265")
		fs.StringVar(&o.ReadBatch, "read-batch", "", "the server's recording.read_batch, e.g. 0s to read every packet as it comes (default: the server's)")
		fs.StringVar(&o.Dir, "dir", "", "work folder (default: a temporary one, removed after)")
		peers := fs.String("peer", "ffmpeg", "peers measured after Vigil, comma-separated: ffmpeg, mediamtx; none for none")
		fs.StringVar(&o.MediaMTX, "mediamtx", "", "the MediaMTX binary the mediamtx peer runs")
		fs.StringVar(&o.Exe, "vigil", "", "the vigil binary measured (default: this one)")
		fs.StringVar(&o.Baseline, "baseline", "", "another vigil binary (an earlier build) measured just before this one, for a before and after in one run")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		for _, p := range strings.Split(*peers, ",") {
			switch p = strings.TrimSpace(p); p {
			case "ffmpeg", "mediamtx":
				o.Peers = append(o.Peers, p)
			case "none", "":
			default:
				return fmt.Errorf("bench ingest: unknown peer %q (ffmpeg, mediamtx or none)", p)
			}
		}
		if len(o.Peers) == 0 {
			o.PeerCameras = -1
		}
		rep, err := bench.Ingest(ctx, o, stderr)
		if rep != nil {
			rep.Print(stdout)
		}
		return err
	case "export":
		fs := flag.NewFlagSet("bench export", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o bench.ExportOptions
		fs.DurationVar(&o.Length, "length", time.Hour, "footage exported")
		rate := fs.String("bitrate", "4M", "bitrate of the recorded camera")
		fs.IntVar(&o.Runs, "runs", 3, "runs; the median is reported")
		fs.StringVar(&o.Dir, "dir", "", "work folder (default: a temporary one, removed after)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		b, err := config.ParseBytes(strings.TrimSuffix(strings.ToUpper(*rate), "BPS"))
		if err != nil {
			return err
		}
		o.Bitrate = int(float64(b) * bitScale(*rate))
		rep, err := bench.Export(ctx, o, stderr)
		if rep != nil {
			rep.Print(stdout)
		}
		return err
	case "audit":
		fs := flag.NewFlagSet("bench audit", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o bench.AuditOptions
		fs.Int64Var(&o.Records, "records", 10_000_000, "records in the trail")
		fs.StringVar(&o.Dir, "dir", "", "folder of the SQLite trail, kept and reused (default: a temporary one, removed after)")
		fs.StringVar(&o.Postgres, "postgres", "", "measure on PostgreSQL instead: a database URL (a schema is made and dropped)")
		fs.IntVar(&o.Workers, "workers", 0, "verification workers (default: one per CPU)")
		fs.IntVar(&o.Runs, "runs", 3, "runs; the median is reported")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		debug.SetGCPercent(400) // as vigil audit verify does
		rep, err := bench.Audit(ctx, o, stderr)
		if rep != nil {
			rep.Print(stdout)
		}
		return err
	}
	return errors.New("bench: say which: ingest, export, live or audit")
}
