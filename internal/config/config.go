// Package config is Vigil's one typed configuration: defaults, then a TOML
// file, then VIGIL_* environment variables, then Validate. It is passed
// explicitly to what needs it; nothing reads it from a global.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/vigil-cctv/vigil/internal/localtime"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Config holds every setting of a Vigil server.
type Config struct {
	// DataDir holds the SQLite database, the credential key and, unless
	// Storage says otherwise, the recordings.
	DataDir string `toml:"data_dir"`
	// HTTP is the address the API and console listen on.
	HTTP string `toml:"http"`
	// DatabaseURL selects PostgreSQL when it is a postgres:// URL; empty
	// means SQLite in DataDir.
	DatabaseURL string `toml:"database_url"`
	// AdminPassword, when set on first start, is the password of the
	// account "admin"; otherwise a random one is printed once. Environment
	// only in practice (VIGIL_ADMIN_PASSWORD): a password in a file is a
	// password someone forgets to delete.
	AdminPassword string `toml:"-"`
	// Organisation is the server's own organisation, the partnership at
	// the top of the organisation tree: the first administrator belongs
	// to it, and new cameras join it when a request names none and the
	// user manages cameras there.
	Organisation string `toml:"organisation"`
	// LiveHosts are the local addresses browsers are told to reach for
	// live video (WebRTC ICE host candidates); empty: every interface.
	LiveHosts []string `toml:"live_hosts"`
	// MapOutline is a local GeoJSON file the console draws behind its
	// camera map (a boundary, say); empty: no outline.
	MapOutline string `toml:"map_outline"`
	// LiveTranscoder is the ffmpeg that makes an H.264 live view of
	// H.265 cameras for browsers that cannot play H.265: a command name
	// looked up in PATH, or a path; "off" disables it. It runs only while
	// such a view is watched; recordings are never transcoded.
	LiveTranscoder string `toml:"live_transcoder"`
	// TimeZone is the zone every time a person reads is shown in (an
	// IANA name; witness statements and the police work in local time),
	// with UTC on hover; records and the API stay in UTC or carry their
	// offset.
	TimeZone  string    `toml:"time_zone"`
	Recording Recording `toml:"recording"`
	Storage   []Storage `toml:"storage"`
	LogLevel  string    `toml:"log_level"`
	// TLS is "self-signed" to serve HTTPS with a certificate made and kept
	// in DataDir at first start; otherwise TLSCert and TLSKey, when given,
	// are the PEM files to serve HTTPS with, and without them it is plain
	// HTTP (for loopback, or behind a proxy that does TLS).
	TLS     string `toml:"tls"`
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	SignIn  SignIn `toml:"signin"`
	OIDC    OIDC   `toml:"oidc"`

	// AuditDatabaseURL is where the audit trail is kept, apart from the
	// main data: a postgres:// URL, or empty for the default, which is
	// audit.db in DataDir with SQLite, and with PostgreSQL the same
	// database in a schema of its own (see AuditDSN).
	AuditDatabaseURL string `toml:"audit_database_url"`
	// AuditRetentionYears is how long audit records are kept.
	AuditRetentionYears int `toml:"audit_retention_years"`
	// AuditWitness keeps copies of the trail's checkpoints off this
	// machine (audit_witness.go).
	AuditWitness AuditWitness `toml:"audit_witness"`
	// Maintenance says when a camera counts as offline, when a fault is
	// raised for it, and the contractor's targets.
	Maintenance Maintenance `toml:"maintenance"`

	// CameraNetwork restricts the addresses cameras may be at
	// (network.go).
	CameraNetwork CameraNetwork `toml:"camera_network"`
	// HTTPTimeouts bound slow clients of the HTTP server (network.go).
	HTTPTimeouts HTTPTimeouts `toml:"http_timeouts"`
	// ShutdownTimeout bounds a stop: past it the server gives up on what
	// has not finished (the recording index's last write while the
	// database is down, say), names it in the log and exits; footage
	// already on disk is recovered by the reconciliation at the next
	// start.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// SignIn sets how long sign-ins last and how failures are slowed.
type SignIn struct {
	// SessionIdleTimeout ends a console session unused for this long.
	SessionIdleTimeout Duration `toml:"session_idle_timeout"`
	// SessionLifetime ends any console session this long after sign-in.
	SessionLifetime Duration `toml:"session_lifetime"`
	// TokenMaxLifetime is the longest expiry an API token made through
	// the API may have (tokens always expire).
	TokenMaxLifetime Duration `toml:"token_max_lifetime"`
	// LockoutThreshold failed sign-ins in a row lock an account for
	// LockoutBase, doubling with each further failure up to LockoutMax.
	LockoutThreshold int      `toml:"lockout_threshold"`
	LockoutBase      Duration `toml:"lockout_base"`
	LockoutMax       Duration `toml:"lockout_max"`
	// AddressLockoutThreshold failures from one remote address, across
	// any accounts, lock that address the same way: password spraying is
	// slowed, while a control room sharing one address is not locked out
	// by one person's typing.
	AddressLockoutThreshold int `toml:"address_lockout_threshold"`
}

// OIDC is single sign-on through an OpenID Connect provider; off while
// Issuer is empty.
type OIDC struct {
	// Name is what the sign-in page's button says: "Sign in with Name".
	Name         string   `toml:"name"`
	Issuer       string   `toml:"issuer"`
	ClientID     string   `toml:"client_id"`
	ClientSecret string   `toml:"client_secret"`
	RedirectURL  string   `toml:"redirect_url"`
	Scopes       []string `toml:"scopes"`
	// UsernameClaim names the claim a new user's username is taken from.
	UsernameClaim string `toml:"username_claim"`
	// RoleClaim names the claim (a string or a list of them) that Roles
	// map to a Vigil role; the first entry of Roles that matches wins,
	// and with none DefaultRole is used, or the sign-in refused.
	RoleClaim   string     `toml:"role_claim"`
	Roles       []OIDCRole `toml:"roles"`
	DefaultRole string     `toml:"default_role"`
	// OrganisationClaim names the claim holding the user's organisation,
	// which must exist in Vigil and, if AllowedOrganisations is not
	// empty, be one of them; without the claim DefaultOrganisation is
	// used, or the sign-in refused.
	OrganisationClaim    string   `toml:"organisation_claim"`
	AllowedOrganisations []string `toml:"allowed_organisations"`
	DefaultOrganisation  string   `toml:"default_organisation"`
	// TrustProviderMFA says the provider itself requires a second
	// factor, so its users are not asked for Vigil's TOTP as well.
	TrustProviderMFA bool `toml:"trust_provider_mfa"`
}

// OIDCRole maps one value of the role claim to a Vigil role.
type OIDCRole struct {
	Value string `toml:"value"`
	Role  string `toml:"role"`
}

// Enabled says whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Recording tunes the recorder.
type Recording struct {
	// SegmentDuration is how often segment files roll.
	SegmentDuration Duration `toml:"segment_duration"`
	// RetentionDays is the default maximum age of footage of a camera.
	// The Home Office figure for public-space CCTV is 31 days.
	RetentionDays int `toml:"retention_days"`
	// RetentionInterval is how often retention runs.
	RetentionInterval Duration `toml:"retention_interval"`
	// ReadBatch lets about this much of a camera's video queue in the
	// kernel before its connection is read (RTSP over TCP), while no
	// one watches it live: far fewer wake-ups, at this much delay to the
	// recording. 0 reads every packet as it comes.
	ReadBatch Duration `toml:"read_batch"`
	// PlaybackDelay is how old footage must be before someone who may
	// play back a camera's footage but not view it live may play it:
	// footage of the last few seconds, asked for again and again, is a
	// live view by another name. 0 lets them play up to now.
	PlaybackDelay Duration `toml:"playback_delay"`
}

// Storage is one folder recordings are written to. Every configured
// folder takes new segments (segstore.Local's doc comment gives the rule
// for which); each segment's index row names its folder by Name, so a
// folder holding footage keeps its name.
type Storage struct {
	Name string `toml:"name"`
	Path string `toml:"path"`
	// QuotaBytes caps the footage kept in the folder (0: no quota).
	QuotaBytes int64 `toml:"quota_bytes"`
	// MinFreeBytes is the free-space floor of the file system: below it
	// the oldest footage is deleted even within quota and age.
	MinFreeBytes int64 `toml:"min_free_bytes"`
}

// Duration is a time.Duration written as "1m30s" in files.
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler for TOML.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		DataDir:        "vigil-data",
		HTTP:           "127.0.0.1:8080",
		Organisation:   "Partnership",
		LiveTranscoder: "ffmpeg",
		TimeZone:       localtime.Default,
		// Years, not days: the record of who saw what outlives the
		// footage by far (complaints, appeals, inquiries).
		AuditRetentionYears: 7,
		Recording: Recording{
			SegmentDuration:   Duration{time.Minute},
			RetentionDays:     31,
			RetentionInterval: Duration{time.Minute},
			ReadBatch:         Duration{100 * time.Millisecond},
			// A minute: an investigator misses nothing of an incident
			// that is over, and nobody without the right watches one
			// as it happens.
			PlaybackDelay: Duration{time.Minute},
		},
		LogLevel: "info",
		SignIn: SignIn{
			SessionIdleTimeout:      Duration{time.Hour},
			SessionLifetime:         Duration{12 * time.Hour},
			TokenMaxLifetime:        Duration{90 * 24 * time.Hour},
			LockoutThreshold:        5,
			LockoutBase:             Duration{time.Minute},
			LockoutMax:              Duration{time.Hour},
			AddressLockoutThreshold: 20,
		},
		Maintenance: Maintenance{
			OfflineAfter:      Duration{time.Minute},
			OfflineFaultAfter: Duration{15 * time.Minute},
			CheckInterval:     Duration{5 * time.Second},
			OfflinePriority:   "P2",
			Contractor:        "Maintenance contractor",
		},
		OIDC: OIDC{
			Name:              "single sign-on",
			Scopes:            []string{"openid", "profile", "email"},
			UsernameClaim:     "preferred_username",
			RoleClaim:         "roles",
			OrganisationClaim: "organisation",
		},
		HTTPTimeouts:    defaultHTTPTimeouts(),
		ShutdownTimeout: Duration{30 * time.Second},
	}
}

// Load builds the configuration: defaults, then file (if not empty), then
// environment, then Validate.
func Load(file string, env func(string) string) (Config, error) {
	c := Default()
	if file != "" {
		md, err := toml.DecodeFile(file, &c)
		if err != nil {
			return c, fmt.Errorf("config: %s: %w", file, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return c, fmt.Errorf("config: %s: unknown setting %q", file, und[0].String())
		}
	}
	if err := c.applyEnv(env); err != nil {
		return c, err
	}
	c.fill()
	return c, c.Validate()
}

func (c *Config) applyEnv(env func(string) string) error {
	if env == nil {
		env = os.Getenv
	}
	str := func(name string, dst *string) {
		if v := env(name); v != "" {
			*dst = v
		}
	}
	str("VIGIL_DATA", &c.DataDir)
	str("VIGIL_HTTP", &c.HTTP)
	str("VIGIL_DATABASE_URL", &c.DatabaseURL)
	str("VIGIL_ADMIN_PASSWORD", &c.AdminPassword)
	str("VIGIL_ORGANISATION", &c.Organisation)
	str("VIGIL_LOG_LEVEL", &c.LogLevel)
	str("VIGIL_TIME_ZONE", &c.TimeZone)
	str("VIGIL_MAP_OUTLINE", &c.MapOutline)
	str("VIGIL_LIVE_TRANSCODER", &c.LiveTranscoder)
	str("VIGIL_TLS", &c.TLS)
	str("VIGIL_TLS_CERT", &c.TLSCert)
	str("VIGIL_TLS_KEY", &c.TLSKey)
	str("VIGIL_OIDC_ISSUER", &c.OIDC.Issuer)
	str("VIGIL_OIDC_CLIENT_ID", &c.OIDC.ClientID)
	str("VIGIL_OIDC_CLIENT_SECRET", &c.OIDC.ClientSecret)
	str("VIGIL_OIDC_REDIRECT_URL", &c.OIDC.RedirectURL)
	str("VIGIL_AUDIT_DATABASE_URL", &c.AuditDatabaseURL)
	if v := env("VIGIL_AUDIT_RETENTION_YEARS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: VIGIL_AUDIT_RETENTION_YEARS: %w", err)
		}
		c.AuditRetentionYears = n
	}
	c.applyAuditWitnessEnv(env)
	str("VIGIL_MAINTENANCE_CONTRACTOR", &c.Maintenance.Contractor)
	str("VIGIL_OFFLINE_PRIORITY", &c.Maintenance.OfflinePriority)
	for name, dst := range map[string]*Duration{
		"VIGIL_OFFLINE_AFTER":       &c.Maintenance.OfflineAfter,
		"VIGIL_OFFLINE_FAULT_AFTER": &c.Maintenance.OfflineFaultAfter,
	} {
		if v := env(name); v != "" {
			if err := dst.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("config: %s: %w", name, err)
			}
		}
	}
	if err := c.applyNetworkEnv(env); err != nil {
		return err
	}
	if v := env("VIGIL_LIVE_HOSTS"); v != "" {
		c.LiveHosts = strings.Split(v, ",")
	}
	if v := env("VIGIL_SHUTDOWN_TIMEOUT"); v != "" {
		if err := c.ShutdownTimeout.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("config: VIGIL_SHUTDOWN_TIMEOUT: %w", err)
		}
	}
	if v := env("VIGIL_SEGMENT_DURATION"); v != "" {
		if err := c.Recording.SegmentDuration.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("config: VIGIL_SEGMENT_DURATION: %w", err)
		}
	}
	if v := env("VIGIL_READ_BATCH"); v != "" {
		if err := c.Recording.ReadBatch.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("config: VIGIL_READ_BATCH: %w", err)
		}
	}
	if v := env("VIGIL_PLAYBACK_DELAY"); v != "" {
		if err := c.Recording.PlaybackDelay.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("config: VIGIL_PLAYBACK_DELAY: %w", err)
		}
	}
	if v := env("VIGIL_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: VIGIL_RETENTION_DAYS: %w", err)
		}
		c.Recording.RetentionDays = n
	}
	for name, dst := range map[string]func(*Storage) *int64{
		"VIGIL_STORAGE_QUOTA":    func(s *Storage) *int64 { return &s.QuotaBytes },
		"VIGIL_STORAGE_MIN_FREE": func(s *Storage) *int64 { return &s.MinFreeBytes },
	} {
		v := env(name)
		if v == "" {
			continue
		}
		n, err := ParseBytes(v)
		if err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
		c.fill()
		*dst(&c.Storage[0]) = n
	}
	return nil
}

// fill supplies the derived defaults: a storage folder in the data folder.
func (c *Config) fill() {
	if len(c.Storage) == 0 {
		c.Storage = []Storage{{Name: "local", Path: filepath.Join(c.DataDir, "recordings"), MinFreeBytes: 1 << 30}}
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty"))
	}
	if c.HTTP == "" {
		errs = append(errs, errors.New("http is empty"))
	}
	if c.Recording.SegmentDuration.Duration < 5*time.Second || c.Recording.SegmentDuration.Duration > time.Hour {
		errs = append(errs, fmt.Errorf("recording.segment_duration %s is outside 5s..1h", c.Recording.SegmentDuration))
	}
	if c.Recording.RetentionDays < 1 {
		errs = append(errs, fmt.Errorf("recording.retention_days %d is below 1", c.Recording.RetentionDays))
	}
	if b := c.Recording.ReadBatch.Duration; b < 0 || b > time.Second {
		errs = append(errs, fmt.Errorf("recording.read_batch %s is outside 0s..1s", c.Recording.ReadBatch))
	}
	if d := c.Recording.PlaybackDelay.Duration; d < 0 || d > 24*time.Hour {
		errs = append(errs, fmt.Errorf("recording.playback_delay %s is outside 0s..24h", c.Recording.PlaybackDelay))
	}
	if c.Recording.RetentionInterval.Duration < time.Second {
		errs = append(errs, errors.New("recording.retention_interval is below 1s"))
	}
	names := map[string]bool{}
	for i, s := range c.Storage {
		if s.Name == "" || s.Path == "" {
			errs = append(errs, fmt.Errorf("storage[%d] needs a name and a path", i))
		}
		if names[s.Name] {
			errs = append(errs, fmt.Errorf("storage name %q is used twice", s.Name))
		}
		names[s.Name] = true
		if s.QuotaBytes < 0 || s.MinFreeBytes < 0 {
			errs = append(errs, fmt.Errorf("storage %q: negative quota or floor", s.Name))
		}
	}
	if strings.TrimSpace(c.LiveTranscoder) == "" {
		errs = append(errs, errors.New(`live_transcoder is empty (name ffmpeg, or say "off")`))
	}
	if u := c.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		errs = append(errs, errors.New("database_url must be a postgres:// URL (leave it empty for SQLite)"))
	}
	if u := c.AuditDatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		errs = append(errs, errors.New("audit_database_url must be a postgres:// URL (leave it empty for the default)"))
	}
	if c.AuditRetentionYears < 1 {
		errs = append(errs, fmt.Errorf("audit_retention_years %d is below 1", c.AuditRetentionYears))
	}
	if c.MapOutline != "" {
		// Only that it is there: what is in it is the browser's to draw.
		if fi, err := os.Stat(c.MapOutline); err != nil {
			errs = append(errs, fmt.Errorf("map_outline: %w", err))
		} else if !fi.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("map_outline %s is not a file", c.MapOutline))
		}
	}
	errs = append(errs, c.validateAuditWitness()...)
	errs = append(errs, c.validateTLS()...)
	errs = append(errs, c.SignIn.validate()...)
	errs = append(errs, c.OIDC.validate()...)
	errs = append(errs, c.Maintenance.validate()...)
	errs = append(errs, c.validateNetwork()...)
	if d := c.ShutdownTimeout.Duration; d < time.Second || d > time.Hour {
		errs = append(errs, fmt.Errorf("shutdown_timeout %s is outside 1s..1h", c.ShutdownTimeout))
	}
	if c.TimeZone == "" {
		errs = append(errs, errors.New("time_zone is empty (Europe/London, say)"))
	} else if _, err := localtime.Load(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %w", err))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q is not debug, info, warn or error", c.LogLevel))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// DSN is what the store opens: the PostgreSQL URL, or the SQLite file.
func (c Config) DSN() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "vigil.db")
}

// AuditDSN is what the audit trail opens: AuditDatabaseURL when set;
// with PostgreSQL otherwise the main database's URL with the schema
// "audit", or "NAME_audit" when the URL's search_path names a schema NAME
// (so that two Vigils sharing a database keep two trails); with SQLite
// audit.db in DataDir.
func (c Config) AuditDSN() string {
	if c.AuditDatabaseURL != "" {
		return c.AuditDatabaseURL
	}
	if c.DatabaseURL == "" {
		return filepath.Join(c.DataDir, "audit.db")
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return c.DatabaseURL
	}
	q := u.Query()
	schema := "audit"
	if first, _, _ := strings.Cut(q.Get("search_path"), ","); strings.TrimSpace(first) != "" {
		schema = strings.TrimSpace(first) + "_audit"
	}
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// AuditRetention is AuditRetentionYears as a duration.
func (c Config) AuditRetention() time.Duration {
	return time.Duration(c.AuditRetentionYears) * 8766 * time.Hour // 365.25 days
}

// ParseBytes reads "500M", "2G", "1.5T" or a plain number of bytes.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(s, "B"), "b")))
	mult := 1.0
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a size like 500M or 2G", s)
	}
	return int64(f * mult), nil
}

// TLSOn says whether the server speaks HTTPS.
func (c Config) TLSOn() bool { return c.TLS == "self-signed" || c.TLSCert != "" }

func (c Config) validateTLS() []error {
	var errs []error
	switch c.TLS {
	case "":
		if (c.TLSCert == "") != (c.TLSKey == "") {
			errs = append(errs, errors.New("tls_cert and tls_key come together"))
		}
		for _, f := range []struct{ name, path string }{{"tls_cert", c.TLSCert}, {"tls_key", c.TLSKey}} {
			if f.path == "" {
				continue
			}
			if _, err := os.Stat(f.path); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			}
		}
	case "self-signed":
		if c.TLSCert != "" || c.TLSKey != "" {
			errs = append(errs, errors.New(`tls = "self-signed" makes its own certificate: leave tls_cert and tls_key empty`))
		}
	default:
		errs = append(errs, fmt.Errorf(`tls %q is not "self-signed" (give tls_cert and tls_key for certificate files)`, c.TLS))
	}
	return errs
}

func (s SignIn) validate() []error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"session_idle_timeout", s.SessionIdleTimeout.Duration}, {"session_lifetime", s.SessionLifetime.Duration},
		{"token_max_lifetime", s.TokenMaxLifetime.Duration}, {"lockout_base", s.LockoutBase.Duration}, {"lockout_max", s.LockoutMax.Duration},
	} {
		if d.v < time.Second {
			errs = append(errs, fmt.Errorf("signin.%s %s is below 1s", d.name, d.v))
		}
	}
	if s.SessionIdleTimeout.Duration > s.SessionLifetime.Duration {
		errs = append(errs, errors.New("signin.session_idle_timeout is longer than signin.session_lifetime"))
	}
	if s.LockoutMax.Duration < s.LockoutBase.Duration {
		errs = append(errs, errors.New("signin.lockout_max is shorter than signin.lockout_base"))
	}
	if s.LockoutThreshold < 1 || s.AddressLockoutThreshold < 1 {
		errs = append(errs, errors.New("signin.lockout_threshold and signin.address_lockout_threshold must be at least 1"))
	}
	return errs
}

func (o OIDC) validate() []error {
	if !o.Enabled() {
		return nil
	}
	var errs []error
	iss, err := url.Parse(o.Issuer)
	switch {
	case err != nil || iss.Host == "":
		errs = append(errs, fmt.Errorf("oidc.issuer %q is not a URL", o.Issuer))
	case iss.Scheme != "https" && !(iss.Scheme == "http" && isLoopback(iss.Hostname())):
		// A provider over plain HTTP could be impersonated by anyone on
		// the path; loopback is allowed for tests and local providers.
		errs = append(errs, fmt.Errorf("oidc.issuer %q must be https", o.Issuer))
	}
	if o.ClientID == "" {
		errs = append(errs, errors.New("oidc.client_id is empty"))
	}
	if u, err := url.Parse(o.RedirectURL); err != nil || u.Host == "" || u.Path != "/login/oidc/callback" {
		errs = append(errs, fmt.Errorf("oidc.redirect_url %q must be this server's https://HOST/login/oidc/callback", o.RedirectURL))
	}
	if !slices.Contains(o.Scopes, "openid") {
		errs = append(errs, errors.New(`oidc.scopes must include "openid"`))
	}
	for i, r := range o.Roles {
		if r.Value == "" || r.Role == "" {
			errs = append(errs, fmt.Errorf("oidc.roles[%d] needs a value and a role", i))
		} else if _, ok := rights.ParseRole(r.Role); !ok {
			errs = append(errs, fmt.Errorf("oidc.roles[%d]: %q is not one of Vigil's roles (%s)", i, r.Role, roleNames()))
		}
	}
	if _, ok := rights.ParseRole(o.DefaultRole); o.DefaultRole != "" && !ok {
		errs = append(errs, fmt.Errorf("oidc.default_role %q is not one of Vigil's roles (%s)", o.DefaultRole, roleNames()))
	}
	if o.UsernameClaim == "" {
		errs = append(errs, errors.New("oidc.username_claim is empty"))
	}
	return errs
}

func roleNames() string {
	var out []string
	for _, r := range rights.Roles {
		out = append(out, string(r.Role))
	}
	return strings.Join(out, ", ")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
