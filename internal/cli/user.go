package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/identity"
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
	orgName := fs.String("organisation", "", "its organisation, by name (default: the partnership)")
	mustChange := fs.Bool("must-change", true, "the printed password must be changed at first sign-in (false: for an account a script uses)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || *roleList == "" {
		return errors.New("user create: --user and --role are required")
	}
	var roles []rights.Grant
	for _, r := range strings.Split(*roleList, ",") {
		r = strings.TrimSpace(r)
		if _, ok := rights.ParseRole(r); !ok {
			return fmt.Errorf("user create: %q is not a role; the roles are %s", r, roleNames())
		}
		roles = append(roles, rights.Grant{Role: rights.Role(r)})
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
	st, err := store.Open(ctx, cfg.DSN(), newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	// Without --organisation the account joins the partnership, found
	// as the top of the tree: its name may have changed since the
	// configuration named it.
	org, err := st.Partnership(ctx)
	if *orgName != "" {
		org, err = st.OrganisationByName(ctx, *orgName)
	}
	if errors.Is(err, store.ErrNotFound) && *orgName != "" {
		return fmt.Errorf("user create: no organisation %q", *orgName)
	}
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("user create: there is no partnership yet (start the server first)")
	}
	if err != nil {
		return err
	}
	// A new account goes in the audit trail with it, or is not made.
	trail, err := app.OpenAudit(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	closeTrail := sync.OnceValue(trail.Close)
	defer closeTrail()
	svc, err := identityService(ctx, st, trail, stderr)
	if err != nil {
		return err
	}
	pass := auth.RandomPassword()
	_, err = svc.CreateAccount(ctx, identity.Account{Username: *name, Password: pass, OrganisationID: org.ID, Organisation: org.Name,
		Roles: roles, MustChangePassword: *mustChange})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("user create: the username %q is taken", *name)
	}
	if err != nil {
		return err
	}
	if err := closeTrail(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, pass)
	return nil
}

// identityService is the service of accounts on the command line: its
// changes commit with their records through an outbox of st into trail.
func identityService(ctx context.Context, st *store.Store, trail *audit.Trail, stderr io.Writer) (*identity.Service, error) {
	log := newLogger(stderr, "warn")
	o, err := audit.NewOutbox(ctx, st, trail, audit.OutboxOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	return identity.New(st, audit.Changer[identity.Repo](o), identity.Options{Logger: log}), nil
}

// createAccount makes a user of org holding roles, with password, in
// the transaction tx, with its record as demo data: for the demo's own
// accounts, made with its data.
func createAccount(ctx context.Context, tx *store.Store, name, password string, org access.Organisation, roles []access.UserRole, mustChange bool) (identity.User, error) {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return identity.User{}, err
	}
	u := identity.User{Username: name, PasswordHash: hash, OrganisationID: org.ID, Role: "none", MustChangePassword: mustChange}
	if err := tx.CreateUser(ctx, &u); err != nil {
		return u, err
	}
	if err := tx.SetUserRoles(ctx, u.ID, roles); err != nil {
		return u, err
	}
	var names []string
	for _, r := range roles {
		n := r.Role
		if r.CameraGroupID != 0 {
			n += fmt.Sprintf(" over camera group %d", r.CameraGroupID)
		}
		names = append(names, n)
	}
	return u, seedLog(tx, auditlog.UserCreate, 0, "user %s (%d), organisation %s, roles %s", u.Username, u.ID, org.Name, strings.Join(names, ", "))
}

func roleNames() string {
	var out []string
	for _, r := range rights.Roles {
		out = append(out, string(r.Role))
	}
	return strings.Join(out, ", ")
}
