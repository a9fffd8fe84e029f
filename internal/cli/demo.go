package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/netpolicy"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
)

// demo runs simulated cameras and a server recording them, with nothing
// else installed: SQLite and a data folder under the current folder.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "vigil-demo", "data folder (created if missing)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address of the web console and API")
	n := fs.Int("cameras", 8, "number of simulated cameras")
	rtspAddr := fs.String("rtsp", "127.0.0.1:0", "address the simulated cameras serve RTSP on (port 0: any free port)")
	codecName := fs.String("codec", "h264", "what the simulated cameras send: h264, or h265 (browsers then get an H.264 view made by ffmpeg)")
	bitrate := fs.Int("bitrate", 0, "bits per second each simulated camera sends, padded with filler data (0: the clip's own, about 0.4 Mbit/s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 1000 {
		return errors.New("demo: --cameras must be between 1 and 1000")
	}
	cfg, err := config.Load("", os.Getenv)
	if err != nil {
		return err
	}
	cfg.DataDir = *data
	cfg.HTTP = *httpAddr
	cfg.Storage = nil
	cfg.Organisation = "Demo Partnership"
	if host, _, err := net.SplitHostPort(*httpAddr); err == nil && len(cfg.LiveHosts) == 0 {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			// A console on loopback is watched from this machine.
			cfg.LiveHosts = []string{host}
		}
	}
	if err := loadStorage(&cfg); err != nil {
		return err
	}
	if cfg.MapOutline == "" {
		// The demo's own outline, rewritten each run so that an old data
		// folder gets the current one.
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return err
		}
		cfg.MapOutline = filepath.Join(cfg.DataDir, "map-outline.geojson")
		if err := os.WriteFile(cfg.MapOutline, demoOutline, 0o640); err != nil {
			return err
		}
	}
	log := newLogger(stderr, cfg.LogLevel)

	camCodec, ok := codec.ParseCodec(*codecName)
	if !ok {
		return fmt.Errorf("demo: --codec %q is not h264 or h265", *codecName)
	}
	cams, err := simcam.New(simcam.Options{Listen: *rtspAddr, Count: *n, Codec: camCodec, Bitrate: *bitrate, Logger: log.With("component", "simcam")})
	if err != nil {
		return err
	}
	// The simulated cameras are on this machine, where real ones never
	// are: the demo allows their address, which the camera network
	// policy otherwise refuses.
	cfg.CameraNetwork.Allow = append(cfg.CameraNetwork.Allow, "127.0.0.0/8", "::1")
	if u, err := url.Parse(cams.URL(1)); err == nil {
		if _, err := netpolicy.ParsePrefix(u.Hostname()); err == nil {
			cfg.CameraNetwork.Allow = append(cfg.CameraNetwork.Allow, u.Hostname())
		}
	}
	a, err := app.New(ctx, cfg, log, stdout)
	if err != nil {
		cams.Close()
		return err
	}
	if err := registerDemoCameras(ctx, a, cams, *n); err != nil {
		cams.Close()
		return err
	}
	if err := ensureDemoOperator(ctx, a.Changes.Change, stdout); err != nil {
		cams.Close()
		return err
	}
	if err := setUpDemoPartnership(ctx, a.Changes.Change, cfg.Organisation, time.Now(), stdout); err != nil {
		cams.Close()
		return err
	}
	if err := seedDemoMaintenance(ctx, a.Changes.Change, cfg.Maintenance, time.Now()); err != nil {
		cams.Close()
		return err
	}
	if err := setUpDemoRecharge(ctx, a.Changes.Change, time.Now()); err != nil {
		cams.Close()
		return err
	}
	abs, _ := filepath.Abs(cfg.DataDir)
	fmt.Fprintf(stdout, `Vigil demo: %d simulated cameras recording.

  Console:  http://%s/   (sign in with an account printed when this data folder was first made: "admin"
                          manages people and cameras but sees no footage, "manager" sees everything;
                          "admin" and "operator" choose their own password at first sign-in, and
                          everyone who sees footage adds an authenticator app; delete %s to start afresh)
  API:      curl -H "Authorization: Bearer $(go run ./cmd/vigil token create --data %s --user admin)" http://%s/api/v1/cameras
            (once admin has chosen their own password)
  Cameras:  %s ... %s
  Data:     %s

Stop with Ctrl-C.
`, *n, a.Addr(), abs, cfg.DataDir, a.Addr(), cams.URL(1), cams.URL(*n), abs)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var camErr error
	wg.Go(func() {
		camErr = cams.Run(ctx)
		cancel()
	})
	err = a.Run(ctx)
	cancel()
	wg.Wait()
	if err == nil {
		err = camErr
	}
	return err
}

func loadStorage(cfg *config.Config) error {
	c, err := config.Load("", func(k string) string {
		if k == "VIGIL_DATA" {
			return cfg.DataDir
		}
		return os.Getenv(k)
	})
	if err != nil {
		return err
	}
	cfg.Storage = c.Storage
	return nil
}

// registerDemoCameras adds the simulated cameras, or points those of an
// earlier run at this run's RTSP address (seedDemoCameras), then starts
// them.
func registerDemoCameras(ctx context.Context, a *app.App, cams *simcam.Server, n int) error {
	saved, err := seedDemoCameras(ctx, a.Changes.Change, cams.URL, n, a.RetentionDays())
	if err != nil {
		return err
	}
	for _, c := range saved {
		if err := a.StartCamera(ctx, c); err != nil {
			return fmt.Errorf("demo camera %s: %w", c.Name, err)
		}
	}
	return nil
}

// seedDemoCameras saves the simulated cameras, each with its record: n of
// them, camera i at url(i), keeping retention days of footage. A camera is
// found by its planned name, or by the "Demo camera N" name earlier
// versions gave it, which is then renamed and filed with its council.
// Places are only filled in where a camera has none, so edits made
// through the API survive a rerun.
func seedDemoCameras(ctx context.Context, change changer, url func(int) string, n, retention int) ([]cameras.Camera, error) {
	var saved []cameras.Camera
	err := change(ctx, func(tx *store.Store) error {
		saved = nil
		existing, err := tx.ListCameras(ctx)
		if err != nil {
			return err
		}
		byName := map[string]cameras.Camera{}
		for _, c := range existing {
			byName[c.Name] = c
		}
		councils := map[string]int64{}
		for _, c := range demoCouncils {
			org, err := seedOrganisation(ctx, tx, c.name, "council")
			if err != nil {
				return err
			}
			councils[c.name] = org.ID
		}
		for i := 1; i <= n; i++ {
			p := demoPlan(i)
			c, found := byName[p.name]
			if !found {
				if c, found = byName[fmt.Sprintf("Demo camera %d", i)]; found {
					c.Name, c.OrganisationID = p.name, councils[p.council]
				}
			}
			if c.Area == "" && c.Site == "" && c.Latitude == nil {
				c.Area, c.Site, c.Description = p.area, p.site, p.description
				c.Latitude, c.Longitude = &p.lat, &p.lon
			}
			c.URL, c.Enabled = url(i), true
			if found {
				if err := tx.UpdateCamera(ctx, &c); err != nil {
					return fmt.Errorf("demo camera %d (%s): %w", i, c.Name, err)
				}
				if err := seedLog(tx, auditlog.CameraUpdate, c.ID, "camera %s (%d) at this run's address %s", c.Name, c.ID, c.URL); err != nil {
					return err
				}
				saved = append(saved, c)
				continue
			}
			c.Name, c.OrganisationID = p.name, councils[p.council]
			c.RetentionDays, c.Transport = retention, "tcp"
			if err := tx.CreateCamera(ctx, &c); err != nil {
				return fmt.Errorf("demo camera %d (%s): %w", i, c.Name, err)
			}
			if err := seedLog(tx, auditlog.CameraCreate, c.ID, "camera %s (%d) of %s at %s", c.Name, c.ID, p.council, c.URL); err != nil {
				return err
			}
			saved = append(saved, c)
		}
		return nil
	})
	return saved, err
}

// setUpDemoPartnership files the councils and a police force below the
// partnership, and on the first run makes the demo's people, a camera
// group shared with the police for a day, and Kingsmead's four-eyes rule
// for exports. Passwords of accounts made are printed once. What a rerun
// finds in place it leaves alone, so changes made through the API stay.
// Each step commits with its records through change.
func setUpDemoPartnership(ctx context.Context, change changer, partnership string, now time.Time, out io.Writer) error {
	orgs := map[string]access.Organisation{}
	err := change(ctx, func(tx *store.Store) error {
		top, err := tx.OrganisationByName(ctx, partnership)
		if err != nil {
			return err
		}
		if top.Kind != "partnership" && top.ParentID == 0 {
			// A data folder from before partnerships had a kind of their own.
			was := top.Kind
			top.Kind = "partnership"
			if err := tx.UpdateOrganisation(ctx, &top); err != nil {
				return err
			}
			if err := seedLog(tx, auditlog.OrganisationUpdate, 0, "organisation %s (%d), kind %s, was %s", top.Name, top.ID, top.Kind, was); err != nil {
				return err
			}
		}
		orgs[partnership] = top
		for _, c := range demoCouncils {
			o, err := seedOrganisation(ctx, tx, c.name, "council")
			if err != nil {
				return err
			}
			if o.ParentID == 0 {
				o.ParentID = top.ID
				if err := tx.UpdateOrganisation(ctx, &o); err != nil {
					return err
				}
				if err := seedLog(tx, auditlog.RightsMoveOrganisation, 0, "organisation %s (%d) below %s (%d)", o.Name, o.ID, top.Name, top.ID); err != nil {
					return err
				}
			}
			orgs[c.name] = o
		}
		police, err := tx.OrganisationByName(ctx, demoPolice)
		if errors.Is(err, store.ErrNotFound) {
			police = access.Organisation{Name: demoPolice, Kind: "police", ParentID: top.ID}
			err = createSeedOrganisation(ctx, tx, &police)
		}
		if err != nil {
			return err
		}
		orgs[demoPolice] = police
		return nil
	})
	if err != nil {
		return err
	}
	if err := seedDemoTrading(ctx, change, orgs[partnership], now); err != nil {
		return err
	}

	var made []string
	first := false
	err = change(ctx, func(tx *store.Store) error {
		made = nil
		if _, err := tx.UserByName(ctx, demoAccounts[0].username); err == nil {
			return nil // set up by an earlier run
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		first = true
		leaVale, police := orgs[demoCouncils[0].name], orgs[demoPolice]
		cams, err := tx.ListCameras(ctx)
		if err != nil {
			return err
		}
		var town []int64
		for _, c := range cams {
			if c.OrganisationID == leaVale.ID && c.Area == "Town Centre" {
				town = append(town, c.ID)
			}
		}
		// Looked for rather than made and its conflict ignored: on
		// PostgreSQL a failed statement ends the transaction.
		groups, err := tx.ListCameraGroups(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(groups, func(g access.CameraGroup) bool {
			return g.OrganisationID == leaVale.ID && g.Name == demoTownCentre
		}) {
			g := access.CameraGroup{OrganisationID: leaVale.ID, Name: demoTownCentre, Cameras: town}
			if err := tx.CreateCameraGroup(ctx, &g); err != nil {
				return err
			}
			if err := seedLog(tx, auditlog.CameraGroupCreate, 0, "group %s (%d) of %s: cameras %v", g.Name, g.ID, leaVale.Name, g.Cameras); err != nil {
				return err
			}
			ends := now.Add(24 * time.Hour)
			ag := access.SharingAgreement{GrantorID: leaVale.ID, GranteeID: police.ID, Reference: demoSharing,
				Rights: []string{"view_live", "play_back"}, Groups: []int64{g.ID}, StartsAt: now, EndsAt: &ends}
			if err := tx.CreateSharingAgreement(ctx, &ag); err != nil {
				return err
			}
			if err := seedLog(tx, auditlog.RightsCreateAgreement, 0, "agreement %s (%d): %s shares group %s with %s, rights %v, until %s",
				ag.Reference, ag.ID, leaVale.Name, g.Name, police.Name, ag.Rights, ends.UTC().Format(time.RFC3339)); err != nil {
				return err
			}
		}
		fe := orgs[demoFourEyes]
		fourEyes := []string{"export", "delete_footage"}
		if err := tx.SetFourEyes(ctx, fe.ID, fourEyes); err != nil {
			return err
		}
		if err := seedLog(tx, auditlog.RightsSetFourEyes, 0, "organisation %s (%d): %v need a second person", fe.Name, fe.ID, fourEyes); err != nil {
			return err
		}
		for _, acct := range demoAccounts {
			if _, err := tx.UserByName(ctx, acct.username); err == nil {
				continue
			}
			org := orgs[partnership]
			if acct.organisation != "" {
				org = orgs[acct.organisation]
			}
			var roles []access.UserRole
			for _, r := range acct.roles {
				roles = append(roles, access.UserRole{Role: r})
			}
			pass := auth.RandomPassword()
			// Demo accounts keep their password: a trial switches between
			// them, and each is printed only here.
			if _, err := createAccount(ctx, tx, acct.username, pass, org, roles, false); err != nil {
				return fmt.Errorf("demo account %s: %w", acct.username, err)
			}
			made = append(made, fmt.Sprintf("    %-17s %-22s %s\n", acct.username, pass, acct.about))
		}
		return nil
	})
	if err != nil || !first {
		return err
	}
	if len(made) > 0 {
		fmt.Fprintf(out, "\nThe demo's accounts (each password is shown only this once):\n\n")
		for _, m := range made {
			fmt.Fprint(out, m)
		}
		fmt.Fprintf(out, "\n%s shares its town-centre cameras with %s until %s; exports and early deletions of %s's footage need a second person's approval.\n\n",
			demoCouncils[0].name, demoPolice, now.Add(24*time.Hour).UTC().Format("2006-01-02 15:04 UTC"), demoFourEyes)
	}
	return setUpDemoWorks(ctx, change, orgs, now)
}

// ensureDemoOperator makes the demo's control-room account at first run:
// "operator", in the first council, with a one-time password printed here
// that must be changed at first sign-in.
//
// The demo stays secure by default: an operator sees footage, so the
// account needs a second factor like any other. Rather than print a TOTP
// secret beside the password (a second secret left in a terminal's
// scrollback, and a step a real operator never skips), the operator adds
// an authenticator at first sign-in, as they would on a real server.
func ensureDemoOperator(ctx context.Context, change changer, out io.Writer) error {
	var org access.Organisation
	pass := ""
	err := change(ctx, func(tx *store.Store) error {
		if _, err := tx.UserByName(ctx, "operator"); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var err error
		if org, err = seedOrganisation(ctx, tx, demoCouncils[0].name, "council"); err != nil {
			return err
		}
		p := auth.RandomPassword()
		hash, err := auth.HashPassword(p)
		if err != nil {
			return err
		}
		u := &identity.User{Username: "operator", PasswordHash: hash, OrganisationID: org.ID, Role: "operator", MustChangePassword: true}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		pass = p
		return seedLog(tx, auditlog.UserCreate, 0, "user %s (%d), organisation %s, role operator", u.Username, u.ID, org.Name)
	})
	if err != nil || pass == "" {
		return err
	}
	fmt.Fprintf(out, "\nCreated the account \"operator\" (a control-room operator of %s) with the password\n\n    %s\n\n"+
		"It is shown only this once. At first sign-in it must be changed, and an authenticator app added.\n\n", org.Name, pass)
	return nil
}
