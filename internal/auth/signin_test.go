package auth

import (
	"bytes"
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTOTPRFC6238 checks the six-digit codes of RFC 6238's SHA-1 test
// vectors (appendix B, whose eight digits end in these six).
func TestTOTPRFC6238(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := TOTPCode(secret, time.Unix(tt.unix, 0))
			if err != nil || got != tt.want {
				t.Fatalf("TOTPCode at %d: got %q, %v, want %q", tt.unix, got, err, tt.want)
			}
			step, ok := TOTPStep(secret, tt.want, time.Unix(tt.unix, 0))
			if !ok || step != tt.unix/30 {
				t.Errorf("TOTPStep: got %d, %v, want %d, true", step, ok, tt.unix/30)
			}
		})
	}
}

func TestTOTPStepWindow(t *testing.T) {
	secret, uri, err := NewTOTP("Vigil", "alice")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != secret || u.Query().Get("issuer") != "Vigil" {
		t.Fatalf("URI %q: want otpauth://totp/... with the secret and issuer", uri)
	}
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(raw) != 20 {
		t.Fatalf("secret %q: got %d bytes (%v), want 20", secret, len(raw), err)
	}
	now := time.Unix(1_800_000_015, 0)
	tests := []struct {
		name   string
		offset time.Duration
		mangle func(string) string
		ok     bool
	}{
		{"now", 0, nil, true},
		{"spaced", 0, func(c string) string { return c[:3] + " " + c[3:] }, true},
		{"a step ago", -30 * time.Second, nil, true},
		{"a step ahead", 30 * time.Second, nil, true},
		{"two steps ago", -60 * time.Second, nil, false},
		{"two steps ahead", 60 * time.Second, nil, false},
		{"short", 0, func(c string) string { return c[:5] }, false},
		{"wrong", 0, func(c string) string { return string('0'+(c[0]-'0'+1)%10) + c[1:] }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _ := TOTPCode(secret, now.Add(tt.offset))
			if tt.mangle != nil {
				code = tt.mangle(code)
			}
			step, ok := TOTPStep(secret, code, now)
			if ok != tt.ok {
				t.Fatalf("code %q: got ok %v, want %v", code, ok, tt.ok)
			}
			if ok && step != now.Add(tt.offset).Unix()/30 {
				t.Errorf("step: got %d, want %d", step, now.Add(tt.offset).Unix()/30)
			}
		})
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes(RecoveryCodeCount)
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("got %d codes and %d hashes, want %d", len(codes), len(hashes), RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Errorf("code %q: want 4 groups of 4, all different", c)
		}
		seen[c] = true
		if !LooksLikeRecoveryCode(c) || LooksLikeRecoveryCode("123456") {
			t.Errorf("LooksLikeRecoveryCode(%q) false or a TOTP code taken for one", c)
		}
		for _, typed := range []string{c, strings.ToUpper(c), strings.ReplaceAll(c, "-", " "), strings.ReplaceAll(c, "-", "")} {
			if !bytes.Equal(HashRecoveryCode(typed), hashes[i]) {
				t.Errorf("HashRecoveryCode(%q): got another hash than the code's", typed)
			}
		}
	}
	if bytes.Equal(HashRecoveryCode(codes[0]), HashRecoveryCode(codes[1])) {
		t.Errorf("two codes hash alike")
	}
}

func TestLockout(t *testing.T) {
	l := Lockout{Threshold: 3, Base: time.Minute, Max: 5 * time.Minute, Forget: time.Hour}
	now := time.Unix(1_700_000_000, 0)
	var a Attempts
	type want struct {
		wait   time.Duration // refused, locked for this long still
		locked time.Duration // the lock this attempt earns if it fails
	}
	steps := []struct {
		at time.Duration
		want
	}{
		{0, want{0, 0}},
		{time.Second, want{0, 0}},
		{2 * time.Second, want{0, time.Minute}}, // the third: locked a minute
		{3 * time.Second, want{time.Minute - time.Second, 0}},
		{62 * time.Second, want{0, 2 * time.Minute}}, // lock over: the fourth doubles it
		{63 * time.Second, want{2*time.Minute - time.Second, 0}},
		{3*time.Minute + 5*time.Second, want{0, 4 * time.Minute}},
		{8 * time.Minute, want{0, 5 * time.Minute}}, // capped at Max
	}
	for i, s := range steps {
		at := now.Add(s.at)
		next, wait := l.Begin(a, at)
		if wait != s.wait {
			t.Fatalf("attempt %d at +%v: got wait %v, want %v", i, s.at, wait, s.wait)
		}
		if wait == 0 {
			got := time.Duration(0)
			if next.LockedUntil.After(at) {
				got = next.LockedUntil.Sub(at)
			}
			if got != s.locked {
				t.Errorf("attempt %d at +%v: got lock %v, want %v", i, s.at, got, s.locked)
			}
		} else if next != a {
			t.Errorf("attempt %d while locked: got record %+v changed, want unchanged", i, next)
		}
		a = next
	}
	// Forgotten after an hour without failures.
	next, wait := l.Begin(a, a.LastFailure.Add(2*time.Hour))
	if wait != 0 || next.Failures != 1 || !next.LockedUntil.IsZero() {
		t.Errorf("after Forget: got %+v wait %v, want one failure and no lock", next, wait)
	}
	// Undo takes an attempt back, and a lock with it below the threshold.
	b, _ := l.Begin(Attempts{Failures: 2}, now)
	if b.LockedUntil.IsZero() {
		t.Fatalf("third attempt: got no lock, want one")
	}
	if u := l.Undo(b); u.Failures != 2 || !u.LockedUntil.IsZero() {
		t.Errorf("Undo: got %+v, want 2 failures and no lock", u)
	}
}

func TestWaitMessage(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{500 * time.Millisecond, "try again in a second"},
		{30 * time.Second, "try again in 30 seconds"},
		{49 * time.Second, "try again in 49 seconds"},
		{59 * time.Second, "try again in 1 minute"},
		{time.Minute, "try again in 1 minute"},
		{61 * time.Second, "try again in 2 minutes"},
		{2 * time.Minute, "try again in 2 minutes"},
		{3 * time.Hour, "try again in 3 hours"},
	}
	for _, tt := range tests {
		if got := WaitMessage(tt.d); got != tt.want {
			t.Errorf("WaitMessage(%v): got %q, want %q", tt.d, got, tt.want)
		}
	}
}
