package codec

import (
	"bytes"
	"errors"
	"testing"
)

// bitWriter builds RBSPs for tests.
type bitWriter struct {
	b    []byte
	nbit int
}

func (w *bitWriter) bits(n int, v uint64) {
	for i := n - 1; i >= 0; i-- {
		if w.nbit%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 == 1 {
			w.b[len(w.b)-1] |= 0x80 >> uint(w.nbit%8)
		}
		w.nbit++
	}
}

func (w *bitWriter) flag(f bool) {
	if f {
		w.bits(1, 1)
	} else {
		w.bits(1, 0)
	}
}

func (w *bitWriter) ue(v uint64) {
	v++
	n := 0
	for x := v; x > 1; x >>= 1 {
		n++
	}
	w.bits(n, 0)
	w.bits(n+1, v)
}

func (w *bitWriter) se(v int64) {
	if v > 0 {
		w.ue(uint64(2*v - 1))
	} else {
		w.ue(uint64(-2 * v))
	}
}

// nalu finishes the RBSP with rbsp_trailing_bits and returns it behind
// header, with emulation prevention applied.
func (w *bitWriter) nalu(header ...byte) []byte {
	w.bits(1, 1)
	for w.nbit%8 != 0 {
		w.bits(1, 0)
	}
	out := append([]byte(nil), header...)
	zeros := 0
	for _, c := range w.b {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
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

func TestUnescapeRBSP(t *testing.T) {
	tests := []struct {
		name     string
		in, want []byte
	}{
		{"nothing to remove", []byte{1, 2, 3}, []byte{1, 2, 3}},
		{"one", []byte{0, 0, 3, 1}, []byte{0, 0, 1}},
		{"two", []byte{0, 0, 3, 0, 0, 3, 0}, []byte{0, 0, 0, 0, 0}},
		{"single zero before 03", []byte{0, 3, 0, 0, 3}, []byte{0, 3, 0, 0}},
		{"03 after the removed one kept", []byte{0, 0, 3, 3}, []byte{0, 0, 3}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unescapeRBSP(tt.in); !bytes.Equal(got, tt.want) {
				t.Errorf("unescapeRBSP(% x): got % x, want % x", tt.in, got, tt.want)
			}
		})
	}
}

func TestBitReader(t *testing.T) {
	var w bitWriter
	values := []uint64{0, 1, 2, 3, 7, 255, 1 << 20, 1<<32 - 2}
	for _, v := range values {
		w.ue(v)
	}
	signed := []int64{0, 1, -1, 5, -5, 1 << 30, -(1 << 30)}
	for _, v := range signed {
		w.se(v)
	}
	w.bits(13, 0x1ABC)
	r := bitReader{b: w.b}
	for _, v := range values {
		if got := r.ue(); uint64(got) != v {
			t.Errorf("ue: got %d, want %d", got, v)
		}
	}
	for _, v := range signed {
		if got := r.se(); int64(got) != v {
			t.Errorf("se: got %d, want %d", got, v)
		}
	}
	if got := r.bits(13); got != 0x1ABC {
		t.Errorf("bits(13): got %#x, want 0x1abc", got)
	}
	if r.err != nil {
		t.Fatalf("got %v, want no error", r.err)
	}
	r.bits(9)
	if !errors.Is(r.err, errBitsExhausted) {
		t.Errorf("reading past the end: got %v, want errBitsExhausted", r.err)
	}

	long := bitReader{b: make([]byte, 8)} // 64 zero bits: no exp-Golomb terminator
	if long.ue(); long.err == nil {
		t.Errorf("33+ leading zeros: got no error, want one")
	}
}
