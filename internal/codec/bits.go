package codec

import "errors"

var errBitsExhausted = errors.New("codec: bitstream ends early")

// maxSPSBytes caps the NAL units handed to the SPS parsers. Real ones are
// tens of bytes; with VUI and HRD a few hundred.
const maxSPSBytes = 64 << 10

// unescapeRBSP removes emulation prevention bytes (the 03 in 00 00 03),
// turning a NAL unit's payload into its RBSP. It copies only when there is
// something to remove.
func unescapeRBSP(b []byte) []byte {
	zeros := 0
	for i, c := range b {
		if zeros >= 2 && c == 3 {
			out := make([]byte, i, len(b))
			copy(out, b[:i])
			zeros = 0
			for _, c := range b[i+1:] {
				if zeros >= 2 && c == 3 {
					zeros = 0
					continue
				}
				out = append(out, c)
				if c == 0 {
					zeros++
				} else {
					zeros = 0
				}
			}
			return out
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return b
}

// bitReader reads an RBSP MSB first. Errors are sticky: after the data runs
// out every read returns 0 and err is set, so parsers can check once per
// section instead of after every field, as long as loop counts they read
// are range-checked first.
type bitReader struct {
	b   []byte
	pos int // in bits
	err error
}

func (r *bitReader) bit() uint32 {
	if r.pos >= len(r.b)*8 {
		r.err = errBitsExhausted
		return 0
	}
	v := uint32(r.b[r.pos>>3]>>(7-uint(r.pos&7))) & 1
	r.pos++
	return v
}

func (r *bitReader) flag() bool { return r.bit() == 1 }

// bits reads n <= 32 bits.
func (r *bitReader) bits(n int) uint32 {
	if r.pos+n > len(r.b)*8 {
		r.pos = len(r.b) * 8
		r.err = errBitsExhausted
		return 0
	}
	var v uint32
	for i := 0; i < n; i++ {
		v = v<<1 | uint32(r.b[r.pos>>3]>>(7-uint(r.pos&7)))&1
		r.pos++
	}
	return v
}

func (r *bitReader) skip(n int) {
	if r.pos+n > len(r.b)*8 {
		r.pos = len(r.b) * 8
		r.err = errBitsExhausted
		return
	}
	r.pos += n
}

// ue reads an unsigned exp-Golomb code. Codes longer than 32 bits encode
// values no syntax element this package reads may take, so they are errors.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil {
			return 0
		}
		zeros++
		if zeros > 31 {
			r.err = errors.New("codec: exp-Golomb code too long")
			return 0
		}
	}
	if zeros == 0 {
		return 0
	}
	return (1<<zeros - 1) + r.bits(zeros)
}

// se reads a signed exp-Golomb code.
func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}
