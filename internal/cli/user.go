package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/auditlog"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// user runs "vigil user create": an account made from the server's own
// machine, for the first people an administrator (who sees no footage)
// needs, or for scripts. The password is generated and printed once.
func user(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("user: the only subcommand is \"create\"")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the server's data folder (default: the configuration's)")
	file := fs.String("config", "", "TOML configuration file")
	name := fs.String("user", "", "the new account's username")
	roleList := fs.String("role", "", "its roles, comma-separated: "+roleNames())
	orgName := fs.String("organisation", "", "its organisation (default: the server's)")
	mustChange := fs.Bool("must-change", true, "the printed password must be changed at first sign-in (false: for an account a script uses)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || *roleList == "" {
		return errors.New("user create: --user and --role are required")
	}
	var roles []access.UserRole
	for _, r := range strings.Split(*roleList, ",") {
		r = strings.TrimSpace(r)
		if _, ok := rights.ParseRole(r); !ok {
			return fmt.Errorf("user create: %q is not a role; the roles are %s", r, roleNames())
		}
		roles = append(roles, access.UserRole{Role: r})
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
			return fmt.Errorf("user create: no Vigil database in %s (start the server there first)", cfg.DataDir)
		}
	}
	if *orgName == "" {
		*orgName = cfg.Organisation
	}
	st, err := store.Open(ctx, cfg.DSN(), newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	org, err := st.OrganisationByName(ctx, *orgName)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("user create: no organisation %q", *orgName)
	}
	if err != nil {
		return err
	}
	pass := auth.RandomPassword()
	u, err := createAccount(ctx, st, *name, pass, org.ID, roles, *mustChange)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("user create: the username %q is taken", *name)
	}
	if err != nil {
		return err
	}
	// A new account goes in the audit trail, or its password is never
	// shown.
	trail, err := app.OpenAudit(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	err = trail.Append(ctx, auditlog.Entry{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Action: auditlog.UserCreate,
		RemoteAddr: "command line", Detail: fmt.Sprintf("organisation %s, roles %s", org.Name, *roleList)})
	if cerr := trail.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, pass)
	return nil
}

// createAccount makes a user holding roles, with password.
func createAccount(ctx context.Context, st *store.Store, name, password string, org int64, roles []access.UserRole, mustChange bool) (store.User, error) {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{Username: name, PasswordHash: hash, OrganisationID: org, Role: "none", MustChangePassword: mustChange}
	if err := st.CreateUser(ctx, &u); err != nil {
		return u, err
	}
	return u, st.SetUserRoles(ctx, u.ID, roles)
}

func roleNames() string {
	var out []string
	for _, r := range rights.Roles {
		out = append(out, string(r.Role))
	}
	return strings.Join(out, ", ")
}
