package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/ingest"
)

// LiveServer is the server side of "vigil bench live", run as a process
// of its own so that its CPU time is its own: "vigil serve", configured
// the same way (VIGIL_* variables), with every camera's live hubs traced
// and, with --batch-while-live, reads from cameras batched even while
// they have live viewers.
// It takes commands on stdin, one a line, and answers each on stdout:
//
//	trace start   clear the latency histogram and start filling it
//	trace stop    stop, and answer with the histogram's summary (JSON)
//
// End of input stops the server.
func LiveServer(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench live-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	batchLive := fs.Bool("batch-while-live", false, "batch reads from cameras even while they have live viewers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load("", os.Getenv)
	if err != nil {
		return err
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if path := os.Getenv("VIGIL_CPUPROFILE"); path != "" {
		// As for "vigil serve": a CPU profile of the whole run.
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := app.New(ctx, cfg, log, io.Discard)
	if err != nil {
		return err
	}
	var (
		h  hist
		on atomic.Bool
	)
	a.TuneIngest(func(o *ingest.Options) {
		o.BatchWhileLive = *batchLive
		// From the camera's packet read off its socket to the return of
		// the write to a viewer: SRTP sealed and handed to the kernel.
		o.LiveTrace = func(read time.Time) {
			if on.Load() {
				h.add(time.Since(read))
			}
		}
	})
	var out sync.Mutex
	reply := func(v any) {
		out.Lock()
		defer out.Unlock()
		b, _ := json.Marshal(v)
		stdout.Write(append(b, '\n'))
	}
	go func() {
		defer cancel()
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			switch strings.TrimSpace(sc.Text()) {
			case "trace start":
				on.Store(false)
				h.reset()
				on.Store(true)
				reply(map[string]bool{"ok": true})
			case "trace stop":
				on.Store(false)
				reply(h.summary())
			default:
				reply(map[string]string{"error": fmt.Sprintf("unknown command %q", sc.Text())})
			}
		}
	}()
	return a.Run(ctx)
}
