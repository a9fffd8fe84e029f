package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/bench"
	"github.com/vigil-cctv/vigil/internal/config"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("bench: say which: ingest, export or audit")
	}
	switch args[0] {
	case "ingest":
		fs := flag.NewFlagSet("bench ingest", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o bench.IngestOptions
		fs.IntVar(&o.Cameras, "cameras", 20, "simulated cameras recorded by Vigil")
		fs.DurationVar(&o.Duration, "duration", time.Minute, "measurement window")
		fs.StringVar(&o.Bitrate, "bitrate", "4M", "bitrate of each camera")
		fs.IntVar(&o.PeerCameras, "peer-cameras", 0, "ffmpeg processes measured as the peer (0: min(cameras, 10); -1: none)")
		fs.StringVar(&o.Codec, "codec", "h264", "h264 or h265")
		fs.StringVar(&o.Dir, "dir", "", "work folder (default: a temporary one, removed after)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
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
	return errors.New("bench: say which: ingest, export or audit")
}
