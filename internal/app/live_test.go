package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// viewer is a WebRTC peer standing in for a browser (pion, over loopback
// only), asking for live video over WHEP.
type viewer struct {
	pc       *webrtc.PeerConnection
	location string
	units    chan *codec.AccessUnit
}

func newViewer(t *testing.T, h *harness, cameraID int64) (*viewer, *http.Response) {
	t.Helper()
	return newViewerOf(t, h, cameraID, func(me *webrtc.MediaEngine) error { return me.RegisterDefaultCodecs() })
}

// newViewerOf is newViewer for a browser receiving the formats register
// adds; it takes H.264.
func newViewerOf(t *testing.T, h *harness, cameraID int64, register func(*webrtc.MediaEngine) error) (*viewer, *http.Response) {
	t.Helper()
	pc := testkit.WebRTCPeer(t, register, webrtc.RTPCodecTypeVideo)
	v := &viewer{pc: pc, units: make(chan *codec.AccessUnit, 1000)}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		d := codec.NewDepacketizer(codec.H264)
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if au, _ := d.Push(p); au != nil {
				select {
				case v.units <- au:
				default:
				}
			}
		}
	})
	offer := testkit.WebRTCOffer(t, pc)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/cameras/%d/whep", h.base, cameraID), bytes.NewReader(offer))
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/sdp")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(answer)) // for the caller, on an error
	if res.StatusCode != http.StatusCreated {
		return nil, res
	}
	v.location = res.Header.Get("Location")
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	return v, res
}

// TestLiveWHEP: two viewers watch a camera live over WebRTC (WHEP) while
// it records, through the one RTSP session that feeds the recorder; each
// starts at a keyframe; both starts and ends are audited.
func TestLiveWHEP(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	id := h.addCamera("Live", h.cams.URL(1), nil)
	h.awaitFootage(id, time.Second, 30*time.Second)

	var viewers []*viewer
	for range 2 {
		v, res := newViewer(t, h, id)
		if v == nil {
			t.Fatalf("WHEP offer: got %d, want 201", res.StatusCode)
		}
		if res.Header.Get("Content-Type") != "application/sdp" || !strings.HasPrefix(v.location, fmt.Sprintf("/api/v1/cameras/%d/whep/", id)) {
			t.Errorf("WHEP answer headers %v, want application/sdp and a Location under the camera", res.Header)
		}
		viewers = append(viewers, v)
	}
	for i, v := range viewers {
		var first *codec.AccessUnit
		n := 0
		for deadline := time.After(20 * time.Second); n < 50; n++ {
			select {
			case au := <-v.units:
				if first == nil {
					first = au
				}
			case <-deadline:
				t.Fatalf("viewer %d: %d frames within 20 s, want 50", i, n)
			}
		}
		if !first.Keyframe {
			t.Errorf("viewer %d: the first frame is not a keyframe", i)
		}
		hasSPS := false
		for _, nalu := range first.NALUs {
			hasSPS = hasSPS || codec.IsParameterSet(codec.H264, nalu)
		}
		if !hasSPS {
			t.Errorf("viewer %d: the first frame comes without its parameter sets", i)
		}
	}
	if n := h.cams.Sessions(1); n != 1 {
		t.Errorf("the camera has %d RTSP sessions with two live viewers and the recorder, want 1", n)
	}
	// Recording goes on meanwhile.
	h.awaitFootage(id, 8*time.Second, 30*time.Second)

	// One viewer leaves with DELETE; the other by closing its connection.
	res, _ := h.do("DELETE", viewers[0].location, nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Errorf("DELETE the live view: got %d, want 200", res.StatusCode)
	}
	if res, _ := h.do("DELETE", viewers[0].location, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE again: got %d, want 404", res.StatusCode)
	}
	viewers[1].pc.Close()
	deadline := time.Now().Add(40 * time.Second)
	for {
		stops, err := h.app.Audit.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: id, Action: "live.stop"})
		if err != nil {
			t.Fatal(err)
		}
		if len(stops) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d live.stop audit records, want 2", len(stops))
		}
		time.Sleep(100 * time.Millisecond)
	}
	starts, _ := h.app.Audit.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: id, Action: "live.start"})
	if len(starts) != 2 || starts[0].Username != "admin" {
		t.Errorf("live.start audit records %+v, want two by admin", starts)
	}

	t.Run("bad offers", func(t *testing.T) {
		for _, tc := range []struct {
			body, ctype string
			code        int
		}{
			{"v=0\r\n", "application/sdp", 400},
			{"not sdp at all", "application/sdp", 400},
			{"{}", "application/json", 415},
		} {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/cameras/%d/whep", h.base, id), bytes.NewBufferString(tc.body))
			req.Header.Set("Authorization", "Bearer "+h.token)
			req.Header.Set("Content-Type", tc.ctype)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.code || !bytes.Contains(b, []byte(`"error"`)) {
				t.Errorf("offer %q (%s): got %d %s, want %d with a JSON error", tc.body, tc.ctype, res.StatusCode, b, tc.code)
			}
		}
		// Each start the trail holds has its end: the refused offers'
		// starts are closed as never started.
		starts, _ := h.app.Audit.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: id, Action: "live.start"})
		stops, _ := h.app.Audit.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: id, Action: "live.stop"})
		never := 0
		for _, s := range stops {
			if strings.Contains(s.Detail, "never started") {
				never++
			}
		}
		if len(starts) != len(stops) || never != len(starts)-2 {
			t.Errorf("after the refused offers: %d starts, %d stops (%d never started), want as many stops as starts, all but 2 never started", len(starts), len(stops), never)
		}
	})
}
