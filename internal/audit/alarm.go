package audit

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Alarm is something wrong with the trail that the server found itself,
// at start or while running: what kind of thing (one of AlarmReasons) and
// what exactly.
type Alarm struct {
	Reason string
	Msg    string
	At     time.Time
}

// AlarmReasons are the reasons an alarm can have: the kinds of Problem
// (changed, removed, inserted, reordered: records rewritten; truncated:
// records removed from the end; forged: a record Vigil did not write;
// checkpoint: a checkpoint removed, changed or forged; witness: a witness
// that disagrees or cannot be reached; guard: a guard trigger removed,
// disabled or changed, and restored; alarm: an alarm the trail itself
// records).
var AlarmReasons = []string{"changed", "removed", "inserted", "reordered", "truncated", "forged", "checkpoint", "witness", "guard", "alarm"}

// alarm raises an alarm: in the log at error level, to the syslog
// witness, and in Alarms (which the console and /metrics show) until the
// server stops. The same alarm twice is one.
func (t *Trail) alarm(reason, msg string) {
	t.alarmMu.Lock()
	for _, a := range t.alarms {
		if a.Reason == reason && a.Msg == msg {
			t.alarmMu.Unlock()
			return
		}
	}
	t.alarms = append(t.alarms, Alarm{Reason: reason, Msg: msg, At: t.now()})
	t.alarmMu.Unlock()
	t.log.Error("AUDIT TRAIL ALARM: "+msg, "reason", reason)
	if t.off != nil {
		t.off.alarm(reason, msg)
	}
}

// Alarms are the alarms raised since the trail was opened, oldest first.
func (t *Trail) Alarms() []Alarm {
	t.alarmMu.Lock()
	defer t.alarmMu.Unlock()
	return slices.Clone(t.alarms)
}

// alarmDesc is vigil_audit_alarm: 1 for each reason an alarm was raised
// for, 0 for the others, so that an alert rule needs only "> 0".
var alarmDesc = prometheus.NewDesc("vigil_audit_alarm",
	"1 when the server found the audit trail damaged for this reason (records changed, removed or truncated, a guard trigger dropped, a witness disagreeing...): run vigil audit verify.",
	[]string{"reason"}, nil)

type alarmCollector struct{ t *Trail }

// AlarmCollector exports the trail's alarms as the gauge
// vigil_audit_alarm{reason}.
func AlarmCollector(t *Trail) prometheus.Collector { return alarmCollector{t} }

func (c alarmCollector) Describe(ch chan<- *prometheus.Desc) { ch <- alarmDesc }

func (c alarmCollector) Collect(ch chan<- prometheus.Metric) {
	on := map[string]bool{}
	for _, a := range c.t.Alarms() {
		on[a.Reason] = true
	}
	for _, r := range AlarmReasons {
		v := 0.0
		if on[r] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(alarmDesc, prometheus.GaugeValue, v, r)
	}
}

var outboxDesc = prometheus.NewDesc("vigil_audit_outbox_waiting",
	"Audit records committed with their changes that the audit trail does not hold yet; more than 0 for long means the trail cannot be written.",
	nil, nil)

type outboxCollector struct{ o *Outbox }

// OutboxCollector exports how many records wait in the outbox as the
// gauge vigil_audit_outbox_waiting.
func OutboxCollector(o *Outbox) prometheus.Collector { return outboxCollector{o} }

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDesc }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, _, err := c.o.st.OutboxPending(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n))
}
