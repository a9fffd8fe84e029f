package ingest

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// Metrics are the cameras' Prometheus series. A nil *Metrics records
// nothing, so tests and tools need not build one.
type Metrics struct {
	state      *prometheus.GaugeVec
	frames     *prometheus.CounterVec
	bytes      *prometheus.CounterVec
	drops      *prometheus.CounterVec
	reconnects *prometheus.CounterVec
}

// NewMetrics registers the series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigil_camera_state",
			Help: "1 for the state each camera is in (connecting, recording, offline, stopped), 0 for the others.",
		}, []string{"camera", "state"}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_camera_frames_total",
			Help: "Frames received from each camera.",
		}, []string{"camera"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_camera_video_bytes_total",
			Help: "Video bytes received from each camera.",
		}, []string{"camera"}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_camera_dropped_total",
			Help: "Packets or frames dropped, by reason.",
		}, []string{"camera", "reason"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_camera_reconnects_total",
			Help: "Sessions with each camera that ended and were retried.",
		}, []string{"camera"}),
	}
	reg.MustRegister(m.state, m.frames, m.bytes, m.drops, m.reconnects)
	return m
}

var allStates = []State{StateConnecting, StateRecording, StateOffline, StateStopped}

func (m *Metrics) setState(id int64, s State) {
	if m == nil {
		return
	}
	cam := strconv.FormatInt(id, 10)
	for _, st := range allStates {
		v := 0.0
		if st == s {
			v = 1
		}
		m.state.WithLabelValues(cam, string(st)).Set(v)
	}
}

// cameraCounters are one camera's hot counters, looked up once rather
// than by label on every frame.
type cameraCounters struct {
	frames, bytes prometheus.Counter
}

func (m *Metrics) counters(id int64) *cameraCounters {
	if m == nil {
		return nil
	}
	cam := strconv.FormatInt(id, 10)
	return &cameraCounters{frames: m.frames.WithLabelValues(cam), bytes: m.bytes.WithLabelValues(cam)}
}

func (c *cameraCounters) frame(nalus [][]byte) {
	if c == nil {
		return
	}
	n := 0
	for _, b := range nalus {
		n += len(b)
	}
	c.frames.Inc()
	c.bytes.Add(float64(n))
}

// Dropped counts a frame of camera id that a sink dropped for err, one
// of the reasons sinks give (ErrStorageTooSlow, say); a failure that is
// none of them counts as "sink_error".
func (m *Metrics) Dropped(id int64, err error) {
	if m == nil {
		return
	}
	reason := "sink_error"
	for _, r := range dropReasons {
		if errors.Is(err, r.err) {
			reason = r.label
			break
		}
	}
	m.drops.WithLabelValues(strconv.FormatInt(id, 10), reason).Inc()
}

// dropped counts a packet or frame that ingest itself dropped.
func (m *Metrics) dropped(id int64, err error) {
	if m == nil {
		return
	}
	reason := "malformed"
	switch {
	case errors.Is(err, codec.ErrPacketLoss):
		reason = "packet_loss"
	case errors.Is(err, errNoParams):
		reason = "no_parameter_sets"
	case errors.Is(err, errWaitKey):
		reason = "awaiting_keyframe"
	case errors.Is(err, errClockJump):
		reason = "clock_jump"
	}
	m.drops.WithLabelValues(strconv.FormatInt(id, 10), reason).Inc()
}

func (m *Metrics) reconnect(id int64) {
	if m == nil {
		return
	}
	m.reconnects.WithLabelValues(strconv.FormatInt(id, 10)).Inc()
}

// Forget removes a deleted camera's series.
func (m *Metrics) Forget(id int64) {
	if m == nil {
		return
	}
	cam := prometheus.Labels{"camera": strconv.FormatInt(id, 10)}
	m.state.DeletePartialMatch(cam)
	m.frames.DeletePartialMatch(cam)
	m.bytes.DeletePartialMatch(cam)
	m.drops.DeletePartialMatch(cam)
	m.reconnects.DeletePartialMatch(cam)
}
