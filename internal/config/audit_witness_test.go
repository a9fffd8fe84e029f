package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuditWitness(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "vigil.toml")
	if err := os.WriteFile(file, []byte("data_dir = \"d\"\n[audit_witness]\nsyslog = \"udp://192.0.2.10:514\"\ndatabase = \"/mnt/other/witness.db\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.AuditWitness.Database != "/mnt/other/witness.db" {
		t.Errorf("database: got %q, want the file's", c.AuditWitness.Database)
	}
	if n, a, ok, err := c.AuditWitness.SyslogTarget(); n != "udp" || a != "192.0.2.10:514" || !ok || err != nil {
		t.Errorf("syslog target: got %q %q %v %v, want udp 192.0.2.10:514", n, a, ok, err)
	}
	env := map[string]string{"VIGIL_AUDIT_WITNESS_SYSLOG": "unixgram:///dev/log", "VIGIL_AUDIT_WITNESS_DATABASE": "postgres://w@witness/db"}
	c, err = Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if n, a, _, _ := c.AuditWitness.SyslogTarget(); n != "unixgram" || a != "/dev/log" || c.AuditWitness.Database != "postgres://w@witness/db" {
		t.Errorf("from the environment: got %q %q and %q, want unixgram /dev/log and the URL", n, a, c.AuditWitness.Database)
	}
	if n, a, ok, err := (AuditWitness{Syslog: "local"}).SyslogTarget(); n != "" || a != "" || !ok || err != nil {
		t.Errorf("local: got %q %q %v %v, want the system's socket", n, a, ok, err)
	}
	if _, _, ok, err := (AuditWitness{}).SyslogTarget(); ok || err != nil {
		t.Errorf("none: got %v %v, want no witness", ok, err)
	}

	for _, tc := range []struct{ name, toml, want string }{
		{"syslog scheme", "syslog = \"http://h:514\"", "audit_witness.syslog"},
		{"syslog without port", "syslog = \"udp://h\"", "audit_witness.syslog"},
		{"syslog relative socket", "syslog = \"unix://dev/log\"", "audit_witness.syslog"},
		{"the trail's own file", "database = \"d/audit.db\"", "own database"},
		{"the main file", "database = \"d/vigil.db\"", "own database"},
		{"another engine", "database = \"mysql://w@h/db\"", "postgres:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(file, []byte("data_dir = \"d\"\n[audit_witness]\n"+tc.toml+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
