package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// cheap keeps the tests fast; one test checks the real defaults.
var cheap = argonParams{memory: 64, time: 1, threads: 1}

func TestHashPasswordDefaults(t *testing.T) {
	enc, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatalf("HashPassword: got error %v, want nil", err)
	}
	const prefix = "$argon2id$v=19$m=65536,t=3,p=2$"
	if !strings.HasPrefix(enc, prefix) {
		t.Fatalf("HashPassword: got %q, want prefix %q", enc, prefix)
	}
	f := strings.Split(enc, "$")
	if salt, err := base64.RawStdEncoding.DecodeString(f[4]); err != nil || len(salt) != saltLen {
		t.Errorf("salt: got %d bytes (err %v), want %d", len(salt), err, saltLen)
	}
	if key, err := base64.RawStdEncoding.DecodeString(f[5]); err != nil || len(key) != keyLen {
		t.Errorf("hash: got %d bytes (err %v), want %d", len(key), err, keyLen)
	}
	ok, err := VerifyPassword(enc, "correct horse battery staple")
	if !ok || err != nil {
		t.Errorf("VerifyPassword(right): got %v, %v, want true, nil", ok, err)
	}
	again, _ := HashPassword("correct horse battery staple")
	if again == enc {
		t.Errorf("two hashes of one password: got equal %q, want different salts", enc)
	}
}

func TestHashPasswordTooLong(t *testing.T) {
	if _, err := hashWith(strings.Repeat("a", MaxPasswordLen+1), cheap); err == nil {
		t.Fatal("over-long password: got nil error, want one")
	}
}

// TestVerifyKnownAnswer checks against a hash built directly with
// x/crypto/argon2 from a fixed salt, so the encoding is independent of ours.
func TestVerifyKnownAnswer(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("hunter2hunter2"), salt, 2, 128, 1, 24)
	enc := "$argon2id$v=19$m=128,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	tests := []struct {
		password string
		want     bool
	}{
		{"hunter2hunter2", true},
		{"hunter2hunter3", false},
		{"", false},
		{strings.Repeat("x", MaxPasswordLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.password[:min(len(tt.password), 16)], func(t *testing.T) {
			got, err := VerifyPassword(enc, tt.password)
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v, want %v, nil", got, err, tt.want)
			}
		})
	}
}

func TestVerifyPasswordRoundTrip(t *testing.T) {
	tests := []struct{ name, password string }{
		{"ascii", "Tr0ub4dor&3-long"},
		{"empty", ""},
		{"unicode", "pâsswörd-日本語-🔑"},
		{"dollar signs", "$argon2id$v=19$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := hashWith(tt.password, cheap)
			if err != nil {
				t.Fatalf("hash: got error %v, want nil", err)
			}
			if ok, err := VerifyPassword(enc, tt.password); !ok || err != nil {
				t.Errorf("right password: got %v, %v, want true, nil", ok, err)
			}
			if ok, err := VerifyPassword(enc, tt.password+"x"); ok || err != nil {
				t.Errorf("wrong password: got %v, %v, want false, nil", ok, err)
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := hashWith("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$")
	salt, key := f[4], f[5]
	with := func(alg, ver, params, s, k string) string {
		return "$" + alg + "$" + ver + "$" + params + "$" + s + "$" + k
	}
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"bcrypt", "$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"},
		{"argon2i", with("argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", with("argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"params reordered", with("argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"missing param", with("argon2id", "v=19", "m=64,t=1", salt, key)},
		{"negative", with("argon2id", "v=19", "m=-64,t=1,p=1", salt, key)},
		{"huge memory", with("argon2id", "v=19", "m=4294967295,t=1,p=1", salt, key)},
		{"memory overflow", with("argon2id", "v=19", "m=99999999999,t=1,p=1", salt, key)},
		{"too little memory", with("argon2id", "v=19", "m=7,t=1,p=1", salt, key)},
		{"zero time", with("argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"huge time", with("argon2id", "v=19", "m=64,t=1000000,p=1", salt, key)},
		{"zero threads", with("argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"threads overflow uint8", with("argon2id", "v=19", "m=8192,t=1,p=257", salt, key)},
		{"padded salt", with("argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"short salt", with("argon2id", "v=19", "m=64,t=1,p=1", "YWJj", key)},
		{"bad base64", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "!!!!"+key[4:])},
		{"short hash", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "YWJj")},
		{"huge hash", with("argon2id", "v=19", "m=64,t=1,p=1", salt, strings.Repeat("A", 1<<20))},
		{"extra field", good + "$x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.enc, "pw")
			if err == nil || ok {
				t.Errorf("got %v, %v, want false and an error", ok, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("error %q: want prefix \"auth: \"", err)
			}
		})
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good, _ := hashWith("pw", cheap)
	f.Add(good, "pw")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$$", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, enc, pw string) {
		ok, err := VerifyPassword(enc, pw)
		if ok && err != nil {
			t.Fatalf("got true with error %v, want one or the other", err)
		}
		if err == nil {
			// Anything accepted must be within the bounds that keep
			// verification cheap.
			p, _, _, derr := decodeHash(enc)
			if derr != nil || p.memory > maxMemory || p.time > maxTime || p.threads > maxThreads {
				t.Fatalf("accepted %q with params %+v (decode error %v)", enc, p, derr)
			}
		}
	})
}

func TestRandomPassword(t *testing.T) {
	seen := make(map[string]bool)
	counts := make(map[rune]int)
	const n = 500
	for range n {
		p := RandomPassword()
		if len(p) != randomPasswordLen {
			t.Fatalf("length: got %d (%q), want %d", len(p), p, randomPasswordLen)
		}
		for _, r := range p {
			if !strings.ContainsRune(unambiguous, r) {
				t.Fatalf("character %q in %q: want only %q", r, p, unambiguous)
			}
			counts[r]++
		}
		if err := CheckPasswordStrength(p); err != nil {
			t.Errorf("CheckPasswordStrength(%q): got %v, want nil", p, err)
		}
		if seen[p] {
			t.Fatalf("repeat of %q after %d draws", p, len(seen))
		}
		seen[p] = true
	}
	// 10000 draws over 56 symbols: each expected ~179 times; a symbol never
	// drawn or drawn twice as often would mean a broken sampler.
	for _, r := range unambiguous {
		if c := counts[r]; c < 90 || c > 360 {
			t.Errorf("symbol %q drawn %d times in %d, want about %d", r, c, n*randomPasswordLen, n*randomPasswordLen/len(unambiguous))
		}
	}
	for _, r := range "0Oo1lI" {
		if counts[r] != 0 {
			t.Errorf("ambiguous %q drawn %d times, want 0", r, counts[r])
		}
	}
}

func TestNewToken(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		tok, hash := NewToken()
		body, ok := strings.CutPrefix(tok, "vgl_")
		if !ok {
			t.Fatalf("token %q: want prefix vgl_", tok)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token body %q: got %d bytes (err %v), want 32 bytes of unpadded base64url", body, len(raw), err)
		}
		if len(tok) != 4+43 {
			t.Errorf("token length: got %d, want 47", len(tok))
		}
		want := sha256.Sum256([]byte(tok))
		if !bytes.Equal(hash, want[:]) {
			t.Errorf("hash: got %x, want SHA-256 of the whole token %x", hash, want)
		}
		if !bytes.Equal(HashToken(tok), hash) {
			t.Errorf("HashToken: got %x, want %x", HashToken(tok), hash)
		}
		if seen[tok] {
			t.Fatalf("repeated token %q", tok)
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := hex.EncodeToString(HashToken(tt.in)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckPasswordStrength(t *testing.T) {
	tests := []struct {
		name     string
		password string
		ok       bool
		reason   string // a word the error must contain
	}{
		{"good", "Blue-Kettle-42x", true, ""},
		{"good unicode", "grüne Äpfel essen", true, ""},
		{"short", "Ab1!", false, "at least 12"},
		{"eleven", "Abcdefghij1", false, "at least 12"},
		{"short in runes", "日本語日本語日本語Ab", false, "at least 12"},
		{"lower only", "correcthorsebattery", false, "only lower-case"},
		{"upper only", "CORRECTHORSEBATTERY", false, "only upper-case"},
		{"digits only", "123456789012", false, "only digits"},
		{"symbols only", "!@#$%^&*()_+", false, "only symbols"},
		{"common decorated", "Password2024!", false, "common"},
		{"common leet", "P@ssw0rd1234", false, "common"},
		{"common prefix digits", "123Administrator", false, "common"},
		{"repeated common", "AdminAdminAdmin", false, "common"},
		{"digits with letters", "9031Kq7720Zt", true, ""},
		{"too long", strings.Repeat("aB", MaxPasswordLen), false, "longer"},
		{"invalid utf8", "Abcdefghijk\xff", false, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPasswordStrength(tt.password)
			if tt.ok {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want an error about %q", tt.reason)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("got %q, want an auth: error mentioning %q", err, tt.reason)
			}
		})
	}
}

func TestCommonListLoaded(t *testing.T) {
	list := common()
	for _, w := range []string{"password", "admin", "123456", "qwerty", "letmein", "trustno1", "1qaz2wsx", "vigil", "cctv", "electroencephalograph"} {
		if !list.has(w) {
			t.Errorf("common().has(%q): got false, want true", w)
		}
	}
	for _, w := range []string{"", "# passwords so common", "Password", "correct horse battery staple", "zzzzzzzzzzzzzzzzzzzzzzzz"} {
		if list.has(w) {
			t.Errorf("common().has(%q): got true, want false", w)
		}
	}
	if n := list.len(); n < 100_000 {
		t.Errorf("common list: got %d entries, want at least 100,000", n)
	}
	if !sort.StringsAreSorted(strings.Split(strings.TrimSuffix(string(list), "\n"), "\n")) {
		t.Errorf("common list: got unsorted lines, want them sorted by bytes for the binary search")
	}
}

// decorate makes w into a password the length and class rules pass, as
// a user would: capitalised, with digits and symbols added to the end.
func decorate(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	p := string(unicode.ToUpper(r)) + w[n:]
	// Symbols go where they would not run into the entry's own.
	last, _ := utf8.DecodeLastRuneInString(w)
	for utf8.RuneCountInString(p) < MinPasswordLen {
		if classOf(last) == classOther {
			p = "!" + p
		} else {
			p += "!"
		}
	}
	for _, c := range p[1:] {
		if classOf(c) != classOf(r) {
			return p
		}
	}
	return p + "!"
}

// TestCommonEntriesRefused tries every list entry of minDecoratedLen
// bytes or more, capitalised and padded to the length rule with symbols:
// each must be refused.
func TestCommonEntriesRefused(t *testing.T) {
	list := common()
	missed := 0
	for e := range strings.Lines(string(list)) {
		e = strings.TrimSuffix(e, "\n")
		if len(e) < minDecoratedLen {
			continue // refused only whole or repeated; see isCommon
		}
		if !strings.ContainsFunc(e, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			continue // symbols only: refused whole, or as one class of character
		}
		p := decorate(e)
		if err := CheckPasswordStrength(p); err == nil {
			if missed++; missed <= 10 {
				t.Errorf("CheckPasswordStrength(%q) (entry %q): got nil, want an error", p, e)
			}
		}
	}
	if missed > 0 {
		t.Errorf("got %d list entries accepted once decorated, want none", missed)
	}
}

func TestCommonDecorationsRefused(t *testing.T) {
	tests := []string{
		"Password2024!", "P@ssw0rd1234", "123Administrator", "AdminAdminAdmin",
		"Dragon123456!", "!!Sunshine2024", "Electroencephalograph1",
		"Football!!!!!!", "1qaz2wsx2024!!", "M0nkey123456", "Qwertyuiop123", "Michael's2024!",
		"Welcome1welcome1", "Iloveyou2025!", "5uperm4n-2024", "L3tm3in!!!!!!",
	}
	for _, p := range tests {
		err := CheckPasswordStrength(p)
		if err == nil || !strings.Contains(err.Error(), "common") {
			t.Errorf("CheckPasswordStrength(%q): got %v, want a common-password refusal", p, err)
		}
	}
}

func TestStrongPasswordsPass(t *testing.T) {
	tests := []string{
		"correct horse battery staple",
		"Correct-Horse-Battery-Staple-9",
		"kettle Gravel orbit 47 lantern",
		"Marmalade sails at 3 past noon",
		"T4x!m9Qz#Lw2pV7r",
		"purple-otter-radiator-2019",
		"Seven swans, a-swimming, in May",
		"vR8k2mQwZp3nXtL6",
		"MyCat+MyDog=Chaos!",
		"Blue shed, 14 Quarry Lane, Leeds",
	}
	for _, p := range tests {
		if err := CheckPasswordStrength(p); err != nil {
			t.Errorf("CheckPasswordStrength(%q): got %v, want nil", p, err)
		}
	}
}

func BenchmarkCheckPasswordStrength(b *testing.B) {
	common() // unpacked once, outside the timing
	for _, p := range []string{"P@ssw0rd1234", "correct horse battery staple", "T4x!m9Qz#Lw2pV7r"} {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CheckPasswordStrength(p)
			}
		})
	}
}
