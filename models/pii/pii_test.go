package pii

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"skillcert/models"
)

var (
	testDataKey   = bytes.Repeat([]byte{0x11}, KeySize)
	testLookupKey = bytes.Repeat([]byte{0x22}, KeySize)
)

func newTestSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := New(testDataKey, testLookupKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestNewRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name         string
		data, lookup []byte
	}{
		{"short data key", testDataKey[:16], testLookupKey},
		{"short lookup key", testDataKey, testLookupKey[:31]},
		{"nil keys", nil, nil},
		{"same key twice", testDataKey, testDataKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.data, tt.lookup); err == nil {
				t.Fatalf("New(%d, %d bytes) = nil error, want an error", len(tt.data), len(tt.lookup))
			}
		})
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newTestSealer(t)
	tests := []struct {
		in, want, masked string
	}{
		{"11010519491231002X", "11010519491231002X", "110105********002X"},
		{"11010519491231002x", "11010519491231002X", "110105********002X"}, // stored upper-case
		{" 1101 0519 4912 3100 2X ", "11010519491231002X", "110105********002X"},
		{"340524198001010013", "340524198001010013", "340524********0013"}, // invalid numbers are sealed too
		{"abc", "ABC", "***"},
	}
	for _, tt := range tests {
		p, err := s.Seal(tt.in)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if strings.Contains(p.Cipher, tt.want) || strings.Contains(p.Lookup, tt.want) {
			t.Fatalf("sealed value contains the clear number")
		}
		if p.Masked != tt.masked {
			t.Errorf("Masked = %q, want %q", p.Masked, tt.masked)
		}
		got, err := s.Open(p)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got != tt.want {
			t.Errorf("Open(Seal(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSealIsRandomisedButLookupIsStable(t *testing.T) {
	s := newTestSealer(t)
	a, _ := s.Seal("11010519491231002X")
	b, _ := s.Seal("11010519491231002x")
	if a.Cipher == b.Cipher {
		t.Error("two seals of one number share a ciphertext: the nonce is not random")
	}
	if a.Lookup != b.Lookup || a.Lookup != s.LookupKey("11010519491231002x") {
		t.Errorf("lookup keys differ for one number: %s, %s", a.Lookup, b.Lookup)
	}
	if len(a.Lookup) != 64 {
		t.Errorf("lookup key length = %d, want 64 hex digits", len(a.Lookup))
	}
	if c, _ := s.Seal("150102199001011230"); c.Lookup == a.Lookup {
		t.Error("different numbers share a lookup key")
	}
	// Another lookup key gives other hashes: the hash is keyed, not a bare SHA-256.
	other, err := New(testDataKey, bytes.Repeat([]byte{0x33}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	if other.LookupKey("11010519491231002X") == a.Lookup {
		t.Error("lookup key does not depend on the lookup key")
	}
}

func TestEmptyNumberSealsToZero(t *testing.T) {
	s := newTestSealer(t)
	p, err := s.Seal("  ")
	if err != nil || p != (models.PersonID{}) {
		t.Fatalf("Seal(blank) = %+v, %v; want zero PersonID", p, err)
	}
	got, err := s.Open(models.PersonID{})
	if err != nil || got != "" {
		t.Fatalf("Open(zero) = %q, %v; want empty", got, err)
	}
	if s.LookupKey("") != "" {
		t.Error("LookupKey(empty) is not empty")
	}
}

func TestOpenRejectsTamperingAndOtherKeys(t *testing.T) {
	s := newTestSealer(t)
	p, _ := s.Seal("11010519491231002X")
	raw, _ := base64.StdEncoding.DecodeString(p.Cipher)
	raw[len(raw)-1] ^= 1
	cases := map[string]models.PersonID{
		"flipped bit": {Cipher: base64.StdEncoding.EncodeToString(raw)},
		"not base64":  {Cipher: "%%%"},
		"too short":   {Cipher: base64.StdEncoding.EncodeToString([]byte("short"))},
	}
	for name, bad := range cases {
		if _, err := s.Open(bad); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: Open = %v, want ErrOpen", name, err)
		}
	}
	other, _ := New(bytes.Repeat([]byte{0x44}, KeySize), testLookupKey)
	if _, err := other.Open(p); !errors.Is(err, ErrOpen) {
		t.Errorf("Open under another data key = %v, want ErrOpen", err)
	}
	if _, err := s.Open(p); err != nil {
		t.Errorf("Open(original) = %v", err)
	}
}

func TestErrorsNeverCarryTheNumber(t *testing.T) {
	s := newTestSealer(t)
	p, _ := s.Seal("11010519491231002X")
	p.Cipher = p.Cipher[:len(p.Cipher)-4] + "AAAA"
	_, err := s.Open(p)
	if err == nil || strings.Contains(err.Error(), "11010519491231002X") || strings.Contains(err.Error(), p.Cipher) {
		t.Fatalf("Open error %v leaks its input", err)
	}
}
