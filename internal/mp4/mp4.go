// Package mp4 writes and reads ISO Base Media Files (ISO/IEC 14496-12)
// carrying one H.264 or H.265 video track (ISO/IEC 14496-15).
//
// Recordings are fragmented files: an init segment (ftyp+moov) followed by
// one moof+mdat pair per GOP, so a crash loses at most the GOP being
// written and the file can be repaired by truncating after the last
// complete pair (see ScanFragments). Playback of an arbitrary time range is
// served as a virtual progressive file (Progressive) whose moov is built in
// memory and whose mdat is read on demand from the recorded segments, so no
// temporary copy is ever made.
//
// The package knows nothing of codecs beyond the sample entry: callers pass
// and receive the avcC/hvcC body untouched.
package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Track describes the single video track.
type Track struct {
	Codec     string // sample entry fourcc: "avc1" or "hvc1" ("hev1" accepted when reading)
	Config    []byte // body of the avcC (for avc1) or hvcC (for hvc1/hev1) box
	Width     int
	Height    int
	Timescale uint32 // 90000 for RTP-derived video
}

// Sample describes one sample (an access unit in AVCC framing).
type Sample struct {
	Duration          uint32 // in track timescale
	CompositionOffset int32  // PTS - DTS, may be negative
	Size              uint32
	Keyframe          bool
}

// Limits applied to everything read from a file, so hostile input cannot
// make us allocate without bound.
const (
	// MaxSamples bounds the samples of one track or one scan.
	MaxSamples = 10_000_000
	// MaxMoovSize bounds the moov box, which is read whole into memory.
	MaxMoovSize = 64 << 20
	// MaxMoofSize bounds one moof box, which is read whole into memory.
	MaxMoofSize = 16 << 20
	// maxTopLevelBeforeMoov bounds the boxes skipped looking for the moov:
	// real files have a handful (ftyp, free, mdat).
	maxTopLevelBeforeMoov = 4096
	// maxConfigSize bounds the avcC/hvcC body we accept for writing.
	maxConfigSize = 1 << 20
)

// Sample flags (ISO/IEC 14496-12 8.8.3.1): a sync sample depends on no
// other (sample_depends_on=2); others depend on some (1) and are non-sync.
const (
	flagsSync    = 0x02000000
	flagsNonSync = 0x01010000
	flagNonSync  = 0x00010000
)

const trackID = 1

var (
	errShort = errors.New("mp4: truncated box")
)

func checkTrack(t Track) error {
	switch t.Codec {
	case "avc1", "hvc1", "hev1":
	default:
		return fmt.Errorf("mp4: unsupported codec %q", t.Codec)
	}
	if len(t.Config) == 0 || len(t.Config) > maxConfigSize {
		return fmt.Errorf("mp4: codec config of %d bytes", len(t.Config))
	}
	if t.Width <= 0 || t.Width > 0xffff || t.Height <= 0 || t.Height > 0xffff {
		return fmt.Errorf("mp4: bad dimensions %dx%d", t.Width, t.Height)
	}
	if t.Timescale == 0 {
		return errors.New("mp4: zero timescale")
	}
	return nil
}

func configType(codec string) string {
	if codec == "avc1" {
		return "avcC"
	}
	return "hvcC"
}

// --- writing boxes ---
//
// Boxes are appended to a byte slice and their size patched when closed,
// which avoids computing sizes twice and allocates once per file header.

func beginBox(b []byte, typ string) ([]byte, int) {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = append(b, typ...)
	return b, start
}

func beginFullBox(b []byte, typ string, version byte, flags uint32) ([]byte, int) {
	b, start := beginBox(b, typ)
	b = binary.BigEndian.AppendUint32(b, uint32(version)<<24|flags&0xffffff)
	return b, start
}

func endBox(b []byte, start int) []byte {
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func appendZeros(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}

// --- reading boxes ---

// cursor reads big-endian fields from an in-memory box body. A read past
// the end sets bad and yields zeros, so parsers check once at the end
// instead of after every field.
type cursor struct {
	b   []byte
	bad bool
}

func (c *cursor) take(n int) []byte {
	if c.bad || n < 0 || n > len(c.b) {
		c.bad = true
		return nil
	}
	v := c.b[:n]
	c.b = c.b[n:]
	return v
}

func (c *cursor) u32() uint32 {
	if v := c.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (c *cursor) u64() uint64 {
	if v := c.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// fullHeader reads a full box's version and flags.
func (c *cursor) fullHeader() (byte, uint32) {
	v := c.u32()
	return byte(v >> 24), v & 0xffffff
}

// entries reads a 32-bit entry count and checks the entries (each size
// bytes) fit in what is left of the box, so the count can size an
// allocation safely.
func (c *cursor) entries(size int) int {
	n := c.u32()
	if c.bad || uint64(n)*uint64(size) > uint64(len(c.b)) {
		c.bad = true
		return 0
	}
	return int(n)
}

// nextBox splits the first box off b. A size of 0 means the box runs to
// the end of b, as ISO/IEC 14496-12 allows for the last box of a container.
func nextBox(b []byte) (typ string, body, rest []byte, err error) {
	if len(b) < 8 {
		return "", nil, nil, errShort
	}
	size := uint64(binary.BigEndian.Uint32(b))
	hdr := uint64(8)
	switch size {
	case 0:
		size = uint64(len(b))
	case 1:
		if len(b) < 16 {
			return "", nil, nil, errShort
		}
		size = binary.BigEndian.Uint64(b[8:])
		hdr = 16
	}
	if size < hdr || size > uint64(len(b)) {
		return "", nil, nil, fmt.Errorf("mp4: box %q size %d outside its %d-byte container", b[4:8], size, len(b))
	}
	return string(b[4:8]), b[hdr:size], b[size:], nil
}

// child returns the body of the first box of type typ among the boxes in b.
func child(b []byte, typ string) ([]byte, bool, error) {
	for len(b) > 0 {
		t, body, rest, err := nextBox(b)
		if err != nil {
			return nil, false, err
		}
		if t == typ {
			return body, true, nil
		}
		b = rest
	}
	return nil, false, nil
}

// mustChild is child for boxes the file cannot do without.
func mustChild(b []byte, typ string) ([]byte, error) {
	body, ok, err := child(b, typ)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("mp4: missing %s box", typ)
	}
	return body, nil
}
