package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMaintenanceSettings(t *testing.T) {
	d := Default().Maintenance
	if d.OfflineFaultAfter.Duration != 15*time.Minute || d.OfflineAfter.Duration != time.Minute || d.OfflinePriority != "P2" {
		t.Errorf("defaults: got %+v, want a fault after 15m offline, an outage after 1m, P2", d)
	}
	file := filepath.Join(t.TempDir(), "vigil.toml")
	body := "[maintenance]\noffline_fault_after = \"30m\"\ncontractor = \"Acme CCTV\"\n[maintenance.targets.P1]\nresponse = \"2h\"\nfix = \"12h\"\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VIGIL_OFFLINE_FAULT_AFTER": "45m", "VIGIL_OFFLINE_PRIORITY": "P1"}
	c, err := Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := c.Maintenance
	if m.OfflineFaultAfter.Duration != 45*time.Minute || m.Contractor != "Acme CCTV" || m.OfflinePriority != "P1" ||
		m.Targets["P1"].Response.Duration != 2*time.Hour || m.Targets["P1"].Fix.Duration != 12*time.Hour {
		t.Errorf("loaded: got %+v, want the environment's 45m and P1, the file's contractor and P1 targets", m)
	}

	for _, tc := range []struct {
		name string
		set  func(*Maintenance)
		want string
	}{
		{"fault before outage", func(m *Maintenance) { m.OfflineFaultAfter.Duration = 30 * time.Second }, "shorter than maintenance.offline_after"},
		{"unknown priority", func(m *Maintenance) { m.OfflinePriority = "urgent" }, "maintenance.offline_priority"},
		{"no contractor", func(m *Maintenance) { m.Contractor = " " }, "maintenance.contractor is empty"},
		{"unknown target", func(m *Maintenance) { m.Targets = map[string]Target{"P9": {Duration{time.Hour}, Duration{time.Hour}}} }, "maintenance.targets.P9"},
		{"fix before response", func(m *Maintenance) {
			m.Targets = map[string]Target{"P2": {Duration{time.Hour}, Duration{time.Minute}}}
		}, "sooner than response"},
		{"interval", func(m *Maintenance) { m.CheckInterval.Duration = time.Hour }, "check_interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.fill()
			tc.set(&c.Maintenance)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
