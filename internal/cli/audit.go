package cli

import (
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
	if len(args) == 0 || args[0] != "verify" && args[0] != "key" {
		return errors.New(`audit: say which: "verify" or "key"`)
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
	// Verifying with only a public key is how someone without the
	// server's secrets checks it; with the key, the newest records'
	// MACs are checked too.
	trail, err := openTrail(ctx, cfg, len(pubs) == 0, pubs, stderr)
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
	return nil
}

// openTrail opens the trail of an existing server without creating one:
// with its key when needKey (or when the key is there), else read-only
// with the given public keys.
func openTrail(ctx context.Context, cfg config.Config, needKey bool, pubs []ed25519.PublicKey, stderr io.Writer) (*audit.Trail, error) {
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
	// nothing anywhere: syslog is written by the server only.
	o.Key, o.PublicKeys, o.Syslog, o.Logger = key, pubs, nil, newLogger(stderr, "warn")
	return audit.Open(ctx, o)
}
