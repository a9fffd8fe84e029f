package cameras

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// orgsByName finds organisations for an import's rows.
type orgsByName map[string]int64

func (o orgsByName) OrganisationByID(_ context.Context, id int64) (rights.Org, error) {
	for n, i := range o {
		if i == id {
			return rights.Org{ID: id, Name: n}, nil
		}
	}
	return rights.Org{}, problem.ErrNotFound
}

func (o orgsByName) OrganisationByName(_ context.Context, name string) (rights.Org, error) {
	if id, ok := o[name]; ok {
		return rights.Org{ID: id, Name: name}, nil
	}
	return rights.Org{}, problem.ErrNotFound
}

// TestImport: a file is added whole, each camera with its record; a
// refused row refuses the file, naming the row, and adds nothing.
func TestImport(t *testing.T) {
	const head = "name,url,username,password,organisation,retention_days,area,site,latitude,longitude\n"
	for _, tc := range []struct {
		name, file string
		want       int    // cameras added
		msg        string // refusal, or ""
	}{
		{"two", head + "Gate,rtsp://10.0.0.5/s,admin,pw,Council A,30,North,Depot,51.5,-0.1\nYard,rtsp://10.0.0.6/s,,,Council A,,,,,\n", 2, ""},
		{"bad url", head + "Gate,rtsp://10.0.0.5/s,,,Council A,,,,,\nYard,http://10.0.0.6/,,,Council A,,,,,\n", 0, "row 3: url must be an rtsp:// URL"},
		{"unknown organisation", head + "Gate,rtsp://10.0.0.5/s,,,Council Z,,,,,\n", 0, `row 2: there is no organisation named "Council Z"`},
		{"twice", head + "Gate,rtsp://10.0.0.5/s,,,Council A,,,,,\nGate,rtsp://10.0.0.6/s,,,Council A,,,,,\n", 0, `row 3: camera "Gate" is also on row 2`},
		{"retention", head + "Gate,rtsp://10.0.0.5/s,,,Council A,ever,,,,\n", 0, "row 2: retention_days"},
		{"half a position", head + "Gate,rtsp://10.0.0.5/s,,,Council A,,,,51,\n", 0, "row 2: latitude and longitude"},
		{"unknown column", "name,url,colour\nGate,rtsp://10.0.0.5/s,red\n", 0, `row 1: unknown column "colour"`},
		{"header only", head, 0, "no cameras"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, repo, run, box := newTestService(t)
			s.opt.Organisations = orgsByName{"Council A": 3}
			cams, err := s.Import(t.Context(), alice, strings.NewReader(tc.file))
			if tc.msg != "" {
				if !errors.Is(err, problem.ErrInvalid) || !strings.Contains(problem.Message(err, ""), tc.msg) {
					t.Fatalf("got %v, want a refusal saying %q", err, tc.msg)
				}
				if len(repo.cams) != 0 || len(repo.records) != 0 || len(run.applied) != 0 {
					t.Errorf("got %d cameras, %d records, %d started, want none", len(repo.cams), len(repo.records), len(run.applied))
				}
				return
			}
			if err != nil || len(cams) != tc.want || len(repo.cams) != tc.want || len(run.applied) != tc.want {
				t.Fatalf("got %d cameras (%d stored, %d started), %v; want %d", len(cams), len(repo.cams), len(run.applied), err, tc.want)
			}
			for i, e := range repo.records {
				if e.Action != auditlog.CameraCreate || e.CameraID != cams[i].ID {
					t.Errorf("record %d: got %+v, want camera.create of camera %d", i, e, cams[i].ID)
				}
			}
			if c := cams[0]; c.OrganisationID != 3 || c.RetentionDays != 30 || c.Area != "North" || c.Latitude == nil || *c.Latitude != 51.5 {
				t.Errorf("first camera: got %+v, want Council A's, 30 days, North, at 51.5", c)
			}
			if u, p, _ := Credentials(box, cams[0]); u != "admin" || p != "pw" {
				t.Errorf("credentials: got %q, %q, want admin, pw", u, p)
			}
		})
	}
}

// prober answers a connection test as told, keeping what it was asked.
type prober struct {
	asked Probe
	say   Answer
}

func (p *prober) Probe(_ context.Context, q Probe) Answer {
	p.asked = q
	return p.say
}

// TestConnectionTest: the address is checked as a create checks it, the
// credentials are taken out of the URL, and the answer is worded.
func TestConnectionTest(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
		say  Answer
		msg  string // the answer's message, or the refusal's
		err  error
	}{
		{"refused password", Input{URL: ptr("rtsp://admin:bad@10.0.0.5/s")}, Answer{Reachable: true, Class: "authentication failed", Status: 401, Reason: "Unauthorized"},
			"Not connected: the camera refused the user name or password (RTSP 401 Unauthorized).", nil},
		{"plays", Input{URL: ptr("rtsp://10.0.0.5/s"), Username: ptr("admin"), Password: ptr("pw")}, Answer{Reachable: true, OK: true, Codec: "H264", Width: 1920, Height: 1080, Transport: "tcp"},
			"The camera answered and streams H264 at 1920×1080 over tcp.", nil},
		{"nothing listens", Input{URL: ptr("rtsp://10.0.0.5/s")}, Answer{Class: "connection refused"}, "nothing listens", nil},
		{"loopback", Input{URL: ptr("rtsp://127.0.0.1/s")}, Answer{}, "loopback", problem.ErrInvalid},
		{"no url", Input{}, Answer{}, "url is required", problem.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _, _ := newTestService(t)
			p := &prober{say: tc.say}
			s.opt.Probe = p
			a, err := s.Test(t.Context(), alice, tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(problem.Message(err, ""), tc.msg) {
					t.Fatalf("got %v, want a %v saying %q", err, tc.err, tc.msg)
				}
				return
			}
			if err != nil || !strings.Contains(a.Message, tc.msg) {
				t.Fatalf("got %q, %v, want %q", a.Message, err, tc.msg)
			}
			if strings.Contains(p.asked.URL, "@") || p.asked.URL == "" {
				t.Errorf("dialled %q, want the URL without credentials", p.asked.URL)
			}
		})
	}
}
