package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// AuditWitness keeps copies of the audit trail's signed checkpoints off
// this machine, so that records removed from the end of the trail are
// caught even by someone who also removes the checkpoints and the
// witness file (audit.checkpoint) from the data folder.
type AuditWitness struct {
	// Syslog sends every checkpoint and every alarm to a syslog server:
	// "udp://HOST:PORT", "tcp://HOST:PORT", "unix:///PATH" or
	// "unixgram:///PATH" (a local socket), or "local" (the system's own
	// syslog, which may forward it); empty: none. Syslog cannot be read
	// back: it is the record to compare with by hand.
	Syslog string `toml:"syslog"`
	// Database keeps a copy of every checkpoint, read back by every start
	// and by vigil audit verify: a postgres:// URL (best another server's)
	// or a SQLite file on other storage; empty: none.
	Database string `toml:"database"`
}

// SyslogTarget is Syslog as a network and address for log/syslog (both
// empty for "local"); ok is false when no syslog witness is set.
func (w AuditWitness) SyslogTarget() (network, address string, ok bool, err error) {
	s := strings.TrimSpace(w.Syslog)
	switch s {
	case "":
		return "", "", false, nil
	case "local":
		return "", "", true, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", false, fmt.Errorf("audit_witness.syslog %q: %w", s, err)
	}
	switch u.Scheme {
	case "udp", "tcp":
		if _, _, err := net.SplitHostPort(u.Host); err != nil || u.Path != "" {
			return "", "", false, fmt.Errorf("audit_witness.syslog %q: want %s://HOST:PORT", s, u.Scheme)
		}
		return u.Scheme, u.Host, true, nil
	case "unix", "unixgram":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return "", "", false, fmt.Errorf("audit_witness.syslog %q: want %s:///PATH", s, u.Scheme)
		}
		return u.Scheme, u.Path, true, nil
	}
	return "", "", false, fmt.Errorf(`audit_witness.syslog %q: want udp://HOST:PORT, tcp://HOST:PORT, unix:///PATH, unixgram:///PATH or "local"`, s)
}

func (c *Config) applyAuditWitnessEnv(env func(string) string) {
	if v := env("VIGIL_AUDIT_WITNESS_SYSLOG"); v != "" {
		c.AuditWitness.Syslog = v
	}
	if v := env("VIGIL_AUDIT_WITNESS_DATABASE"); v != "" {
		c.AuditWitness.Database = v
	}
}

func (c Config) validateAuditWitness() []error {
	var errs []error
	if _, _, _, err := c.AuditWitness.SyslogTarget(); err != nil {
		errs = append(errs, err)
	}
	d := strings.TrimSpace(c.AuditWitness.Database)
	if d == "" {
		return errs
	}
	// A witness in the trail's own database, or the main one, is no
	// witness: it goes with what it should catch.
	same := func(a, b string) bool {
		if strings.Contains(a, "://") || strings.Contains(b, "://") {
			return a == b
		}
		x, err1 := filepath.Abs(a)
		y, err2 := filepath.Abs(b)
		return err1 == nil && err2 == nil && x == y
	}
	if same(d, c.AuditDSN()) || same(d, c.DSN()) {
		errs = append(errs, errors.New("audit_witness.database is the audit trail's own database or the main one: give one apart from both, best on another machine"))
	}
	if strings.Contains(d, "://") && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") {
		errs = append(errs, errors.New("audit_witness.database must be a postgres:// URL or a SQLite file's path"))
	}
	return errs
}
