package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestDemoPartnership sets up the demo's partnership on a store with its
// cameras, twice: the first time makes the people, printing each one's
// password once, and what each may see is what the README promises; the
// second changes nothing and prints nothing.
func TestDemoPartnership(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// As a first run leaves it: the server's organisation, its admin,
	// and the councils' cameras.
	top, err := st.EnsureOrganisation(ctx, "Demo Partnership", "partnership")
	if err != nil {
		t.Fatal(err)
	}
	admin := identity.User{Username: "admin", PasswordHash: "h", OrganisationID: top.ID, Role: "administrator"}
	if err := st.CreateUser(ctx, &admin); err != nil {
		t.Fatal(err)
	}
	cams := map[string][]int64{}
	var town []int64
	for i := 1; i <= 16; i++ {
		p := demoPlan(i)
		org, err := st.EnsureOrganisation(ctx, p.council, "council")
		if err != nil {
			t.Fatal(err)
		}
		c := cameras.Camera{OrganisationID: org.ID, Name: p.name, URL: "rtsp://127.0.0.1:1/x", Area: p.area, Site: p.site, RetentionDays: 31}
		if err := st.CreateCamera(ctx, &c); err != nil {
			t.Fatal(err)
		}
		cams[p.council] = append(cams[p.council], c.ID)
		if p.council == demoCouncils[0].name && p.area == "Town Centre" {
			town = append(town, c.ID)
		}
	}
	// ensureDemoOperator's Lea Vale operator.
	leaVale, err := st.OrganisationByName(ctx, demoCouncils[0].name)
	if err != nil {
		t.Fatal(err)
	}
	op := identity.User{Username: "operator", PasswordHash: "h", OrganisationID: leaVale.ID, Role: "operator", MustChangePassword: true}
	if err := st.CreateUser(ctx, &op); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var out bytes.Buffer
	if err := setUpDemoPartnership(ctx, update(st), "Demo Partnership", now, &out); err != nil {
		t.Fatal(err)
	}
	printed := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, "    ") && len(f) >= 2 {
			printed[f[0]] = f[1]
		}
	}
	for _, acct := range demoAccounts {
		u, err := st.UserByName(ctx, acct.username)
		if err != nil {
			t.Fatalf("account %s: %v", acct.username, err)
		}
		if ok, _ := auth.VerifyPassword(u.PasswordHash, printed[acct.username]); !ok {
			t.Errorf("account %s: the printed password %q does not sign in", acct.username, printed[acct.username])
		}
	}
	if len(printed) != len(demoAccounts) {
		t.Errorf("printed %d accounts, want %d:\n%s", len(printed), len(demoAccounts), out.String())
	}
	d, err := st.RightsData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap := rights.NewSnapshot(d)
	sees := func(username string, act rights.Action, at time.Time) []int64 {
		u, err := st.UserByName(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		p := snap.Principal(u.ID, u.OrganisationID)
		all, err := st.ListCameras(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range all {
			if snap.Can(p, act, rights.Camera{ID: c.ID, Org: c.OrganisationID}, at).Allowed {
				ids = append(ids, c.ID)
			}
		}
		return ids
	}
	every := slices.Concat(cams[demoCouncils[0].name], cams[demoCouncils[1].name], cams[demoCouncils[2].name], cams[demoCouncils[3].name])
	slices.Sort(every)
	for _, tt := range []struct {
		user string
		act  rights.Action
		at   time.Time
		want []int64
	}{
		{"manager", rights.Export, now, every},
		{"supervisor", rights.Export, now, every},
		{"operator", rights.ViewLive, now, cams[demoCouncils[0].name]},
		{"operator", rights.Export, now, nil},
		{"admin", rights.ViewLive, now, nil},
		{"admin", rights.ManageCameras, now, every},
		{"mimram-officer", rights.PlayBack, now, cams[demoCouncils[1].name]},
		{"mimram-officer", rights.ViewLive, now, nil},
		{"police-viewer", rights.ViewLive, now, town},
		{"police-viewer", rights.ViewLive, now.Add(25 * time.Hour), nil},
		{"dpo", rights.PlayBack, now, nil},
	} {
		if got := sees(tt.user, tt.act, tt.at); !slices.Equal(got, tt.want) {
			t.Errorf("%s may %s cameras %v, want %v", tt.user, tt.act, got, tt.want)
		}
	}
	kingsmead, err := st.OrganisationByName(ctx, demoFourEyes)
	if err != nil {
		t.Fatal(err)
	}
	if need, _ := snap.NeedsApproval(kingsmead.ID, rights.FourEyesExport); !need {
		t.Error("Kingsmead's exports need no approval, want four eyes")
	}

	out.Reset()
	before := d.Version
	if err := setUpDemoPartnership(ctx, update(st), "Demo Partnership", now.Add(time.Hour), &out); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("a rerun printed %q, want nothing", out.String())
	}
	if as, _ := st.ListSharingAgreements(ctx); len(as) != 1 {
		t.Errorf("after a rerun: %d sharing agreements, want the one", len(as))
	}
	if users, _ := st.ListUsers(ctx); len(users) != len(demoAccounts)+2 {
		t.Errorf("after a rerun: %d users, want %d (the accounts, admin and operator)", len(users), len(demoAccounts)+2)
	}
	if v, _ := st.RightsVersion(ctx); v < before {
		t.Errorf("rights version went back from %d to %d", before, v)
	}
}

// TestUserCreate: "vigil user create" makes an account with its roles and
// prints a password that signs in; a role that is not built in, a taken
// name or a missing organisation is refused.
func TestUserCreate(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnsureOrganisation(ctx, "Partnership", "partnership"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(ctx, append([]string{"user", "create", "--data", data}, args...), &out, &errOut)
		return code, strings.TrimSpace(out.String()), errOut.String()
	}
	code, pass, errs := run("--user", "jo", "--role", "supervisor,auditor")
	if code != 0 || len(pass) < 16 {
		t.Fatalf("user create: exited %d printing %q (%s), want 0 and a password", code, pass, errs)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--user", "kim", "--role", "superuser"}, "not a role"},
		{[]string{"--user", "jo", "--role", "operator"}, "taken"},
		{[]string{"--user", "lee", "--role", "operator", "--organisation", "Nowhere"}, "no organisation"},
		{[]string{"--role", "operator"}, "required"},
	} {
		if code, _, errs := run(tt.args...); code != 1 || !strings.Contains(errs, tt.want) {
			t.Errorf("user create %v: exited %d saying %q, want 1 mentioning %q", tt.args, code, errs, tt.want)
		}
	}
	st, err = store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(ctx, "jo")
	if err != nil {
		t.Fatal(err)
	}
	roles, _ := st.UserRoles(ctx, u.ID)
	if ok, _ := auth.VerifyPassword(u.PasswordHash, pass); !ok || !u.MustChangePassword || len(roles) != 2 || roles[0].Role != "auditor" || roles[1].Role != "supervisor" {
		t.Errorf("the account: password signs in %v, must change %v, roles %+v; want true, true, auditor and supervisor", ok, u.MustChangePassword, roles)
	}
	// The account's record went in with it; the refused ones made none.
	trail, err := audit.Open(ctx, audit.Options{DSN: filepath.Join(data, "audit.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer trail.Close()
	recs, err := trail.Store().ListAudit(ctx, store.AuditFilter{Action: auditlog.UserCreate.String()})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Username != "jo" || recs[0].UserID != u.ID {
		t.Errorf("got user.create records %+v, want one, of jo", recs)
	}
}

// TestUserCreateAfterRename: without --organisation the account joins the
// partnership however it is called now, not whatever the configuration
// named it at first start (which failed once it was renamed).
func TestUserCreateAfterRename(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	top, err := st.EnsurePartnership(ctx, "Partnership")
	if err != nil {
		t.Fatal(err)
	}
	renamed := top
	renamed.Name = "Hertfordshire CCTV Partnership"
	if err := st.UpdateOrganisation(ctx, &renamed); err != nil {
		t.Fatal(err)
	}
	st.Close()
	var out, errOut bytes.Buffer
	if code := Run(ctx, []string{"user", "create", "--data", data, "--user", "sam", "--role", "auditor"}, &out, &errOut); code != 0 {
		t.Fatalf("user create after the partnership's rename: exited %d (%s), want 0", code, errOut.String())
	}
	st, err = store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(ctx, "sam")
	if err != nil || u.OrganisationID != top.ID {
		t.Errorf("the account: got organisation %d, %v, want the partnership %d", u.OrganisationID, err, top.ID)
	}
}

// TestTokenCreateSecondFactor: a token stands in for a whole sign-in, so
// one for a user whose role sees footage and who has no second factor
// yet is refused, saying why and what to do, unless
// --without-second-factor asks for it plainly, which is then printed and
// recorded. Users who owe none, or have one, get theirs as before.
func TestTokenCreateSecondFactor(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnsureOrganisation(ctx, "Partnership", "partnership"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(ctx, append([]string{}, args...), &out, &errOut)
		return code, strings.TrimSpace(out.String()), errOut.String()
	}
	for _, u := range []struct{ name, role string }{{"sup", "supervisor"}, {"aud", "auditor"}, {"op", "operator"}} {
		if code, _, errs := run("user", "create", "--data", data, "--user", u.name, "--role", u.role, "--must-change=false"); code != 0 {
			t.Fatalf("user create %s: exited %d (%s)", u.name, code, errs)
		}
	}
	// op has set up an authenticator.
	st, err = store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	op, err := st.UserByName(ctx, "op")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetTOTP(ctx, op.ID, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	st.Close()

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  []string // in what the command says on stderr
	}{
		{"footage, no second factor", []string{"--user", "sup"}, 1,
			[]string{"sup sees footage", "second factor", "has not set one up", "authenticator", "--without-second-factor"}},
		{"footage, no second factor, bypass asked for", []string{"--user", "sup", "--without-second-factor", "--name", "exporter"}, 0,
			[]string{"WARNING", "without the second factor"}},
		{"no footage", []string{"--user", "aud"}, 0, nil},
		{"footage, second factor set up", []string{"--user", "op"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(append([]string{"token", "create", "--data", data}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("token create %v: got exit %d (%s), want %d", tt.args, code, errs, tt.wantCode)
			}
			if gotToken := out != ""; gotToken != (tt.wantCode == 0) {
				t.Errorf("token create %v: got stdout %q, want a token only on success", tt.args, out)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errs, w) {
					t.Errorf("token create %v: got stderr %q, want it to mention %q", tt.args, errs, w)
				}
			}
			if tt.wantErr == nil && errs != "" {
				t.Errorf("token create %v: got stderr %q, want nothing", tt.args, errs)
			}
		})
	}

	// The refusal made no token; the bypass says so in the audit trail.
	trail, err := audit.Open(ctx, audit.Options{DSN: filepath.Join(data, "audit.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer trail.Close()
	recs, err := trail.Store().ListAudit(ctx, store.AuditFilter{Action: auditlog.TokenCreate.String()})
	if err != nil {
		t.Fatal(err)
	}
	var sup []string
	for _, r := range recs {
		if r.Username == "sup" {
			sup = append(sup, r.Detail)
		}
	}
	if len(sup) != 1 || !strings.Contains(sup[0], "exporter") || !strings.Contains(sup[0], "without the second factor") {
		t.Errorf("got sup's token.create records %q, want one, of exporter, saying it goes without the second factor", sup)
	}
}
