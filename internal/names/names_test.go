package names

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, s string
		pos     int // of the refused character; 0: accepted
	}{
		{"plain", "Market Street North", 0},
		{"accents", "Église Saint-Étienne", 0},
		{"other scripts", "Πλατεία 北口 Площадь", 0},
		{"punctuation", "Cam #3 (car park) – east/west", 0},
		{"emoji", "Bus stop 🚌", 0},
		{"NUL", "cam\x00era", 4},
		{"tab", "cam\tera", 4},
		{"newline", "camera\n2026-01-01 forged log line", 7},
		{"carriage return", "camera\r", 7},
		{"escape", "\x1b[31mred", 1},
		{"DEL", "cam\x7f", 4},
		{"C1", "cam\u0085", 4},
		{"right-to-left override", "cam\u202Etxt.exe", 4},
		{"left-to-right embedding", "\u202Acam", 1},
		{"pop directional formatting", "cam\u202C", 4},
		{"right-to-left isolate", "cam\u2067x\u2069", 4},
		{"first strong isolate", "\u2068cam", 1},
		{"left-to-right mark", "cam\u200E", 4},
		{"right-to-left mark", "cam\u200F", 4},
		{"zero-width space", "ad\u200Bmin", 3},
		{"zero-width non-joiner", "ad\u200Cmin", 3},
		{"zero-width joiner", "ad\u200Dmin", 3},
		{"byte order mark", "\uFEFFadmin", 1},
		{"line separator", "a\u2028b", 2},
		{"paragraph separator", "a\u2029b", 2},
		{"soft hyphen", "ad\u00ADmin", 3},
		{"Arabic letter mark", "cam\u061C", 4},
		{"tag", "cam\U000E0041", 4},
		{"invalid UTF-8", "cam\xff", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check("a camera's name", tt.s)
			if tt.pos == 0 {
				if err != nil {
					t.Errorf("Check(%q): got %v, want nil", tt.s, err)
				}
				return
			}
			var ne *Error
			if !errors.As(err, &ne) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Check(%q): got %v, want a *Error matching ErrInvalid", tt.s, err)
			}
			if ne.Pos != tt.pos || ne.What != "a camera's name" {
				t.Errorf("Check(%q): got %+v, want position %d of a camera's name", tt.s, ne, tt.pos)
			}
		})
	}
}

func TestSkeleton(t *testing.T) {
	same := [][2]string{
		{"admin", "аdmin"},               // Cyrillic а
		{"admin", "ADMIN"},               // case
		{"admin", "ａｄｍｉｎ"},               // full width
		{"paypal", "pаypаl"},             // two Cyrillic а
		{"olive", "οlive"},               // Greek ο
		{"modern", "rnodern"},            // r n
		{"jose", "jos\u0435"},            // Cyrillic е
		{"l1", "ll"},                     // l and 1
		{"finance", "ﬁnance"},            // ligature
		{"cctv-manager", "cctv‐manager"}, // hyphen U+2010
	}
	for _, p := range same {
		if a, b := Skeleton(p[0]), Skeleton(p[1]); a != b {
			t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q: want equal", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{{"admin", "admins"}, {"alice", "alicia"}, {"bob", "rob"}, {"jo", "jö"}}
	for _, p := range differ {
		if a, b := Skeleton(p[0]), Skeleton(p[1]); a == b {
			t.Errorf("Skeleton(%q) = Skeleton(%q) = %q: want them to differ", p[0], p[1], a)
		}
	}
}

func TestConfusableError(t *testing.T) {
	var err error = &ConfusableError{Name: "аdmin", Existing: "admin"}
	if !errors.Is(err, ErrConfusable) || errors.Is(err, ErrInvalid) {
		t.Errorf("got Is(ErrConfusable) %v, Is(ErrInvalid) %v, want true and false", errors.Is(err, ErrConfusable), errors.Is(err, ErrInvalid))
	}
}
