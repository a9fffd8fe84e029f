package mp4

import (
	"encoding/binary"
	"io"
	"math"
	"slices"
	"time"
)

// mac1904 is the offset of the Unix epoch from the ISO base media epoch
// (1904-01-01 UTC), in seconds.
const mac1904 = 2082844800

func isoTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix() + mac1904
	if s < 0 {
		return 0
	}
	return uint64(s)
}

// WriteInit writes ftyp (major "iso5", compatible iso5 iso6 mp41 and the
// codec's brand) and a moov for a fragmented file whose track has ID 1.
func WriteInit(w io.Writer, t Track) (int64, error) {
	if err := checkTrack(t); err != nil {
		return 0, err
	}
	b := make([]byte, 0, 1024+len(t.Config))
	b = appendFtyp(b, "iso5", 512, "iso5", "iso6", "mp41", t.Codec)
	b = appendMoov(b, t, moovInfo{fragmented: true, editTime: -1}, nil)
	n, err := w.Write(b)
	return int64(n), err
}

func appendFtyp(b []byte, major string, minor uint32, compat ...string) []byte {
	b, s := beginBox(b, "ftyp")
	b = append(b, major...)
	b = appendU32(b, minor)
	for _, c := range compat {
		b = append(b, c...)
	}
	return endBox(b, s)
}

// moovInfo is what differs between the moov of an init segment and that of
// a progressive file.
type moovInfo struct {
	fragmented bool
	creation   uint64
	mediaDur   uint64 // mdhd: sum of sample durations
	presDur    uint64 // mvhd, tkhd and the edit: what is presented
	editTime   int64  // edit list media_time, or -1 for no edit list
	meta       []byte // body of the 'vgil' box, or nil
}

var unityMatrix = [9]uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000}

func appendMatrix(b []byte) []byte {
	for _, v := range unityMatrix {
		b = appendU32(b, v)
	}
	return b
}

// needV1 picks version 1 of a box with time fields when a value does not
// fit the 32 bits of version 0.
func needV1(vals ...uint64) byte {
	for _, v := range vals {
		if v > math.MaxUint32 {
			return 1
		}
	}
	return 0
}

func appendVar(b []byte, v1 byte, v uint64) []byte {
	if v1 == 1 {
		return appendU64(b, v)
	}
	return appendU32(b, uint32(v))
}

// appendMoov writes the moov; stbl appends the sample tables (stts, ctts,
// stss, stsz, stsc, stco) or, when nil, the empty ones of a fragmented file.
func appendMoov(b []byte, t Track, m moovInfo, stbl func([]byte) []byte) []byte {
	b, moov := beginBox(b, "moov")

	v := needV1(m.creation, m.presDur)
	b, s := beginFullBox(b, "mvhd", v, 0)
	b = appendVar(b, v, m.creation)
	b = appendVar(b, v, m.creation)
	b = appendU32(b, t.Timescale) // the movie shares the track's timescale: no rounding
	b = appendVar(b, v, m.presDur)
	b = appendU32(b, 0x00010000) // rate 1.0
	b = appendU16(b, 0x0100)     // volume 1.0
	b = appendZeros(b, 10)
	b = appendMatrix(b)
	b = appendZeros(b, 24)
	b = appendU32(b, trackID+1) // next_track_ID
	b = endBox(b, s)

	b, trak := beginBox(b, "trak")
	b, s = beginFullBox(b, "tkhd", v, 3) // enabled, in movie
	b = appendVar(b, v, m.creation)
	b = appendVar(b, v, m.creation)
	b = appendU32(b, trackID)
	b = appendU32(b, 0)
	b = appendVar(b, v, m.presDur)
	b = appendZeros(b, 8)
	b = appendU16(b, 0) // layer
	b = appendU16(b, 0) // alternate_group
	b = appendU16(b, 0) // volume: video
	b = appendU16(b, 0)
	b = appendMatrix(b)
	b = appendU32(b, uint32(t.Width)<<16)
	b = appendU32(b, uint32(t.Height)<<16)
	b = endBox(b, s)

	if m.editTime >= 0 {
		var edts int
		b, edts = beginBox(b, "edts")
		ev := needV1(m.presDur, uint64(m.editTime))
		b, s = beginFullBox(b, "elst", ev, 0)
		b = appendU32(b, 1)
		b = appendVar(b, ev, m.presDur)
		b = appendVar(b, ev, uint64(m.editTime))
		b = appendU32(b, 0x00010000) // media_rate 1.0
		b = endBox(b, s)
		b = endBox(b, edts)
	}

	b, mdia := beginBox(b, "mdia")
	mv := needV1(m.creation, m.mediaDur)
	b, s = beginFullBox(b, "mdhd", mv, 0)
	b = appendVar(b, mv, m.creation)
	b = appendVar(b, mv, m.creation)
	b = appendU32(b, t.Timescale)
	b = appendVar(b, mv, m.mediaDur)
	b = appendU16(b, 0x55c4) // "und"
	b = appendU16(b, 0)
	b = endBox(b, s)

	b, s = beginFullBox(b, "hdlr", 0, 0)
	b = appendU32(b, 0)
	b = append(b, "vide"...)
	b = appendZeros(b, 12)
	b = append(b, "VideoHandler\x00"...)
	b = endBox(b, s)

	b, minf := beginBox(b, "minf")
	b, s = beginFullBox(b, "vmhd", 0, 1)
	b = appendZeros(b, 8) // graphicsmode, opcolor
	b = endBox(b, s)
	b, dinf := beginBox(b, "dinf")
	b, s = beginFullBox(b, "dref", 0, 0)
	b = appendU32(b, 1)
	b, u := beginFullBox(b, "url ", 0, 1) // media in this file
	b = endBox(b, u)
	b = endBox(b, s)
	b = endBox(b, dinf)

	b, st := beginBox(b, "stbl")
	b = appendStsd(b, t)
	if stbl != nil {
		b = stbl(b)
	} else {
		for _, typ := range [...]string{"stts", "stsc"} {
			b, s = beginFullBox(b, typ, 0, 0)
			b = appendU32(b, 0)
			b = endBox(b, s)
		}
		b, s = beginFullBox(b, "stsz", 0, 0)
		b = appendZeros(b, 8)
		b = endBox(b, s)
		b, s = beginFullBox(b, "stco", 0, 0)
		b = appendU32(b, 0)
		b = endBox(b, s)
	}
	b = endBox(b, st)
	b = endBox(b, minf)
	b = endBox(b, mdia)
	b = endBox(b, trak)

	if m.fragmented {
		var mvex int
		b, mvex = beginBox(b, "mvex")
		b, s = beginFullBox(b, "trex", 0, 0)
		b = appendU32(b, trackID)
		b = appendU32(b, 1) // default_sample_description_index
		b = appendZeros(b, 12)
		b = endBox(b, s)
		b = endBox(b, mvex)
	}
	if m.meta != nil {
		var udta int
		b, udta = beginBox(b, "udta")
		b, s = beginBox(b, "vgil")
		b = append(b, m.meta...)
		b = endBox(b, s)
		b = endBox(b, udta)
	}
	return endBox(b, moov)
}

// appendStsd writes the sample description: one visual sample entry
// (ISO/IEC 14496-12 12.1.3) holding the caller's codec configuration.
func appendStsd(b []byte, t Track) []byte {
	b, stsd := beginFullBox(b, "stsd", 0, 0)
	b = appendU32(b, 1)
	b, e := beginBox(b, t.Codec)
	b = appendZeros(b, 6)
	b = appendU16(b, 1) // data_reference_index
	b = appendZeros(b, 16)
	b = appendU16(b, uint16(t.Width))
	b = appendU16(b, uint16(t.Height))
	b = appendU32(b, 0x00480000) // 72 dpi
	b = appendU32(b, 0x00480000)
	b = appendU32(b, 0)
	b = appendU16(b, 1)    // frame_count
	b = appendZeros(b, 32) // compressorname
	b = appendU16(b, 0x0018)
	b = appendU16(b, 0xffff)
	b, c := beginBox(b, configType(t.Codec))
	b = append(b, t.Config...)
	b = endBox(b, c)
	b = endBox(b, e)
	return endBox(b, stsd)
}

// moof layout sizes, fixed because every trun carries the same four fields.
const (
	mfhdSize       = 16
	tfhdSize       = 16
	tfdtSize       = 20
	trunHeaderSize = 20
	trunEntrySize  = 16
)

// AppendFragment appends to dst a moof (mfhd; traf with tfhd
// default-base-is-moof, tfdt v1, trun v1 with data offset and per-sample
// duration, size, flags and composition offset) followed by the mdat box
// header; the caller then writes the samples' bytes in order. The mdat
// header takes the 64-bit form only when the samples exceed 4 GiB.
func AppendFragment(dst []byte, seq uint32, baseDecodeTime uint64, samples []Sample) []byte {
	var payload uint64
	for i := range samples {
		payload += uint64(samples[i].Size)
	}
	trafSize := 8 + tfhdSize + tfdtSize + trunHeaderSize + trunEntrySize*len(samples)
	moofSize := 8 + mfhdSize + trafSize
	mdatHdr := 8
	if payload+8 > math.MaxUint32 {
		mdatHdr = 16
	}
	total := moofSize + mdatHdr
	dst = slices.Grow(dst, total)
	be := binary.BigEndian
	b := dst[len(dst) : len(dst)+total]
	be.PutUint32(b[0:], uint32(moofSize))
	copy(b[4:], "moof")
	be.PutUint32(b[8:], mfhdSize)
	copy(b[12:], "mfhd")
	be.PutUint32(b[16:], 0)
	be.PutUint32(b[20:], seq)
	p := b[24:]
	be.PutUint32(p[0:], uint32(trafSize))
	copy(p[4:], "traf")
	be.PutUint32(p[8:], tfhdSize)
	copy(p[12:], "tfhd")
	be.PutUint32(p[16:], 0x020000) // default-base-is-moof
	be.PutUint32(p[20:], trackID)
	p = p[8+tfhdSize:]
	be.PutUint32(p[0:], tfdtSize)
	copy(p[4:], "tfdt")
	be.PutUint32(p[8:], 1<<24)
	be.PutUint64(p[12:], baseDecodeTime)
	p = p[tfdtSize:]
	be.PutUint32(p[0:], uint32(trunHeaderSize+trunEntrySize*len(samples)))
	copy(p[4:], "trun")
	// version 1; data-offset, duration, size, flags, composition offset
	be.PutUint32(p[8:], 1<<24|0x000f01)
	be.PutUint32(p[12:], uint32(len(samples)))
	be.PutUint32(p[16:], uint32(moofSize+mdatHdr))
	p = p[trunHeaderSize:]
	for i := range samples {
		s := &samples[i]
		be.PutUint32(p[0:], s.Duration)
		be.PutUint32(p[4:], s.Size)
		f := uint32(flagsNonSync)
		if s.Keyframe {
			f = flagsSync
		}
		be.PutUint32(p[8:], f)
		be.PutUint32(p[12:], uint32(s.CompositionOffset))
		p = p[trunEntrySize:]
	}
	if mdatHdr == 8 {
		be.PutUint32(p[0:], uint32(payload+8))
		copy(p[4:], "mdat")
	} else {
		be.PutUint32(p[0:], 1)
		copy(p[4:], "mdat")
		be.PutUint64(p[8:], payload+16)
	}
	return dst[:len(dst)+total]
}
