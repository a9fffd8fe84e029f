// Package cli parses Vigil's command line and runs its subcommands.
package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
)

const usage = `Vigil records and serves public-space CCTV for councils, partnerships and police.

Usage:
  vigil serve  [--config FILE]         run the server (settings: FILE, then VIGIL_* variables)
  vigil demo   [--data DIR] [--http ADDR] [--cameras N]
                                       simulated cameras recording into a working server
  vigil simcam [--listen ADDR] [--count N] [--codec h264|h265] ...
                                       serve simulated RTSP cameras
  vigil token create --data DIR --user NAME [--name LABEL] [--expires 720h] [--without-second-factor]
                                       print a new API token for a user (refused for one who
                                       must add a second factor and has not, unless the flag
                                       says the token goes without)
  vigil user create --data DIR --user NAME --role ROLE[,ROLE] [--organisation NAME] [--must-change=false]
                                       make an account; prints its generated password
  vigil audit verify [--data DIR | --config FILE] [--public-key FILE]
                                       check the audit trail; name the first record changed,
                                       removed, inserted or reordered; exit 0 intact, 3 intact
                                       apart from acknowledged damage, 1 otherwise
  vigil audit acknowledge [--data DIR | --config FILE] --by NAME --reason TEXT [--yes]
                                       with the server stopped: record and sign the acceptance of
                                       damage found (records lost from the end), so the trail is
                                       signed again and the start alarms no more for it
  vigil audit key [--data DIR | --config FILE]
                                       print the public key that checks the trail's checkpoints
  vigil bench ingest|export|live|audit ...
                                       measure recording, export and live view against ffmpeg,
                                       audit verification against a plain scan and sha256sum
  vigil version
`

// Run runs one command line and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "demo":
		err = demo(ctx, args[1:], stdout, stderr)
	case "simcam":
		err = runSimcam(ctx, args[1:], stdout, stderr)
	case "token":
		err = token(ctx, args[1:], stdout, stderr)
	case "user":
		err = user(ctx, args[1:], stdout, stderr)
	case "audit":
		err = auditCommand(ctx, args[1:], stdout, stderr)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "vigil", Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "vigil: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	var ee *exitError
	if errors.As(err, &ee) {
		fmt.Fprintln(stderr, "vigil:", ee.msg)
		return ee.code
	}
	if err != nil {
		fmt.Fprintln(stderr, "vigil:", err)
		return 1
	}
	return 0
}

// exitError is an outcome with an exit code of its own (other than 1).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "TOML configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*file, os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	if path := os.Getenv("VIGIL_CPUPROFILE"); path != "" {
		// For measuring: a CPU profile of the whole run, written on exit.
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if path := os.Getenv("VIGIL_HEAPPROFILE"); path != "" {
		// For measuring: a heap profile taken once, after
		// VIGIL_HEAPPROFILE_AFTER (default a minute) of running.
		after, err := time.ParseDuration(cmp.Or(os.Getenv("VIGIL_HEAPPROFILE_AFTER"), "1m"))
		if err != nil {
			return err
		}
		t := time.AfterFunc(after, func() {
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		})
		defer t.Stop()
	}
	a, err := app.New(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	log.Info("vigil listening", "url", a.URL(), "data", cfg.DataDir)
	return a.Run(ctx)
}

func runSimcam(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simcam", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8554", "address to serve RTSP on")
	count := fs.Int("count", 1, "number of cameras, served at /cam/1 ... /cam/N")
	codecName := fs.String("codec", "h264", "h264 or h265")
	user := fs.String("user", "", "require Digest authentication with this username")
	pass := fs.String("pass", "", "... and this password")
	bitrate := fs.String("bitrate", "", "pad each camera's stream to this bitrate, e.g. 4M (default: the clip's own, about 0.4M)")
	var f simcam.Faults
	fs.DurationVar(&f.DropEvery, "drop-every", 0, "fault: drop every connection this often")
	fs.DurationVar(&f.StallEvery, "stall-every", 0, "fault: stop sending this often ...")
	fs.DurationVar(&f.StallFor, "stall-for", 5*time.Second, "... for this long")
	fs.IntVar(&f.CorruptEvery, "corrupt-every", 0, "fault: replace every Nth packet with garbage")
	stats := fs.String("stats", "", "on exit, write the frames each camera delivered to this JSON file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, ok := codec.ParseCodec(*codecName)
	if !ok {
		return fmt.Errorf("simcam: --codec %q is not h264 or h265", *codecName)
	}
	bps := 0
	if *bitrate != "" {
		b, err := config.ParseBytes(strings.TrimSuffix(strings.ToUpper(*bitrate), "BPS"))
		if err != nil {
			return fmt.Errorf("simcam: --bitrate: %w", err)
		}
		// ParseBytes counts in 1024s; bitrates count in 1000s.
		bps = int(float64(b) * bitScale(*bitrate))
	}
	if (*user == "") != (*pass == "") {
		return errors.New("simcam: give both --user and --pass, or neither")
	}
	srv, err := simcam.New(simcam.Options{
		Listen: *listen, Count: *count, Codec: c, Username: *user, Password: *pass, Bitrate: bps, Faults: f,
		Logger: newLogger(stderr, "warn"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serving %d simulated %s cameras: %s ... %s\n", *count, c, srv.URL(1), srv.URL(*count))
	err = srv.Run(ctx)
	if *stats != "" {
		st := simcamStats{}
		for i := 1; i <= srv.Count(); i++ {
			st.Sent = append(st.Sent, srv.FramesSent(i))
			st.Delivered = append(st.Delivered, srv.FramesDelivered(i))
		}
		b, _ := json.Marshal(st)
		if werr := os.WriteFile(*stats, b, 0o644); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// simcamStats is what "simcam --stats" writes.
type simcamStats struct {
	Sent      []int64 `json:"sent"`
	Delivered []int64 `json:"delivered"`
}

// bitScale converts ParseBytes' binary multiples to decimal ones.
func bitScale(s string) float64 {
	s = strings.ToUpper(strings.TrimSuffix(strings.ToUpper(s), "BPS"))
	switch {
	case strings.HasSuffix(s, "K"):
		return 1e3 / (1 << 10)
	case strings.HasSuffix(s, "M"):
		return 1e6 / (1 << 20)
	case strings.HasSuffix(s, "G"):
		return 1e9 / (1 << 30)
	}
	return 1
}

func token(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("token: the only subcommand is \"create\"")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the server's data folder (default: the configuration's)")
	user := fs.String("user", "", "the user the token acts as")
	name := fs.String("name", "cli", "a label to tell tokens apart")
	expires := fs.Duration("expires", 90*24*time.Hour, "lifetime (0: never expires)")
	file := fs.String("config", "", "TOML configuration file")
	without := fs.Bool("without-second-factor", false,
		"make the token even though the user must sign in with a second factor and has none (for a program that cannot give one)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("token create: --user is required")
	}
	cfg, err := config.Load(*file, os.Getenv)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(cfg.DSN()); err != nil {
			return fmt.Errorf("token create: no Vigil database in %s (start the server there first)", cfg.DataDir)
		}
	}
	st, err := store.Open(ctx, cfg.DSN(), newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByName(ctx, *user)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("token create: no user %q", *user)
	}
	if err != nil {
		return err
	}
	// A token is a credential like a sign-in: it goes in the audit trail
	// with it, or is not made.
	trail, err := openTrail(ctx, cfg, true, nil, false, stderr)
	if err != nil {
		return err
	}
	closeTrail := sync.OnceValue(trail.Close)
	defer closeTrail()
	svc, err := identityService(ctx, st, trail, stderr)
	if err != nil {
		return err
	}
	var exp *time.Time
	if *expires > 0 {
		e := time.Now().Add(*expires).UTC()
		exp = &e
	}
	due, err := secondFactorDue(ctx, st, u, cfg.OIDC.TrustProviderMFA)
	if err != nil {
		return err
	}
	tok, _, err := svc.IssueToken(ctx, u, identity.IssueRequest{Name: *name, Expires: exp, SecondFactorDue: due, WithoutSecondFactor: *without})
	if errors.Is(err, identity.ErrNoSecondFactor) {
		// A token is a whole sign-in: made now, it would let the user's
		// footage be reached on no second factor at all.
		return fmt.Errorf("token create: %s sees footage, so must sign in with a second factor, and has not set one up; "+
			"a token would stand in for the password and the second factor alike. Have them sign in to the console and add an authenticator app "+
			"(they are sent to it), then run this again. For a program that can never give a second factor, "+
			"add --without-second-factor: the token then goes without, and the audit trail says so", u.Username)
	}
	if err != nil {
		return err
	}
	if due && !u.TOTPEnabled {
		fmt.Fprintf(stderr, "WARNING: this token lets whoever holds it act as %s, who sees footage, without the second factor their role requires. "+
			"Keep it in one program's secret store, give it an expiry, and revoke it when no longer needed. The audit trail records it.\n", u.Username)
	}
	if err := closeTrail(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// secondFactorDue says whether u must sign in with a second factor, by
// the rights the database holds now: the server's rule
// (identity.SecondFactorNeeded), unless u signs in through a single
// sign-on provider trusted to ask for one itself.
func secondFactorDue(ctx context.Context, st *store.Store, u identity.User, trustProviderMFA bool) (bool, error) {
	if u.OIDCSubject != "" && trustProviderMFA {
		return false, nil
	}
	d, err := st.RightsData(ctx)
	if err != nil {
		return false, fmt.Errorf("token create: reading the user's rights: %w", err)
	}
	p := rights.NewSnapshot(d).Principal(u.ID, u.OrganisationID)
	return identity.SecondFactorNeeded(p.Holds()), nil
}
