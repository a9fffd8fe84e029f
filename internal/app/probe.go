package app

import (
	"context"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/rtsp"
)

var _ cameras.Prober = (*cameraSet)(nil)

// Probe dials a camera once with Vigil's own RTSP client, as a recorder
// would (through the camera address policy at every address it sends
// to), and hangs up as soon as it plays: the add form's connection test.
func (s *cameraSet) Probe(ctx context.Context, p cameras.Probe) cameras.Answer {
	sess, err := rtsp.Dial(ctx, p.URL, rtsp.ClientOptions{
		Transport: p.Transport, Timeout: cameras.ProbeTime, Username: p.Username, Password: p.Password,
		CheckAddress: s.a.cameraNet.Check, Logger: s.a.log.With("component", "camera-test"),
	})
	if err != nil {
		a := cameras.Answer{Class: string(rtsp.Classify(err)), Detail: err.Error()}
		a.Status, a.Reason, a.Reachable = rtsp.Status(err)
		switch rtsp.Class(a.Class) {
		case rtsp.ClassAuth, rtsp.ClassNoStream, rtsp.ClassRejected, rtsp.ClassUnsupported, rtsp.ClassProtocol:
			a.Reachable = true
		}
		return a
	}
	defer sess.Close()
	m := sess.Media()
	a := cameras.Answer{Reachable: true, OK: true, Codec: m.EncodingName, Transport: sess.Transport()}
	if c, ok := codec.ParseCodec(m.EncodingName); ok {
		if ps, err := codec.ParamsFromFmtp(c, m.Fmtp); err == nil && ps.Complete() {
			if info, err := ps.Info(); err == nil {
				a.Width, a.Height = info.Width, info.Height
			}
		}
	}
	return a
}
