package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Fragment is one moof+mdat pair of a fragmented file, for the first
// track fragment (traf) of the moof.
type Fragment struct {
	Offset         int64 // file offset of the moof box
	Size           int64 // moof + mdat, bytes
	DataOffset     int64 // absolute file offset of the first sample's bytes
	Sequence       uint32
	BaseDecodeTime uint64
	Samples        []Sample
}

// SampleRef is a sample of a progressive file with where its bytes are.
type SampleRef struct {
	Sample
	Offset     int64  // absolute file offset
	DecodeTime uint64 // in track timescale
}

// ioError marks a failure of the underlying reader, as opposed to bytes
// that do not parse: ScanFragments stops quietly at the latter only.
type ioError struct{ err error }

func (e ioError) Error() string { return e.err.Error() }
func (e ioError) Unwrap() error { return e.err }

func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return ioError{fmt.Errorf("mp4: read %d bytes at %d: %w", len(p), off, err)}
}

// boxHeader is a top-level box located in a file.
type boxHeader struct {
	typ  [4]byte
	size int64 // whole box
	hdr  int64 // header bytes: 8 or 16
}

func (h boxHeader) is(typ string) bool { return string(h.typ[:]) == typ }

// readBoxHeader reads the header of the box at off and checks the whole
// box lies within the file's size bytes.
func readBoxHeader(r io.ReaderAt, off, size int64) (boxHeader, error) {
	var h boxHeader
	var buf [16]byte
	if off < 0 || size-off < 8 {
		return h, fmt.Errorf("mp4: no box header at %d", off)
	}
	if err := readAt(r, buf[:8], off); err != nil {
		return h, err
	}
	copy(h.typ[:], buf[4:8])
	s := uint64(binary.BigEndian.Uint32(buf[:]))
	h.hdr = 8
	switch s {
	case 0:
		s = uint64(size - off)
	case 1:
		if size-off < 16 {
			return h, fmt.Errorf("mp4: truncated box header at %d", off)
		}
		if err := readAt(r, buf[8:16], off+8); err != nil {
			return h, err
		}
		s = binary.BigEndian.Uint64(buf[8:])
		h.hdr = 16
	}
	if s < uint64(h.hdr) || s > uint64(size-off) {
		return h, fmt.Errorf("mp4: box %q at %d: size %d exceeds the %d bytes left", h.typ[:], off, s, size-off)
	}
	h.size = int64(s)
	return h, nil
}

// readMoov finds the moov among the top-level boxes and reads its body.
// It returns the offset just after the moov.
func readMoov(r io.ReaderAt, size int64) ([]byte, int64, error) {
	var off int64
	for range maxTopLevelBeforeMoov {
		if off >= size {
			break
		}
		h, err := readBoxHeader(r, off, size)
		if err != nil {
			return nil, 0, err
		}
		switch {
		case h.is("moov"):
			n := h.size - h.hdr
			if n > MaxMoovSize {
				return nil, 0, fmt.Errorf("mp4: moov of %d bytes exceeds %d", n, MaxMoovSize)
			}
			body := make([]byte, n)
			if err := readAt(r, body, off+h.hdr); err != nil {
				return nil, 0, err
			}
			return body, off + h.size, nil
		case h.is("moof"):
			return nil, 0, errors.New("mp4: moof before moov")
		}
		off += h.size
	}
	return nil, 0, errors.New("mp4: no moov box")
}

// ReadInit parses the moov of a file (one of our fragmented segments, or a
// progressive file as ffmpeg writes it, moov first or last) and returns its
// first video track. end is the offset just after the moov, where the
// fragments of a fragmented file begin.
func ReadInit(r io.ReaderAt, size int64) (t Track, end int64, err error) {
	moov, end, err := readMoov(r, size)
	if err != nil {
		return Track{}, 0, err
	}
	t, _, err = parseVideoTrak(moov)
	if err != nil {
		return Track{}, 0, err
	}
	return t, end, nil
}

// parseVideoTrak returns the first video track of a moov and its stbl body.
func parseVideoTrak(moov []byte) (Track, []byte, error) {
	for b := moov; len(b) > 0; {
		typ, trak, rest, err := nextBox(b)
		if err != nil {
			return Track{}, nil, err
		}
		b = rest
		if typ != "trak" {
			continue
		}
		mdia, err := mustChild(trak, "mdia")
		if err != nil {
			return Track{}, nil, err
		}
		hdlr, err := mustChild(mdia, "hdlr")
		if err != nil {
			return Track{}, nil, err
		}
		if len(hdlr) < 12 || string(hdlr[8:12]) != "vide" {
			continue
		}
		return parseMdia(mdia)
	}
	return Track{}, nil, errors.New("mp4: no video track")
}

func parseMdia(mdia []byte) (Track, []byte, error) {
	var t Track
	mdhd, err := mustChild(mdia, "mdhd")
	if err != nil {
		return t, nil, err
	}
	c := cursor{b: mdhd}
	if v, _ := c.fullHeader(); v == 1 {
		c.take(16)
	} else {
		c.take(8)
	}
	t.Timescale = c.u32()
	if c.bad {
		return t, nil, errors.New("mp4: short mdhd")
	}
	minf, err := mustChild(mdia, "minf")
	if err != nil {
		return t, nil, err
	}
	stbl, err := mustChild(minf, "stbl")
	if err != nil {
		return t, nil, err
	}
	stsd, err := mustChild(stbl, "stsd")
	if err != nil {
		return t, nil, err
	}
	c = cursor{b: stsd}
	c.fullHeader()
	if c.u32() == 0 || c.bad {
		return t, nil, errors.New("mp4: empty stsd")
	}
	codec, entry, _, err := nextBox(c.b)
	if err != nil {
		return t, nil, err
	}
	switch codec {
	case "avc1", "hvc1", "hev1":
	default:
		return t, nil, fmt.Errorf("mp4: unsupported sample entry %q", codec)
	}
	// Visual sample entry: 78 bytes of fixed fields, then child boxes.
	if len(entry) < 78 {
		return t, nil, errors.New("mp4: short visual sample entry")
	}
	t.Codec = codec
	t.Width = int(binary.BigEndian.Uint16(entry[24:]))
	t.Height = int(binary.BigEndian.Uint16(entry[26:]))
	cfg, err := mustChild(entry[78:], configType(codec))
	if err != nil {
		return t, nil, err
	}
	t.Config = append([]byte(nil), cfg...)
	if err := checkTrack(t); err != nil {
		return Track{}, nil, err
	}
	return t, stbl, nil
}

// ReadFragment reads the moof at offset of a file of size bytes, and checks
// that the mdat following it is complete and holds the samples' bytes.
func ReadFragment(r io.ReaderAt, offset, size int64) (Fragment, error) {
	f, _, err := readFragment(r, offset, size, nil, MaxSamples)
	return f, err
}

// readFragment is ReadFragment reusing buf for the moof and accepting at
// most maxSamples samples.
func readFragment(r io.ReaderAt, offset, size int64, buf []byte, maxSamples int) (Fragment, []byte, error) {
	f := Fragment{Offset: offset}
	h, err := readBoxHeader(r, offset, size)
	if err != nil {
		return f, buf, err
	}
	if !h.is("moof") {
		return f, buf, fmt.Errorf("mp4: box %q at %d is not a moof", h.typ[:], offset)
	}
	if h.size > MaxMoofSize {
		return f, buf, fmt.Errorf("mp4: moof of %d bytes exceeds %d", h.size, MaxMoofSize)
	}
	mdatOff := offset + h.size
	mh, err := readBoxHeader(r, mdatOff, size)
	if err != nil {
		return f, buf, err
	}
	if !mh.is("mdat") {
		return f, buf, fmt.Errorf("mp4: moof at %d not followed by mdat", offset)
	}
	n := int(h.size - h.hdr)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if err := readAt(r, buf, offset+h.hdr); err != nil {
		return f, buf, err
	}
	payload := mh.size - mh.hdr
	if err := parseMoof(&f, buf, payload, maxSamples); err != nil {
		return f, buf, err
	}
	var total int64
	for i := range f.Samples {
		total += int64(f.Samples[i].Size)
	}
	dataStart := mdatOff + mh.hdr
	if f.DataOffset < dataStart || f.DataOffset > mdatOff+mh.size || total > mdatOff+mh.size-f.DataOffset {
		return f, buf, fmt.Errorf("mp4: fragment at %d: samples [%d,+%d) outside its mdat", offset, f.DataOffset, total)
	}
	f.Size = h.size + mh.size
	return f, buf, nil
}

type tfhd struct {
	base                   int64
	hasBase                bool
	dur, size, sampleFlags uint32
}

// parseMoof fills f from a moof body; payload is the size of the mdat's
// payload, the most sample bytes the fragment can have.
func parseMoof(f *Fragment, moof []byte, payload int64, maxSamples int) error {
	mfhd, err := mustChild(moof, "mfhd")
	if err != nil {
		return err
	}
	c := cursor{b: mfhd}
	c.fullHeader()
	f.Sequence = c.u32()
	if c.bad {
		return errors.New("mp4: short mfhd")
	}
	traf, err := mustChild(moof, "traf")
	if err != nil {
		return err
	}
	var th tfhd
	var dataPos int64 = -1 // where the next trun's data starts
	for b := traf; len(b) > 0; {
		typ, body, rest, err := nextBox(b)
		if err != nil {
			return err
		}
		b = rest
		switch typ {
		case "tfhd":
			c := cursor{b: body}
			_, flags := c.fullHeader()
			c.u32() // track_ID
			if flags&0x1 != 0 {
				th.base = int64(c.u64())
				th.hasBase = true
			}
			if flags&0x2 != 0 {
				c.u32()
			}
			if flags&0x8 != 0 {
				th.dur = c.u32()
			}
			if flags&0x10 != 0 {
				th.size = c.u32()
			}
			if flags&0x20 != 0 {
				th.sampleFlags = c.u32()
			}
			if c.bad || th.base < 0 {
				return errors.New("mp4: bad tfhd")
			}
		case "tfdt":
			c := cursor{b: body}
			if v, _ := c.fullHeader(); v == 1 {
				f.BaseDecodeTime = c.u64()
			} else {
				f.BaseDecodeTime = uint64(c.u32())
			}
			if c.bad {
				return errors.New("mp4: short tfdt")
			}
		case "trun":
			base := f.Offset // default-base-is-moof, and the default for a first traf
			if th.hasBase {
				base = th.base
			}
			if err := parseTrun(f, body, &th, base, &dataPos, payload, maxSamples); err != nil {
				return err
			}
		}
	}
	if dataPos < 0 {
		return errors.New("mp4: traf without trun")
	}
	return nil
}

func parseTrun(f *Fragment, body []byte, th *tfhd, base int64, dataPos *int64, payload int64, maxSamples int) error {
	c := cursor{b: body}
	_, flags := c.fullHeader()
	count := c.u32()
	pos := *dataPos
	if pos < 0 {
		pos = base
	}
	if flags&0x1 != 0 {
		p := base + int64(int32(c.u32()))
		if *dataPos >= 0 && p != *dataPos {
			return errors.New("mp4: truns of one fragment not contiguous")
		}
		pos = p
	}
	firstFlags, hasFirst := uint32(0), flags&0x4 != 0
	if hasFirst {
		firstFlags = c.u32()
	}
	if c.bad {
		return errors.New("mp4: short trun")
	}
	per := 0
	for _, bit := range [...]uint32{0x100, 0x200, 0x400, 0x800} {
		if flags&bit != 0 {
			per += 4
		}
	}
	// Bound the allocation by the bytes that describe the samples or,
	// when every field is a default, by the mdat that must hold them.
	if per > 0 && uint64(count)*uint64(per) > uint64(len(c.b)) {
		return errors.New("mp4: trun entries exceed the box")
	}
	if per == 0 && int64(count) > max(payload, 1) {
		return errors.New("mp4: trun samples exceed the mdat")
	}
	if uint64(count) > uint64(maxSamples-len(f.Samples)) {
		return fmt.Errorf("%w: %d more samples", errLimit, count)
	}
	if f.Samples == nil {
		f.Samples = make([]Sample, 0, count)
	}
	if len(f.Samples) == 0 {
		f.DataOffset = pos
	}
	be := binary.BigEndian
	e := c.b
	var total int64
	for i := range int(count) {
		s := Sample{Duration: th.dur, Size: th.size}
		fl := th.sampleFlags
		if flags&0x100 != 0 {
			s.Duration = be.Uint32(e)
			e = e[4:]
		}
		if flags&0x200 != 0 {
			s.Size = be.Uint32(e)
			e = e[4:]
		}
		if flags&0x400 != 0 {
			fl = be.Uint32(e)
			e = e[4:]
		}
		if i == 0 && hasFirst {
			fl = firstFlags
		}
		if flags&0x800 != 0 {
			// Version 0 is unsigned, but writers put negative offsets in it
			// too; the signed reading is right for every real file.
			s.CompositionOffset = int32(be.Uint32(e))
			e = e[4:]
		}
		s.Keyframe = fl&flagNonSync == 0
		total += int64(s.Size)
		f.Samples = append(f.Samples, s)
	}
	*dataPos = pos + total
	return nil
}

var errLimit = fmt.Errorf("mp4: more than %d samples", MaxSamples)

// ScanFragments walks a fragmented file from `from` (normally the end of
// the init) and returns every complete moof+mdat pair, and validEnd, the
// offset just after the last one. Whatever follows validEnd (a fragment
// half-written when the recorder died, garbage) ends the scan without an
// error: the caller truncates it. Only read failures and exceeding
// MaxSamples are errors. Boxes a fragmented file may carry between
// fragments (styp, sidx, free, ...) are skipped.
func ScanFragments(r io.ReaderAt, from, size int64) (frags []Fragment, validEnd int64, err error) {
	if from < 0 || from > size {
		return nil, 0, fmt.Errorf("mp4: scan from %d in a file of %d bytes", from, size)
	}
	validEnd = from
	off := from
	left := MaxSamples
	var buf []byte
	for off < size {
		h, err := readBoxHeader(r, off, size)
		if err != nil {
			if errors.As(err, new(ioError)) {
				return frags, validEnd, err
			}
			break
		}
		if h.is("moof") {
			var f Fragment
			f, buf, err = readFragment(r, off, size, buf, left)
			if err != nil {
				if errors.As(err, new(ioError)) || errors.Is(err, errLimit) {
					return frags, validEnd, err
				}
				break
			}
			left -= len(f.Samples)
			frags = append(frags, f)
			off += f.Size
			validEnd = off
			continue
		}
		switch string(h.typ[:]) {
		case "styp", "sidx", "ssix", "prft", "emsg", "free", "skip":
			off += h.size
			continue
		}
		break
	}
	return frags, validEnd, nil
}

// ReadProgressive reads a plain MP4 whose moov has full sample tables
// (stts, ctts v0/v1, stss, stsz, stsc, stco/co64), as ffmpeg writes it, and
// returns its first video track and the track's samples in decode order.
// A fragmented file's init yields no samples.
func ReadProgressive(r io.ReaderAt, size int64) (Track, []SampleRef, error) {
	moov, _, err := readMoov(r, size)
	if err != nil {
		return Track{}, nil, err
	}
	t, stbl, err := parseVideoTrak(moov)
	if err != nil {
		return Track{}, nil, err
	}
	samples, err := parseStbl(stbl, size)
	if err != nil {
		return Track{}, nil, err
	}
	return t, samples, nil
}

func parseStbl(stbl []byte, fileSize int64) ([]SampleRef, error) {
	stsz, err := mustChild(stbl, "stsz")
	if err != nil {
		return nil, err
	}
	c := cursor{b: stsz}
	c.fullHeader()
	constSize := c.u32()
	count := c.u32()
	if c.bad {
		return nil, errors.New("mp4: short stsz")
	}
	if count > MaxSamples || int64(count) > fileSize {
		return nil, fmt.Errorf("mp4: %d samples exceed the limit", count)
	}
	if constSize == 0 && uint64(count)*4 > uint64(len(c.b)) {
		return nil, errors.New("mp4: stsz entries exceed the box")
	}
	if count == 0 {
		return nil, nil
	}
	samples := make([]SampleRef, count)
	be := binary.BigEndian
	for i := range samples {
		if constSize != 0 {
			samples[i].Size = constSize
		} else {
			samples[i].Size = be.Uint32(c.b[4*i:])
		}
	}

	stts, err := mustChild(stbl, "stts")
	if err != nil {
		return nil, err
	}
	c = cursor{b: stts}
	c.fullHeader()
	n := c.entries(8)
	if c.bad {
		return nil, errors.New("mp4: bad stts")
	}
	idx := 0
	var dts uint64
	for e := range n {
		cnt, d := be.Uint32(c.b[8*e:]), be.Uint32(c.b[8*e+4:])
		for ; cnt > 0 && idx < len(samples); cnt-- {
			samples[idx].Duration = d
			samples[idx].DecodeTime = dts
			dts += uint64(d)
			idx++
		}
	}
	if idx < len(samples) {
		return nil, fmt.Errorf("mp4: stts covers %d of %d samples", idx, len(samples))
	}

	if ctts, ok, err := child(stbl, "ctts"); err != nil {
		return nil, err
	} else if ok {
		c = cursor{b: ctts}
		c.fullHeader()
		n := c.entries(8)
		if c.bad {
			return nil, errors.New("mp4: bad ctts")
		}
		idx = 0
		for e := range n {
			cnt, o := be.Uint32(c.b[8*e:]), int32(be.Uint32(c.b[8*e+4:]))
			for ; cnt > 0 && idx < len(samples); cnt-- {
				samples[idx].CompositionOffset = o
				idx++
			}
		}
	}

	if stss, ok, err := child(stbl, "stss"); err != nil {
		return nil, err
	} else if ok {
		c = cursor{b: stss}
		c.fullHeader()
		n := c.entries(4)
		if c.bad {
			return nil, errors.New("mp4: bad stss")
		}
		for e := range n {
			if k := be.Uint32(c.b[4*e:]); k >= 1 && uint64(k) <= uint64(len(samples)) {
				samples[k-1].Keyframe = true
			}
		}
	} else {
		for i := range samples {
			samples[i].Keyframe = true
		}
	}

	offsets, err := chunkOffsets(stbl)
	if err != nil {
		return nil, err
	}
	stsc, err := mustChild(stbl, "stsc")
	if err != nil {
		return nil, err
	}
	c = cursor{b: stsc}
	c.fullHeader()
	ns := c.entries(12)
	if c.bad || ns == 0 {
		return nil, errors.New("mp4: bad stsc")
	}
	sc := c.b
	idx = 0
	entry := 0
	for ch := 0; ch < offsets.n && idx < len(samples); ch++ {
		// Entries give (first_chunk, samples_per_chunk); chunk numbers are 1-based.
		for entry+1 < ns && uint64(be.Uint32(sc[12*(entry+1):])) <= uint64(ch+1) {
			entry++
		}
		if first := be.Uint32(sc[12*entry:]); uint64(first) > uint64(ch+1) {
			return nil, errors.New("mp4: stsc does not start at chunk 1")
		}
		spc := be.Uint32(sc[12*entry+4:])
		off := offsets.at(ch)
		if off > uint64(fileSize) {
			return nil, fmt.Errorf("mp4: chunk %d at %d outside the file", ch+1, off)
		}
		pos := int64(off)
		for ; spc > 0 && idx < len(samples); spc-- {
			s := &samples[idx]
			if int64(s.Size) > fileSize-pos {
				return nil, fmt.Errorf("mp4: sample %d at %d+%d outside the file", idx+1, pos, s.Size)
			}
			s.Offset = pos
			pos += int64(s.Size)
			idx++
		}
	}
	if idx < len(samples) {
		return nil, fmt.Errorf("mp4: chunks hold %d of %d samples", idx, len(samples))
	}
	return samples, nil
}

// offsetTable is an stco or co64 entry table, read in place.
type offsetTable struct {
	b     []byte
	wide  bool
	n     int
	width int
}

func (o offsetTable) at(i int) uint64 {
	if o.wide {
		return binary.BigEndian.Uint64(o.b[8*i:])
	}
	return uint64(binary.BigEndian.Uint32(o.b[4*i:]))
}

func chunkOffsets(stbl []byte) (offsetTable, error) {
	body, ok, err := child(stbl, "stco")
	if err != nil {
		return offsetTable{}, err
	}
	o := offsetTable{width: 4}
	if !ok {
		if body, ok, err = child(stbl, "co64"); err != nil {
			return o, err
		}
		if !ok {
			return o, errors.New("mp4: missing stco/co64 box")
		}
		o.wide, o.width = true, 8
	}
	c := cursor{b: body}
	c.fullHeader()
	o.n = c.entries(o.width)
	if c.bad {
		return o, errors.New("mp4: bad chunk offset table")
	}
	o.b = c.b
	return o, nil
}
