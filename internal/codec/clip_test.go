package codec

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/pion/rtp"
)

// TestClipRoundTrip packetizes the clips, disorders and duplicates packets
// as a network might, and checks that reordering and depacketizing give
// back every access unit byte for byte.
func TestClipRoundTrip(t *testing.T) {
	for _, clip := range clips {
		t.Run(clip.codec.String(), func(t *testing.T) {
			aus := groupAccessUnits(clip.codec, clipNALUs(t, clip.path, clip.bsf, clip.fmt))
			if len(aus) != 250 {
				t.Fatalf("got %d access units in the clip, want 250", len(aus))
			}
			want := make([]AccessUnit, len(aus))
			for i, nalus := range aus {
				if i%10 == 3 {
					// Large filler units exercise fragmentation of
					// non-VCL units, as the simulated camera sends them.
					nalus = append(nalus, FillerNALU(clip.codec, 3000+i))
				}
				want[i] = AccessUnit{Timestamp: uint32(i*3600) - 90000, NALUs: nalus, Keyframe: i%50 == 0}
			}

			pz := NewPacketizer(clip.codec, 96, 0x1234, 1200)
			var pkts []*rtp.Packet
			for _, au := range want {
				for _, p := range pz.Packetize(au) {
					if len(p.Payload) > 1200 {
						t.Fatalf("got payload of %d bytes, want at most 1200", len(p.Payload))
					}
					pkts = append(pkts, p)
				}
			}
			// Swap packets a short way apart and repeat some.
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range pkts {
				if j := i + rng.IntN(8); j < len(pkts) && rng.IntN(4) == 0 {
					pkts[i], pkts[j] = pkts[j], pkts[i]
				}
			}
			var wire []*rtp.Packet
			for i, p := range pkts {
				wire = append(wire, p)
				if i%17 == 0 {
					wire = append(wire, p)
				}
			}

			ro := NewReorderer(64)
			dp := NewDepacketizer(clip.codec)
			var got []*AccessUnit
			for _, p := range wire {
				for _, q := range ro.Push(p) {
					au, err := dp.Push(q)
					if err != nil {
						t.Fatalf("depacketizer: got %v, want no error", err)
					}
					if au != nil {
						got = append(got, au)
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("got %d access units, want %d", len(got), len(want))
			}
			keyframes := 0
			for i := range want {
				g, w := got[i], want[i]
				if g.Timestamp != w.Timestamp || g.Keyframe != w.Keyframe || len(g.NALUs) != len(w.NALUs) {
					t.Fatalf("unit %d: got ts %d key %v %d NAL units, want ts %d key %v %d", i,
						g.Timestamp, g.Keyframe, len(g.NALUs), w.Timestamp, w.Keyframe, len(w.NALUs))
				}
				for j := range w.NALUs {
					if !bytes.Equal(g.NALUs[j], w.NALUs[j]) {
						t.Fatalf("unit %d NAL unit %d: got %d bytes differing, want the original %d", i, j, len(g.NALUs[j]), len(w.NALUs[j]))
					}
				}
				if g.Keyframe {
					keyframes++
				}
			}
			if keyframes != 5 {
				t.Errorf("got %d keyframes, want 5", keyframes)
			}
		})
	}
}

// TestFillerDecodes checks with ffmpeg that filler units are ignored by a
// real decoder: the clip with filler added still decodes to 250 frames
// without complaint.
func TestFillerDecodes(t *testing.T) {
	for _, clip := range clips {
		t.Run(clip.codec.String(), func(t *testing.T) {
			aus := groupAccessUnits(clip.codec, clipNALUs(t, clip.path, clip.bsf, clip.fmt))
			var stream []byte
			for _, au := range aus {
				stream = AppendAnnexB(stream, append(au, FillerNALU(clip.codec, 5000)))
			}
			path := filepath.Join(t.TempDir(), "filler."+clip.fmt)
			if err := os.WriteFile(path, stream, 0o600); err != nil {
				t.Fatal(err)
			}
			out, stderr := ffmpegRun(t, "-v", "warning", "-i", path, "-f", "framemd5", "-")
			if len(stderr) > 0 {
				t.Errorf("got decoder messages %q, want none", stderr)
			}
			frames := bytes.Count(out, []byte("\n0,"))
			if frames != 250 {
				t.Errorf("got %d decoded frames, want 250", frames)
			}
		})
	}
}

func TestClipInfo(t *testing.T) {
	tests := []struct {
		codec              Codec
		width, height      int
		profile, mimeCodec string
	}{
		{H264, 640, 360, "Main", "avc1.4d401e"},
		{H265, 640, 360, "Main", "hvc1.1.6.L63.90"},
	}
	for i, tt := range tests {
		clip := clips[i]
		t.Run(tt.codec.String(), func(t *testing.T) {
			p := paramsOf(clip.codec, clipNALUs(t, clip.path, clip.bsf, clip.fmt))
			if !p.Complete() {
				t.Fatalf("got incomplete params from the clip, want complete")
			}
			info, err := p.Info()
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			want := StreamInfo{tt.width, tt.height, tt.profile, tt.mimeCodec}
			if info != want {
				t.Errorf("got %+v, want %+v", info, want)
			}
		})
	}
}

// TestClipDecoderConfig compares the records built from the clips'
// parameter sets with those ffmpeg wrote into the clips.
func TestClipDecoderConfig(t *testing.T) {
	for _, clip := range clips {
		t.Run(clip.codec.String(), func(t *testing.T) {
			p := paramsOf(clip.codec, clipNALUs(t, clip.path, clip.bsf, clip.fmt))
			box := clipBox(t, clip.path, clip.box)
			fromBox, err := ParseDecoderConfig(clip.codec, box)
			if err != nil {
				t.Fatalf("parsing the clip's %s: got %v, want no error", clip.box, err)
			}
			if !fromBox.Equal(p) {
				t.Fatalf("got params %x from %s, want %x from the stream", fromBox, clip.box, p)
			}
			built, err := DecoderConfig(p)
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			back, err := ParseDecoderConfig(clip.codec, built)
			if err != nil || !back.Equal(p) {
				t.Fatalf("round trip: got %x, %v, want %x", back, err, p)
			}
			if clip.codec == H264 {
				if !bytes.Equal(built, box) {
					t.Errorf("got avcC % x, want % x", built, box)
				}
				return
			}
			// hvcC: compare the fixed fields, except the VUI/PPS
			// derived hints we leave unknown (bytes 13-16 hold
			// min_spatial_segmentation_idc and parallelismType; 19-20
			// avgFrameRate) and constantFrameRate.
			fields := []struct {
				name     string
				from, to int
				mask     byte
			}{
				{"configurationVersion", 0, 1, 0xFF},
				{"profile space/tier/idc", 1, 2, 0xFF},
				{"compatibility flags", 2, 6, 0xFF},
				{"constraint flags", 6, 12, 0xFF},
				{"level", 12, 13, 0xFF},
				{"chroma format", 16, 17, 0xFF},
				{"bit depths", 17, 19, 0xFF},
				{"temporal layers, nesting, length size", 21, 22, 0x3F},
			}
			for _, f := range fields {
				for i := f.from; i < f.to; i++ {
					if built[i]&f.mask != box[i]&f.mask {
						t.Errorf("%s: got % x, want % x", f.name, built[f.from:f.to], box[f.from:f.to])
						break
					}
				}
			}
		})
	}
}
