package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/config"
)

// cameraStatus is the part of a camera's JSON about its connection.
type cameraStatus struct {
	State  string
	Status struct {
		State           string
		LastError       string `json:"last_error"`
		LastErrorDetail string `json:"last_error_detail"`
	}
}

// awaitError polls the camera, as its user sees it, until it is offline
// with an error, failing after 30 s.
func (h *harness) awaitError(id int64) (cameraStatus, string) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, b := h.do("GET", fmt.Sprintf("/api/v1/cameras/%d", id), nil, nil)
		var c cameraStatus
		if err := json.Unmarshal(b, &c); res.StatusCode != 200 || err != nil {
			h.t.Fatalf("GET camera %d: got %d %s", id, res.StatusCode, b)
		}
		if c.State == "offline" && c.Status.LastError != "" {
			return c, string(b)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("camera %d: got %s, want it offline with an error within 30 s", id, b)
		}
		time.Sleep(100 * time.Millisecond) // polling: the API has no event to await
	}
}

// TestCameraAddressPolicy: with the default configuration a camera URL on
// loopback, link-local or unspecified addresses is refused when saved,
// naming the rule, and a camera whose name resolves to loopback is
// refused at dial time; allowing loopback lets such cameras be added.
func TestCameraAddressPolicy(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{cameraNetwork: &config.CameraNetwork{}})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.Split(h.cams.URL(1), "/cam/")[0], "rtsp://"))
	for _, tc := range []struct{ url, want string }{
		{"rtsp://127.0.0.1:" + port + "/cam/1", "loopback addresses are refused unless camera_network.allow"},
		{"rtsp://127.0.0.2:5432/", "loopback"},
		{"rtsp://[::1]:8080/", "loopback"},
		{"rtsp://localhost:" + port + "/cam/1", "localhost"},
		{"rtsp://169.254.169.254/latest", "link-local"},
		{"rtsp://0.0.0.0:" + port + "/cam/1", "unspecified"},
	} {
		res, b := h.do("POST", "/api/v1/cameras", map[string]any{"name": "Inside " + tc.url, "url": tc.url}, nil)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) || !strings.Contains(string(b), "not allowed") {
			t.Errorf("POST camera at %s: got %d %s, want 400 saying it is not allowed (%s)", tc.url, res.StatusCode, b, tc.want)
		}
	}
	// A change of address is checked as an addition is.
	id := h.addCamera("Street", "rtsp://192.0.2.10/stream", map[string]any{"enabled": false})
	res, b := h.do("PATCH", fmt.Sprintf("/api/v1/cameras/%d", id), map[string]any{"url": "rtsp://127.0.0.1:" + port + "/cam/1"}, nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "loopback") {
		t.Errorf("PATCH camera to loopback: got %d %s, want 400 naming loopback", res.StatusCode, b)
	}

	// A camera saved before the policy, or whose name later resolves to
	// loopback, is refused when dialled: it never reaches the camera
	// server and says why.
	c := cameras.Camera{Name: "Renamed", URL: "rtsp://localhost:" + port + "/cam/1", Enabled: true}
	if err := h.app.AddCamera(t.Context(), &c); err != nil {
		t.Fatal(err)
	}
	st, body := h.awaitError(c.ID)
	if st.Status.LastError != "address not allowed" || !strings.Contains(st.Status.LastErrorDetail, "loopback") {
		t.Errorf("camera named localhost: got %s, want last_error \"address not allowed\" and the rule in the detail", body)
	}
	if n := h.cams.FramesDelivered(1); n != 0 {
		t.Errorf("the camera server delivered %d frames, want none: the connection must not be made", n)
	}

	t.Run("loopback allowed", func(t *testing.T) {
		h := start(t, harnessOptions{cameraNetwork: &config.CameraNetwork{Allow: []string{"127.0.0.0/8"}}})
		id := h.addCamera("Local", h.cams.URL(1), nil)
		h.awaitFootage(id, time.Second, 30*time.Second)
	})
}

// TestCameraErrorClassified: a camera URL that reaches another service
// shows operators the kind of failure, never what the service said; those
// who manage the camera see the service's answer.
func TestCameraErrorClassified(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const banner = "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5"
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprintf(c, "%s\r\n", banner)
				bufio.NewReader(c).ReadString('\n')
			}()
		}
	}()
	id := h.addCamera("Not a camera", "rtsp://"+ln.Addr().String()+"/stream", nil)

	manager, body := h.awaitError(id) // the harness's admin manages cameras
	if manager.Status.LastError != "not an RTSP server" || !strings.Contains(manager.Status.LastErrorDetail, "OpenSSH_9.6p1") {
		t.Errorf("as the camera's manager: got %s, want last_error \"not an RTSP server\" and the banner in last_error_detail", body)
	}
	op := h.as(h.newUser("watcher"))
	operator, body := op.awaitError(id)
	if operator.Status.LastError != "not an RTSP server" {
		t.Errorf("as an operator: got %s, want last_error \"not an RTSP server\"", body)
	}
	if strings.Contains(body, "OpenSSH") || strings.Contains(body, "SSH-2.0") {
		t.Errorf("as an operator: got %s, want nothing of the service's banner", body)
	}
	if _, list := op.do("GET", "/api/v1/cameras", nil, nil); strings.Contains(string(list), "OpenSSH") {
		t.Errorf("camera list as an operator: got %s, want nothing of the service's banner", list)
	}
}
