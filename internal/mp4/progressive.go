package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Source is where a Progressive's sample bytes live, typically an *os.File
// of a recorded segment.
type Source interface {
	ReadAt(p []byte, off int64) (int, error)
}

// ProgressiveSample is one sample of a Progressive and where its bytes are.
type ProgressiveSample struct {
	Sample
	Source int   // index into the sources slice
	Offset int64 // offset of the sample's bytes within that source
}

// ProgressiveOptions are the optional parts of a Progressive.
type ProgressiveOptions struct {
	// CreationTime is the mvhd/tkhd/mdhd creation and modification time.
	CreationTime time.Time
	// StartOffset, when > 0, starts the presentation this many timescale
	// units after the first sample's presentation time, through an edit
	// list, so a file that must begin at a keyframe can start playing
	// later.
	StartOffset int64
	// Meta is written in moov/udta as a 'vgil' box of "key=value\n" lines
	// sorted by key. Keys may not contain '=' or newlines, values no newline.
	Meta map[string]string
}

// Progressive is a virtual plain MP4 (ftyp, moov, mdat: faststart, so
// players can seek with Range requests) over samples held in other files.
// The header is built in memory at construction; mdat bytes are read from
// the sources on demand. It is an io.ReaderAt, safe for concurrent use when
// the sources are; wrap it in io.NewSectionReader(p, 0, p.Size()) for
// http.ServeContent.
type Progressive struct {
	header   []byte // ftyp, moov and the mdat box header
	size     int64
	duration uint64
	sources  []Source
	// Chunks are runs of samples contiguous in one source, the unit of
	// stco and of reads: chunkStart is each one's offset in this file.
	chunkStart []int64
	chunkSrc   []int32
	chunkOff   []int64
}

// progressiveBuilder carries the sample tables' shape, measured in one pass
// over the samples, to the moov writer.
type progressiveBuilder struct {
	samples    []ProgressiveSample
	sttsRuns   int
	cttsRuns   int
	cttsV1     bool
	keyframes  int
	constSize  bool
	stscRuns   int
	chunkCount int
	// chunkSamples is the number of samples in each chunk.
	chunkSamples []uint32
	co64         bool
	offsetsAt    int // index in the header of the first stco/co64 entry
}

// NewProgressive builds the header of a progressive MP4 of samples (in
// decode order) read from sources.
func NewProgressive(t Track, samples []ProgressiveSample, sources []Source, opt ProgressiveOptions) (*Progressive, error) {
	if err := checkTrack(t); err != nil {
		return nil, err
	}
	if len(samples) == 0 {
		return nil, errors.New("mp4: no samples")
	}
	if len(samples) > MaxSamples {
		return nil, fmt.Errorf("mp4: %d samples exceed %d", len(samples), MaxSamples)
	}
	for i, s := range sources {
		if s == nil {
			return nil, fmt.Errorf("mp4: source %d is nil", i)
		}
	}
	meta, err := encodeMeta(opt.Meta)
	if err != nil {
		return nil, err
	}

	p := &Progressive{sources: sources}
	pb := progressiveBuilder{samples: samples, constSize: true}
	var total uint64
	var payload int64
	var anyCTO bool
	chunks := 0
	for i := range samples {
		s := &samples[i]
		if s.Source < 0 || s.Source >= len(sources) {
			return nil, fmt.Errorf("mp4: sample %d: source %d of %d", i, s.Source, len(sources))
		}
		if s.Offset < 0 || s.Offset > math.MaxInt64-int64(s.Size) {
			return nil, fmt.Errorf("mp4: sample %d: offset %d", i, s.Offset)
		}
		if i == 0 || s.Source != samples[i-1].Source || s.Offset != samples[i-1].Offset+int64(samples[i-1].Size) {
			chunks++
			pb.chunkSamples = append(pb.chunkSamples, 0)
			p.chunkStart = append(p.chunkStart, payload) // made absolute once the header is built
			p.chunkSrc = append(p.chunkSrc, int32(s.Source))
			p.chunkOff = append(p.chunkOff, s.Offset)
		}
		pb.chunkSamples[chunks-1]++
		total += uint64(s.Duration)
		payload += int64(s.Size)
		if i == 0 || s.Duration != samples[i-1].Duration {
			pb.sttsRuns++
		}
		if i == 0 || s.CompositionOffset != samples[i-1].CompositionOffset {
			pb.cttsRuns++
		}
		if s.CompositionOffset != 0 {
			anyCTO = true
		}
		if s.CompositionOffset < 0 {
			pb.cttsV1 = true
		}
		if s.Keyframe {
			pb.keyframes++
		}
		// A constant size of 0 would mean "sizes follow" in stsz.
		if s.Size != samples[0].Size || s.Size == 0 {
			pb.constSize = false
		}
	}
	for i, n := range pb.chunkSamples {
		if i == 0 || n != pb.chunkSamples[i-1] {
			pb.stscRuns++
		}
	}
	pb.chunkCount = chunks
	if !anyCTO {
		pb.cttsRuns = 0
	}

	if opt.StartOffset < 0 || (opt.StartOffset > 0 && uint64(opt.StartOffset) >= total) {
		return nil, fmt.Errorf("mp4: start offset %d outside the %d-unit duration", opt.StartOffset, total)
	}
	edit := int64(max(samples[0].CompositionOffset, 0)) + opt.StartOffset
	if edit == 0 {
		edit = -1
	}
	p.duration = total - uint64(opt.StartOffset)
	info := moovInfo{
		creation: isoTime(opt.CreationTime),
		mediaDur: total,
		presDur:  p.duration,
		editTime: edit,
		meta:     meta,
	}

	mdatHdr := int64(8)
	if payload+8 > math.MaxUint32 {
		mdatHdr = 16
	}
	est := 2048 + len(t.Config) + len(meta) + 8*pb.sttsRuns + 8*pb.cttsRuns + 4*pb.keyframes +
		12*pb.stscRuns + 8*chunks
	if !pb.constSize {
		est += 4 * len(samples)
	}
	build := func() []byte {
		h := make([]byte, 0, est)
		h = appendFtyp(h, "isom", 512, ftypBrands(t.Codec, pb.cttsV1)...)
		h = appendMoov(h, t, info, pb.appendTables)
		return h
	}
	h := build()
	if int64(len(h))+mdatHdr+p.chunkStart[chunks-1] > math.MaxUint32 {
		pb.co64 = true
		h = build()
	}
	base := int64(len(h)) + mdatHdr
	for i := range p.chunkStart {
		p.chunkStart[i] += base
		if pb.co64 {
			binary.BigEndian.PutUint64(h[pb.offsetsAt+8*i:], uint64(p.chunkStart[i]))
		} else {
			binary.BigEndian.PutUint32(h[pb.offsetsAt+4*i:], uint32(p.chunkStart[i]))
		}
	}
	if mdatHdr == 8 {
		h = appendU32(h, uint32(payload+8))
		h = append(h, "mdat"...)
	} else {
		h = appendU32(h, 1)
		h = append(h, "mdat"...)
		h = appendU64(h, uint64(payload+16))
	}
	p.header = h
	p.size = base + payload
	return p, nil
}

func ftypBrands(codec string, negativeCTO bool) []string {
	b := []string{"isom", "iso2", "mp41", codec}
	if negativeCTO {
		b = append(b, "iso4") // ctts version 1
	}
	return b
}

// encodeMeta renders the udta/vgil body, or nil when there is no meta.
func encodeMeta(m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if k == "" || strings.ContainsAny(k, "=\n") || strings.Contains(v, "\n") {
			return nil, fmt.Errorf("mp4: meta %q=%q cannot be written as a line", k, v)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b []byte
	for _, k := range keys {
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, m[k]...)
		b = append(b, '\n')
	}
	return b, nil
}

// appendTables writes stts, ctts, stss, stsz, stsc and stco/co64, the last
// with zero offsets patched once the header's size is known.
func (pb *progressiveBuilder) appendTables(b []byte) []byte {
	ss := pb.samples
	b, s := beginFullBox(b, "stts", 0, 0)
	b = appendU32(b, uint32(pb.sttsRuns))
	for i := 0; i < len(ss); {
		j := i + 1
		for j < len(ss) && ss[j].Duration == ss[i].Duration {
			j++
		}
		b = appendU32(b, uint32(j-i))
		b = appendU32(b, ss[i].Duration)
		i = j
	}
	b = endBox(b, s)

	if pb.cttsRuns > 0 {
		var v byte
		if pb.cttsV1 {
			v = 1
		}
		b, s = beginFullBox(b, "ctts", v, 0)
		b = appendU32(b, uint32(pb.cttsRuns))
		for i := 0; i < len(ss); {
			j := i + 1
			for j < len(ss) && ss[j].CompositionOffset == ss[i].CompositionOffset {
				j++
			}
			b = appendU32(b, uint32(j-i))
			b = appendU32(b, uint32(ss[i].CompositionOffset))
			i = j
		}
		b = endBox(b, s)
	}

	if pb.keyframes < len(ss) {
		b, s = beginFullBox(b, "stss", 0, 0)
		b = appendU32(b, uint32(pb.keyframes))
		for i := range ss {
			if ss[i].Keyframe {
				b = appendU32(b, uint32(i+1))
			}
		}
		b = endBox(b, s)
	}

	b, s = beginFullBox(b, "stsz", 0, 0)
	if pb.constSize {
		b = appendU32(b, ss[0].Size)
		b = appendU32(b, uint32(len(ss)))
	} else {
		b = appendU32(b, 0)
		b = appendU32(b, uint32(len(ss)))
		for i := range ss {
			b = appendU32(b, ss[i].Size)
		}
	}
	b = endBox(b, s)

	b, s = beginFullBox(b, "stsc", 0, 0)
	b = appendU32(b, uint32(pb.stscRuns))
	for i, n := range pb.chunkSamples {
		if i == 0 || n != pb.chunkSamples[i-1] {
			b = appendU32(b, uint32(i+1))
			b = appendU32(b, n)
			b = appendU32(b, 1) // sample_description_index
		}
	}
	b = endBox(b, s)

	typ, width := "stco", 4
	if pb.co64 {
		typ, width = "co64", 8
	}
	b, s = beginFullBox(b, typ, 0, 0)
	b = appendU32(b, uint32(pb.chunkCount))
	pb.offsetsAt = len(b)
	b = appendZeros(b, width*pb.chunkCount)
	return endBox(b, s)
}

// Size is the size of the virtual file in bytes.
func (p *Progressive) Size() int64 { return p.size }

// Duration is the presentation duration in track timescale units: the sum
// of the sample durations less StartOffset.
func (p *Progressive) Duration() uint64 { return p.duration }

// ReadAt reads the virtual file, reading each run of samples contiguous in
// one source with a single ReadAt of that source. At the end of the file
// it returns io.EOF with the bytes read.
func (p *Progressive) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("mp4: read at negative offset %d", off)
	}
	if off >= p.size {
		if len(b) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := 0
	if off < int64(len(p.header)) {
		n = copy(b, p.header[off:])
		off += int64(n)
	}
	if n < len(b) && off < p.size {
		// The last chunk starting at or before off.
		lo, hi := 0, len(p.chunkStart)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if p.chunkStart[m] <= off {
				lo = m + 1
			} else {
				hi = m
			}
		}
		for c := lo - 1; c < len(p.chunkStart) && n < len(b) && off < p.size; c++ {
			end := p.size
			if c+1 < len(p.chunkStart) {
				end = p.chunkStart[c+1]
			}
			if off >= end {
				continue // a chunk of empty samples
			}
			want := int(min(int64(len(b)-n), end-off))
			src := p.chunkOff[c] + off - p.chunkStart[c]
			m, err := p.sources[p.chunkSrc[c]].ReadAt(b[n:n+want], src)
			n += m
			off += int64(m)
			if m < want {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return n, fmt.Errorf("mp4: source %d at %d: %w", p.chunkSrc[c], src+int64(m), err)
			}
		}
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}
