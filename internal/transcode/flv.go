package transcode

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FLV (Adobe Flash Video File Format Specification 10.1, annex E): only
// what ffmpeg writes for one H.264 track is read.
const (
	flvTagVideo = 9
	flvCodecAVC = 7

	flvSequenceHeader = 0
	flvNALUs          = 1
)

// maxFLVHeader bounds the header's declared size; ffmpeg's is 9 bytes.
const maxFLVHeader = 1 << 10

// flvTag is one video tag.
type flvTag struct {
	ms         uint32 // decode time, milliseconds
	keyframe   bool
	packetType byte   // flvSequenceHeader or flvNALUs
	data       []byte // avcC body or 4-byte length-prefixed NAL units; valid until the next call
}

// flvReader reads the video tags of an FLV stream.
type flvReader struct {
	r      *bufio.Reader
	begun  bool
	buf    []byte
	header [11]byte
}

func newFLVReader(r io.Reader) *flvReader {
	return &flvReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next H.264 video tag, skipping others. io.EOF at a
// clean end; any other error for a malformed stream.
func (f *flvReader) next() (flvTag, error) {
	if !f.begun {
		if err := f.readHeader(); err != nil {
			return flvTag{}, err
		}
		f.begun = true
	}
	for {
		h := f.header[:]
		if _, err := io.ReadFull(f.r, h); err != nil {
			if err == io.EOF {
				return flvTag{}, io.EOF
			}
			return flvTag{}, fmt.Errorf("transcode: flv tag header: %w", err)
		}
		typ := h[0] & 0x1F
		size := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
		ms := uint32(h[7])<<24 | uint32(h[4])<<16 | uint32(h[5])<<8 | uint32(h[6])
		// The tag, then the 4-byte size of the tag just read.
		if cap(f.buf) < size+4 {
			f.buf = make([]byte, size+4)
		}
		body := f.buf[:size+4]
		if _, err := io.ReadFull(f.r, body); err != nil {
			return flvTag{}, fmt.Errorf("transcode: flv tag: %w", io.ErrUnexpectedEOF)
		}
		body = body[:size]
		if typ != flvTagVideo {
			continue // script data: onMetaData
		}
		if len(body) < 5 {
			return flvTag{}, errors.New("transcode: flv: short video tag")
		}
		if body[0]&0x0F != flvCodecAVC {
			return flvTag{}, fmt.Errorf("transcode: flv: video codec %d, want H.264", body[0]&0x0F)
		}
		return flvTag{ms: ms, keyframe: body[0]>>4 == 1, packetType: body[1], data: body[5:]}, nil
	}
}

func (f *flvReader) readHeader() error {
	var h [9]byte
	if _, err := io.ReadFull(f.r, h[:]); err != nil {
		if err == io.EOF {
			return io.EOF // ended before writing anything
		}
		return fmt.Errorf("transcode: flv header: %w", err)
	}
	if string(h[:3]) != "FLV" {
		return errors.New("transcode: ffmpeg's output is not FLV")
	}
	off := binary.BigEndian.Uint32(h[5:])
	if off < 9 || off > maxFLVHeader {
		return fmt.Errorf("transcode: flv header of %d bytes", off)
	}
	// The rest of the header, then PreviousTagSize0.
	if _, err := f.r.Discard(int(off) - 9 + 4); err != nil {
		return fmt.Errorf("transcode: flv header: %w", err)
	}
	return nil
}
