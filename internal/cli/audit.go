package cli

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/config"
)

func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" && args[0] != "key" && args[0] != "acknowledge" {
		return errors.New(`audit: say which: "verify", "acknowledge" or "key"`)
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the server's data folder (default: the configuration's)")
	file := fs.String("config", "", "TOML configuration file")
	var pubs []ed25519.PublicKey
	workers := 0
	if args[0] == "verify" {
		fs.Func("public-key", "a PEM public key checkpoints may be signed with (repeatable); default: the data folder's key", func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			k, err := audit.ParsePublicKey(b)
			if err == nil {
				pubs = append(pubs, k)
			}
			return err
		})
		fs.IntVar(&workers, "workers", 0, "records are read and hashed on this many workers (default: one per CPU)")
	}
	var by, reason string
	yes := false
	if args[0] == "acknowledge" {
		fs.StringVar(&by, "by", "", "who acknowledges the damage (name and role), as the record will say")
		fs.StringVar(&reason, "reason", "", "why: what was investigated and why the loss is accepted (police reference, no backup...)")
		fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*file, os.Getenv)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if args[0] == "key" {
		key, err := audit.LoadKey(filepath.Join(cfg.DataDir, "audit.key"), os.Getenv("VIGIL_AUDIT_KEY"))
		if err != nil {
			return fmt.Errorf("audit key: %w (the server makes the key when it first starts)", err)
		}
		pub := key.Public().(ed25519.PublicKey)
		fmt.Fprintf(stdout, "%skey id %s\n", audit.PublicKeyPEM(pub), audit.KeyID(pub))
		return nil
	}
	if args[0] == "acknowledge" {
		return acknowledge(ctx, cfg, by, reason, yes, os.Stdin, stdout, stderr)
	}
	// Verifying with only a public key is how someone without the
	// server's secrets checks it; with the key, the newest records'
	// MACs are checked too.
	trail, err := openTrail(ctx, cfg, len(pubs) == 0, pubs, false, stderr)
	if err != nil {
		return err
	}
	defer trail.Store().Close()
	// Verification allocates a little for every column of every record
	// and keeps almost nothing: collecting garbage less often is a tenth
	// faster and costs a few MiB.
	debug.SetGCPercent(400)
	rep, err := trail.Verify(ctx, workers)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep)
	if !rep.OK() {
		p := rep.Problems[0]
		if p.Seq != 0 {
			return fmt.Errorf("audit trail not intact: %s (record %d)", p.Kind, p.Seq)
		}
		return fmt.Errorf("audit trail not intact: %s", p.Msg)
	}
	if len(rep.Acknowledged) > 0 {
		return errAcknowledgedDamage
	}
	return nil
}

// errAcknowledgedDamage is verify's outcome when the trail is intact
// apart from damage an acknowledgement accepted: exit code 3, so that a
// monitor tells it from an intact trail (0), from unexplained damage or
// a failure to check (1), and from a mistyped command line (2).
var errAcknowledgedDamage = &exitError{code: 3, msg: "audit trail intact apart from acknowledged damage (see the WARNING lines)"}

// acknowledge is `vigil audit acknowledge`: it shows the damage the
// checks find and, once confirmed, records and signs its acceptance.
// The server must be stopped: a running server keeps its own idea of how
// far the trail went, and would alarm again over the acknowledgement.
func acknowledge(ctx context.Context, cfg config.Config, by, reason string, yes bool, stdin io.Reader, stdout, stderr io.Writer) error {
	by, reason = strings.TrimSpace(by), strings.TrimSpace(reason)
	if by == "" || reason == "" {
		return errors.New(`audit acknowledge: --by NAME and --reason "..." are both required: the record says who accepted the damage and why`)
	}
	// With the key (it signs), and with every witness the server has,
	// syslog included, since they are all given the new checkpoint.
	trail, err := openTrail(ctx, cfg, true, nil, true, stderr)
	if err != nil {
		return err
	}
	defer trail.Close()
	d, err := trail.PlanAcknowledge(ctx)
	if errors.Is(err, audit.ErrNothingToAcknowledge) {
		fmt.Fprintln(stdout, "the audit trail is intact: there is nothing to acknowledge")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The audit trail is damaged. Acknowledging accepts this damage, on behalf of %s, for the reason:\n  %s\n\n%s\n\n", by, reason, d)
	fmt.Fprintln(stdout, "The acknowledgement is recorded in the trail and signed; the server then signs the trail again from it, and\n"+
		"vigil audit verify reports this damage as acknowledged (exit code 3). Damage found later alarms again.\n"+
		"The server must be stopped while this runs.")
	if !yes {
		fmt.Fprint(stdout, "Type yes to acknowledge: ")
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return errors.New("not acknowledged: nothing was written")
		}
	}
	c, err := trail.Acknowledge(ctx, d, by, reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "acknowledged: record %d, checkpoint #%d signed (voiding checkpoints #%d to #%d); the witnesses hold it\n",
		c.Seq, c.N, c.Acknowledges, c.N-1)
	return nil
}

// openTrail opens the trail of an existing server without creating one:
// with its key when needKey (or when the key is there), else read-only
// with the given public keys.
func openTrail(ctx context.Context, cfg config.Config, needKey bool, pubs []ed25519.PublicKey, syslog bool, stderr io.Writer) (*audit.Trail, error) {
	dsn := cfg.AuditDSN()
	if !strings.HasPrefix(dsn, "postgres") {
		if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("no audit trail in %s (start the server there first)", cfg.DataDir)
		}
	}
	key, err := audit.LoadKey(filepath.Join(cfg.DataDir, "audit.key"), os.Getenv("VIGIL_AUDIT_KEY"))
	switch {
	case err == nil:
	case needKey || !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("the audit trail's key: %w", err)
	default:
		key = nil
	}
	o, err := app.AuditOptions(cfg)
	if err != nil {
		return nil, err
	}
	// Verify reads the witness file and the witness database, and sends
	// nothing anywhere: syslog is written by the server, and by an
	// acknowledgement, which it must hear of.
	o.Key, o.PublicKeys, o.Logger = key, pubs, newLogger(stderr, "warn")
	if !syslog {
		o.Syslog = nil
	}
	return audit.Open(ctx, o)
}
