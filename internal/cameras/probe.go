package cameras

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Probe is a connection test's request: a camera's address and
// credentials as a person typed them into the add form, not yet saved.
type Probe struct {
	URL                string // without credentials
	Username, Password string
	Transport          string // "tcp" or "udp"
}

// Answer is what a camera said to a connection test. Class is the kind of
// failure (rtsp's classes: "authentication failed", "connection
// refused"...), empty when the camera played; Status and Reason the RTSP
// status line it refused with, if it sent one; Detail the failure itself.
type Answer struct {
	Reachable bool   // something answered RTSP at the address
	OK        bool   // the camera played its stream
	Class     string // empty when OK
	Status    int    // e.g. 401; 0: none was sent
	Reason    string // e.g. "Unauthorized"
	Detail    string
	// What the camera streams, from its SDP, when OK.
	Codec         string // "H264" or "H265"
	Width, Height int    // 0: not said in the SDP
	Transport     string // the transport the camera accepted
	// Message is the answer in a sentence for the person adding the
	// camera, which the service words.
	Message string
}

// Prober dials a camera once, through the camera address policy at every
// address it sends to, and reports what it answered.
type Prober interface {
	Probe(ctx context.Context, p Probe) Answer
}

// ProbeTime bounds a connection test: the person is waiting at the form.
const ProbeTime = 5 * time.Second

// Test dials the camera that in describes (its URL, credentials and
// transport, as a create would take them) and says what it answered. It
// changes nothing, so it has no audit record; it is logged. by must
// manage cameras somewhere: a test reaches into the cameras' network.
func (s *Service) Test(ctx context.Context, by Caller, in Input) (Answer, error) {
	if by.Rights != nil && !by.Principal.Holds().Has(rights.ManageCameras) {
		return Answer{}, problem.Forbiddenf("testing a camera's connection needs the right to manage cameras")
	}
	if in.URL == nil {
		return Answer{}, problem.Invalidf("url is required")
	}
	if s.opt.Probe == nil {
		return Answer{}, problem.New(problem.ErrUnavailable, "connection tests are not available on this server", nil)
	}
	// The same checks as a create's: the URL's form, the address policy
	// (which the prober applies again at each address dialled), the
	// transport; credentials in the URL are taken out of it.
	c := Camera{Transport: "tcp"}
	if err := s.apply(ctx, &c, Input{URL: in.URL, Username: in.Username, Password: in.Password, Transport: in.Transport}); err != nil {
		return Answer{}, err
	}
	user, pass, err := Credentials(s.opt.Secrets, c)
	if err != nil {
		return Answer{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, ProbeTime)
	defer cancel()
	a := s.opt.Probe.Probe(ctx, Probe{URL: c.URL, Username: user, Password: pass, Transport: c.Transport})
	a.Message = answerText(a)
	s.log.Info("camera connection test", "user", by.Actor.UserID, "url", c.URL, "ok", a.OK, "class", a.Class, "status", a.Status)
	return a, nil
}

// answerText words a connection test's answer for the person at the form.
func answerText(a Answer) string {
	if a.OK {
		what := "The camera answered and streams " + a.Codec
		if a.Width > 0 {
			what += fmt.Sprintf(" at %d×%d", a.Width, a.Height)
		}
		return what + " over " + a.Transport + "."
	}
	var why string
	switch a.Class {
	case "authentication failed":
		why = "the camera refused the user name or password"
	case "address not allowed":
		why = "the camera address policy does not allow this address"
	case "host not found":
		why = "the camera's host name is not known"
	case "connection refused":
		why = "nothing listens at this address and port"
	case "no route":
		why = "there is no route to the camera's network"
	case "timed out":
		why = "the camera did not answer in time"
	case "not an RTSP server":
		why = "something answered, but not in RTSP"
	case "stream not found":
		why = "the camera has no stream at this path"
	case "unsupported stream":
		why = "the camera's stream is not H.264 or H.265 video"
	default:
		why = "the connection failed"
	}
	if a.Status != 0 {
		why += fmt.Sprintf(" (RTSP %d %s)", a.Status, a.Reason)
	}
	return "Not connected: " + why + "."
}
