package live

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// takeFrames returns the next n frames of s, failing after 10 s.
func takeFrames(t testing.TB, s *FrameSubscriber, n int) []*Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make([]*Frame, 0, n)
	for len(out) < n {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("got %d frames, then %v, want %d", len(out), err, n)
		}
		out = append(out, f)
	}
	return out
}

// writeAll writes frames' packets to h.
func writeAll(h *Hub, frames [][]*rtp.Packet) {
	for _, p := range flatten(frames) {
		h.WriteRTP(p)
	}
}

// checkFrameStart checks that a frame starts a decodable stream: a
// keyframe whose parameter sets, those in force, come first.
func checkFrameStart(t testing.TB, f *Frame) {
	t.Helper()
	if !f.Keyframe {
		t.Fatalf("first frame: got no keyframe, want one")
	}
	want := [][]byte{f.Params.SPS, f.Params.PPS}
	if f.Codec == codec.H265 {
		want = [][]byte{f.Params.VPS, f.Params.SPS, f.Params.PPS}
	}
	if len(f.NALUs) < len(want) {
		t.Fatalf("first frame: got %d NAL units, want the parameter sets and a picture", len(f.NALUs))
	}
	for i, u := range want {
		if len(u) == 0 || !bytes.Equal(f.NALUs[i], u) {
			t.Fatalf("first frame: NAL unit %d is type %d, want parameter set %d of those in force", i, codec.NALUType(f.Codec, f.NALUs[i]), i)
		}
	}
}

// TestFrames: a subscriber joining mid-GOP gets whole access units from
// the next keyframe, the parameter sets first, whether the camera
// repeats them or the hub has them from the SDP.
func TestFrames(t *testing.T) {
	for _, c := range []codec.Codec{codec.H264, codec.H265} {
		for _, strip := range []bool{false, true} {
			t.Run(c.String()+"/strip="+strconv.FormatBool(strip), func(t *testing.T) {
				cl := loadClip(t, c)
				h := NewHub(c.String(), cl.fmtp)
				s, err := h.Frames(256)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				writeAll(h, cl.packetize(codec.NewPacketizer(c, 96, 1, 1200), 10, 120, strip))
				got := takeFrames(t, s, 70) // frames 50 to 119
				checkFrameStart(t, got[0])
				for i, f := range got {
					n := 50 + i
					if f.Timestamp != uint32(n)*3600 || f.Keyframe != (n%50 == 0) || f.Discontinuity {
						t.Fatalf("frame %d: got timestamp %d keyframe %v discontinuity %v, want %d %v false",
							n, f.Timestamp, f.Keyframe, f.Discontinuity, n*3600, n%50 == 0)
					}
					if f.Keyframe {
						checkFrameStart(t, f)
					}
					var vcl int
					for _, u := range f.NALUs {
						if !codec.IsParameterSet(c, u) {
							vcl++
						}
					}
					wantVCL := 0
					for _, u := range cl.aus[n%len(cl.aus)].NALUs {
						if !codec.IsParameterSet(c, u) {
							wantVCL++
						}
					}
					if vcl != wantVCL {
						t.Fatalf("frame %d: got %d NAL units besides parameter sets, want the camera's %d", n, vcl, wantVCL)
					}
				}
				if d := s.Dropped(); d != 0 {
					t.Errorf("got %d dropped, want 0: waiting for the first keyframe is no drop", d)
				}
			})
		}
	}
}

// TestSlowFrameSubscriber: a subscriber that stops taking frames loses
// frames, counted, and resumes at a keyframe marked as a discontinuity;
// the RTP viewer and another subscriber on the hub lose nothing, and the
// fragmented MP4 of what the slow one got decodes without an error.
func TestSlowFrameSubscriber(t *testing.T) {
	cl := loadClip(t, codec.H264)
	h := NewHub("H264", cl.fmtp)
	viewer := addSink(t, h, 1<<14, nil)
	fast, err := h.Frames(1000)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	slow, err := h.Frames(8)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()

	pz := codec.NewPacketizer(codec.H264, 96, 1, 1200)
	phase1 := cl.packetize(pz, 0, 30, false)
	writeAll(h, phase1)
	got := takeFrames(t, slow, 8) // its queue: frames 0 to 7
	if d := slow.Dropped(); d != 22 {
		t.Errorf("after 30 frames into a queue of 8: got %d dropped, want 22", d)
	}
	// Frames 30 to 49 are dropped waiting for a keyframe; 50 to 57 fill
	// the queue again.
	phase2 := cl.packetize(pz, 30, 58, false)
	writeAll(h, phase2)
	got = append(got, takeFrames(t, slow, 8)...)
	if d := slow.Dropped(); d != 42 {
		t.Errorf("got %d dropped, want 42: frames 8 to 49", d)
	}
	for i, f := range got {
		n := i
		if i >= 8 {
			n = 42 + i
		}
		if f.Timestamp != uint32(n)*3600 || f.Discontinuity != (n == 50) {
			t.Fatalf("frame %d: got timestamp %d discontinuity %v, want %d %v", i, f.Timestamp, f.Discontinuity, n*3600, n == 50)
		}
	}
	checkFrameStart(t, got[8])
	if all := takeFrames(t, fast, 58); all[57].Timestamp != 57*3600 || fast.Dropped() != 0 {
		t.Errorf("the other subscriber: got frame 57 at %d and %d dropped, want %d and none", all[57].Timestamp, fast.Dropped(), 57*3600)
	}
	pkts := flatten(append(phase1, phase2...))
	samePayloads(t, viewer.take(t, len(pkts)), pkts)

	p := probeFMP4(t, got)
	if p.frames != len(got) || p.codec != "h264" {
		t.Errorf("ffprobe: got %d frames of %s, want %d of h264", p.frames, p.codec, len(got))
	}
	// The timeline goes on across the drop: 16 frames of 40 ms.
	if p.duration < 0.63 || p.duration > 0.65 {
		t.Errorf("ffprobe: got a duration of %.3f s, want 0.64 s: no gap where frames were dropped", p.duration)
	}
}

// TestFramesRestart: when the camera's stream restarts, a subscriber
// resumes at its first keyframe, marked as a discontinuity.
func TestFramesRestart(t *testing.T) {
	cl := loadClip(t, codec.H264)
	h := NewHub("H264", cl.fmtp)
	s, err := h.Frames(1000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeAll(h, cl.packetize(codec.NewPacketizer(codec.H264, 96, 1, 1200), 0, 30, false))
	second := cl.packetize(codec.NewPacketizer(codec.H264, 96, 2, 1200), 20, 60, false)
	for _, p := range flatten(second) {
		p.Timestamp += 0x12345678
	}
	writeAll(h, second)
	got := takeFrames(t, s, 40) // 0 to 29, then 50 to 59 of the second
	if f := got[30]; !f.Keyframe || !f.Discontinuity || f.Timestamp != 50*3600+0x12345678 {
		t.Errorf("first frame after the restart: got keyframe %v discontinuity %v timestamp %d, want true true %d",
			f.Keyframe, f.Discontinuity, f.Timestamp, 50*3600+0x12345678)
	}
	if f := got[29]; f.Timestamp != 29*3600 {
		t.Errorf("last frame before the restart: got timestamp %d, want %d", f.Timestamp, 29*3600)
	}
}

// TestFramesClose: closing the hub ends its subscribers and refuses new
// ones; watchers of the number of viewers hear of every change.
func TestFramesClose(t *testing.T) {
	h := NewHub("H264", h264Fmtp)
	n, changed := h.WatchViewers()
	if n != 0 {
		t.Fatalf("Viewers: got %d, want 0", n)
	}
	s, err := h.Frames(0)
	if err != nil {
		t.Fatal(err)
	}
	<-changed
	n, changed = h.WatchViewers()
	if n != 1 {
		t.Errorf("Viewers with one subscriber: got %d, want 1", n)
	}
	h.Close()
	<-changed
	<-h.Done()
	<-s.Done()
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after the hub closed: got %v, want ErrClosed", err)
	}
	if _, err := h.Frames(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Frames after Close: got %v, want ErrClosed", err)
	}
	if n := h.Viewers(); n != 0 {
		t.Errorf("Viewers after Close: got %d, want 0", n)
	}
}

// TestFMP4: fragmented MP4 of a camera's frames, one fragment per frame,
// decodes in ffmpeg frame for frame, with the camera's frame rate.
func TestFMP4(t *testing.T) {
	for _, c := range []codec.Codec{codec.H264, codec.H265} {
		t.Run(c.String(), func(t *testing.T) {
			cl := loadClip(t, c)
			h := NewHub(c.String(), cl.fmtp)
			s, err := h.Frames(1000)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			writeAll(h, cl.packetize(codec.NewPacketizer(c, 96, 1, 1200), 0, 250, true))
			frames := takeFrames(t, s, 250)
			m := NewFMP4()
			init, _, err := m.Write(frames[0])
			if err != nil || init == nil {
				t.Fatalf("first Write: got init %v, error %v, want an init segment", init, err)
			}
			wantMIME := `video/mp4; codecs="avc1.`
			if c == codec.H265 {
				wantMIME = `video/mp4; codecs="hvc1.`
			}
			if !strings.HasPrefix(init.MIME, wantMIME) || init.Codec != c.String() || init.Width != 640 || init.Height != 360 {
				t.Errorf("init: got %s %q %dx%d, want %s %s... 640x360", init.Codec, init.MIME, init.Width, init.Height, c, wantMIME)
			}
			p := probeFMP4(t, frames)
			wantCodec := map[codec.Codec]string{codec.H264: "h264", codec.H265: "hevc"}[c]
			if p.codec != wantCodec || p.frames != 250 || p.width != 640 || p.height != 360 {
				t.Errorf("ffprobe: got %+v, want 250 frames of %s 640x360", p, wantCodec)
			}
			if p.duration < 9.99 || p.duration > 10.01 {
				t.Errorf("ffprobe: got a duration of %.3f s, want 10 s", p.duration)
			}
		})
	}
}

// TestFMP4Params: a change of parameter sets gives a new init segment,
// and the fragments after it decode with it; decode times go on.
func TestFMP4Params(t *testing.T) {
	a := loadClip(t, codec.H264)
	b := smallClip(t)
	frame := func(cl *testClip, i int, params *codec.Params) *Frame {
		au := cl.aus[i]
		f := &Frame{Codec: codec.H264, Params: params, Timestamp: uint32(i) * 3600, Keyframe: au.Keyframe, NALUs: au.NALUs}
		if au.Keyframe {
			f.NALUs = withParams(codec.H264, au.NALUs, params)
		}
		return f
	}
	pa, pb := a.params, b.params
	m := NewFMP4()
	var parts [2][]byte
	var inits []*FMP4Init
	for i := range 100 {
		f := frame(a, i, &pa)
		part := 0
		if i >= 50 {
			f = frame(b, i, &pb)
			part = 1
		}
		init, frag, err := m.Write(f)
		if err != nil {
			t.Fatal(err)
		}
		if init != nil {
			inits = append(inits, init)
			parts[part] = append(parts[part], init.Data...)
		}
		if i == 50 {
			if base := binary.BigEndian.Uint64(frag[8+16+8+16+12:]); base != 50*3600 {
				t.Errorf("frame 50: got decode time %d, want %d: the timeline goes on across a new init", base, 50*3600)
			}
		}
		parts[part] = append(parts[part], frag...)
	}
	if len(inits) != 2 || inits[1].Width != 320 || inits[1].Height != 180 {
		t.Fatalf("got %d init segments, want 2, the second 320x180", len(inits))
	}
	for i, part := range parts {
		path := filepath.Join(t.TempDir(), "part.mp4")
		if err := os.WriteFile(path, part, 0o600); err != nil {
			t.Fatal(err)
		}
		if p := probe(t, path); p.frames != 50 || p.width != []int{640, 320}[i] {
			t.Errorf("part %d: got %+v, want 50 frames %d wide", i, p, []int{640, 320}[i])
		}
	}
}

// smallClip is the H.264 clip at 320x180, made with ffmpeg.
func smallClip(t testing.TB) *testClip {
	t.Helper()
	testkit.NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	out := filepath.Join(dir, "small.mp4")
	if b, err := exec.Command("ffmpeg", "-v", "error", "-i", "../simcam/clips/h264.mp4", "-frames:v", "100", "-vf", "scale=320:180",
		"-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "50", "-an", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := exec.Command("ffmpeg", "-v", "error", "-i", out, "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	cl := &testClip{codec: codec.H264, params: codec.Params{Codec: codec.H264}}
	var cur [][]byte
	for _, u := range codec.SplitAnnexB(b) {
		typ := codec.NALUType(codec.H264, u)
		firstSlice := typ >= 1 && typ <= 5 && len(u) > 1 && u[1]&0x80 != 0
		// A new picture, or what precedes one, ends the unit.
		if (firstSlice || typ == 6 || typ == 9 || codec.IsParameterSet(codec.H264, u)) && hasSlice(cur) {
			cl.aus = append(cl.aus, accessUnit(cur))
			cur = nil
		}
		if codec.IsParameterSet(codec.H264, u) {
			cl.params.Update(u)
		}
		cur = append(cur, u)
	}
	cl.aus = append(cl.aus, accessUnit(cur))
	if len(cl.aus) != 100 || !cl.aus[50].Keyframe {
		t.Fatalf("small clip: got %d access units, want 100 with a keyframe at 50", len(cl.aus))
	}
	return cl
}

func hasSlice(nalus [][]byte) bool {
	for _, u := range nalus {
		if t := codec.NALUType(codec.H264, u); t >= 1 && t <= 5 {
			return true
		}
	}
	return false
}

func accessUnit(nalus [][]byte) codec.AccessUnit {
	au := codec.AccessUnit{NALUs: nalus}
	for _, u := range nalus {
		au.Keyframe = au.Keyframe || codec.IsKeyframe(codec.H264, u)
	}
	return au
}

type probed struct {
	codec         string
	width, height int
	frames        int
	duration      float64
}

// probeFMP4 muxes frames into one file (they must share their parameter
// sets) and probes it.
func probeFMP4(t testing.TB, frames []*Frame) probed {
	t.Helper()
	m := NewFMP4()
	var file []byte
	for _, f := range frames {
		init, frag, err := m.Write(f)
		if err != nil {
			t.Fatal(err)
		}
		if init != nil {
			if len(file) > 0 {
				t.Fatal("a second init segment in one file")
			}
			file = append(file, init.Data...)
		}
		file = append(file, frag...)
	}
	path := filepath.Join(t.TempDir(), "live.mp4")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	return probe(t, path)
}

// probe decodes every frame of a file with ffmpeg, failing on any error,
// and reads its stream with ffprobe.
func probe(t testing.TB, path string) probed {
	t.Helper()
	testkit.NeedTool(t, "ffmpeg")
	bin := testkit.NeedTool(t, "ffprobe")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg decoding %s: %v\n%s", path, err, out)
	}
	out, err := exec.Command(bin, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var r struct {
		Streams []struct {
			CodecName    string `json:"codec_name"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			NbReadFrames string `json:"nb_read_frames"`
		}
		Format struct{ Duration string }
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Streams) != 1 {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	p := probed{codec: r.Streams[0].CodecName, width: r.Streams[0].Width, height: r.Streams[0].Height}
	p.frames, _ = strconv.Atoi(r.Streams[0].NbReadFrames)
	p.duration, _ = strconv.ParseFloat(r.Format.Duration, 64)
	return p
}
