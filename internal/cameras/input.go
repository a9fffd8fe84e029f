package cameras

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/netpolicy"
	"github.com/vigil-cctv/vigil/internal/problem"
)

// Input is what a person asks of a camera: in a change, nil fields keep
// their values.
type Input struct {
	Name          *string
	URL           *string
	Username      *string
	Password      *string
	Transport     *string
	RetentionDays *int
	Enabled       *bool
	Area          *string
	Site          *string
	Description   *string
	// A position is cleared with a set, nil value, so absent and cleared
	// differ.
	Latitude, Longitude Optional
	// Category is the monitoring category in the recharge; a change of it
	// is dated in the camera's history.
	Category *string
}

// Optional is a value that may be given as nothing (Set, V nil) or not
// given at all.
type Optional struct {
	Set bool
	V   *float64
}

// hostCheckTime bounds how long resolving a camera's host may hold up the
// person adding it.
const hostCheckTime = 5 * time.Second

// apply validates in and merges it into c, sealing its credentials.
func (s *Service) apply(ctx context.Context, c *Camera, in Input) error {
	creds, err := openCredentials(s.opt.Secrets, *c)
	if err != nil {
		return err
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > 200 {
			return problem.Invalidf("name must be 1 to 200 characters")
		}
		if err := names.Check("a camera's name", name); err != nil {
			return problem.New(problem.ErrInvalid, err.Error(), err)
		}
		c.Name = name
	}
	if in.URL != nil {
		u, err := url.Parse(strings.TrimSpace(*in.URL))
		if err != nil || u.Scheme != "rtsp" || u.Host == "" {
			return problem.Invalidf("url must be an rtsp:// URL with a host, e.g. rtsp://192.0.2.10:554/stream1")
		}
		if err := s.checkHost(ctx, u.Hostname()); err != nil {
			return err
		}
		if u.User != nil {
			// Credentials in the URL are taken out and sealed, so the
			// URL can be shown.
			creds.Username = u.User.Username()
			creds.Password, _ = u.User.Password()
			u.User = nil
		}
		c.URL = u.String()
	}
	if in.Username != nil {
		creds.Username = *in.Username
	}
	if in.Password != nil {
		creds.Password = *in.Password
	}
	if in.Transport != nil {
		switch *in.Transport {
		case "tcp", "udp":
			c.Transport = *in.Transport
		default:
			return problem.Invalidf(`transport must be "tcp" or "udp"`)
		}
	}
	if in.RetentionDays != nil {
		if *in.RetentionDays < 1 || *in.RetentionDays > 3650 {
			return problem.Invalidf("retention_days must be between 1 and 3650")
		}
		c.RetentionDays = *in.RetentionDays
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
	if err := applyPlace(c, in); err != nil {
		return err
	}
	sealCredentials(s.opt.Secrets, c, creds)
	return nil
}

// checkHost refuses a camera address the camera network policy refuses,
// saying which rule; a host name is resolved and each of its addresses
// checked. The policy is checked again at every connection, at the
// address dialled, which is what holds when a name resolves elsewhere
// later; this check is so that the person adding the camera hears why
// now. A name that does not resolve yet is let through to that check.
func (s *Service) checkHost(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, hostCheckTime)
	defer cancel()
	err := s.opt.Addresses.CheckHost(ctx, nil, host)
	var re *netpolicy.RefusedError
	switch {
	case errors.As(err, &re):
		return problem.New(problem.ErrInvalid, "url: "+re.Error(), err)
	case err != nil:
		s.log.Info("camera host not checked now: it does not resolve", "host", host, "err", err)
	}
	return nil
}

// applyPlace validates and merges where a camera is: its filing in the
// camera tree and its position on the map.
func applyPlace(c *Camera, in Input) error {
	for _, f := range []struct {
		name  string
		in    *string
		dst   *string
		limit int
	}{
		{"area", in.Area, &c.Area, MaxPlace},
		{"site", in.Site, &c.Site, MaxPlace},
		{"description", in.Description, &c.Description, MaxDescription},
	} {
		if f.in == nil {
			continue
		}
		v := strings.TrimSpace(*f.in)
		if utf8.RuneCountInString(v) > f.limit {
			return problem.Invalidf("%s must be at most %d characters", f.name, f.limit)
		}
		if err := names.Check("a camera's "+f.name, v); err != nil && f.name != "description" {
			return problem.New(problem.ErrInvalid, err.Error(), err)
		}
		*f.dst = v
	}
	if in.Latitude.Set {
		c.Latitude = in.Latitude.V
	}
	if in.Longitude.Set {
		c.Longitude = in.Longitude.V
	}
	switch lat, lon := c.Latitude, c.Longitude; {
	case (lat == nil) != (lon == nil):
		return problem.Invalidf("latitude and longitude must be given together, or both null to clear the position")
	case lat == nil:
	case *lat < -90 || *lat > 90:
		return problem.Invalidf("latitude %v is outside -90 to 90 degrees", *lat)
	case *lon < -180 || *lon > 180:
		return problem.Invalidf("longitude %v is outside -180 to 180 degrees", *lon)
	}
	return nil
}
