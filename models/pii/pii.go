// Package pii protects resident ID numbers at rest. An ID number is sealed into a
// models.PersonID: the number encrypted under the data key (so only this system can read it
// back), a keyed HMAC of it under the lookup key (so equal numbers can be found and compared
// without decrypting, and without the hash being reversible by anyone who lacks the key, which a
// plain hash of 10^11 possible numbers would be), and the masked form for display.
//
// The algorithms are those of a cryptographic suite (package cryptosuite): intl seals with
// AES-256-GCM and HMAC-SHA256, gm with SM4-GCM and HMAC-SM3. Keys are versioned. Every cipher
// names the suite and key version that sealed it, as a tag before the base64 ("gm.2:…"); a
// cipher without a tag was sealed by intl under key version 1 (the format from before suites,
// which intl version 1 still writes so that older replicas read it during an upgrade). A sealer
// opens every generation it holds keys for, seals with the current one, and finds a number
// under all of them (LookupKeys), so a deployment moves from one suite or key to the next while
// it serves: `skillcert keys rotate` reseals the stored values in the background.
//
// Nothing in this package logs, and no error it returns contains an ID number.
package pii

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/validate"
)

// KeySize is the length in bytes of both the data key and the lookup key.
const KeySize = cryptosuite.KeySize

// additionalData binds every ciphertext to its purpose, so a value sealed here cannot be
// passed off as some other encrypted field sealed under the same key, or the reverse.
var additionalData = []byte("skillcert/pii/id_number/v1")

// LegacyTag is the generation of an untagged cipher: intl, key version 1.
const LegacyTag = "intl.1"

// ErrOpen is returned when a sealed value cannot be decrypted: it was tampered with, is
// truncated, or was sealed under a data key this sealer does not hold.
var ErrOpen = errors.New("pii: sealed ID number cannot be opened")

// Generation is one version of the data and lookup keys.
type Generation struct {
	Version      int
	Data, Lookup []byte
}

// Keys configures a sealer: the suite and key version that seal new values, and the keys of
// every version that may still be found in stored data.
type Keys struct {
	// Suite seals new values: cryptosuite.Intl (the default) or cryptosuite.GM.
	Suite string
	// Current is the generation that seals; its Version defaults to 1.
	Current Generation
	// Retired are older generations, used to open and to look up only.
	Retired []Generation
}

// Sealer seals and opens ID numbers. It is safe for concurrent use.
type Sealer struct {
	suite   cryptosuite.Suite
	version int
	gens    map[int]Generation
	aeads   map[string]cipher.AEAD // by tag, for every suite and version
	tags    []string               // every tag, the current one first
}

// New builds an intl, version-1 sealer from the 32-byte data key and the 32-byte lookup key.
func New(dataKey, lookupKey []byte) (*Sealer, error) {
	return NewKeyring(Keys{Suite: cryptosuite.Intl, Current: Generation{Version: 1, Data: dataKey, Lookup: lookupKey}})
}

// NewKeyring builds a sealer from versioned keys. Within a generation the data key and the
// lookup key must differ: one key for both purposes would tie the lookup hashes to the
// ciphertexts' secrecy.
func NewKeyring(k Keys) (*Sealer, error) {
	if k.Suite == "" {
		k.Suite = cryptosuite.Intl
	}
	suite, err := cryptosuite.ByName(k.Suite)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	if k.Current.Version == 0 {
		k.Current.Version = 1
	}
	s := &Sealer{suite: suite, version: k.Current.Version, gens: map[int]Generation{}, aeads: map[string]cipher.AEAD{}}
	for _, g := range append([]Generation{k.Current}, k.Retired...) {
		if g.Version < 1 {
			return nil, fmt.Errorf("pii: key version %d: versions start at 1", g.Version)
		}
		if _, dup := s.gens[g.Version]; dup {
			return nil, fmt.Errorf("pii: key version %d given twice", g.Version)
		}
		if len(g.Data) != KeySize || len(g.Lookup) != KeySize {
			return nil, fmt.Errorf("pii: data key and lookup key must be %d bytes each (got %d and %d)", KeySize, len(g.Data), len(g.Lookup))
		}
		if hmac.Equal(g.Data, g.Lookup) {
			return nil, errors.New("pii: data key and lookup key must differ")
		}
		s.gens[g.Version] = Generation{Version: g.Version, Data: slices.Clone(g.Data), Lookup: slices.Clone(g.Lookup)}
		for _, name := range cryptosuite.Names() {
			aead, err := cryptosuite.NewAEAD(cryptosuite.MustByName(name), g.Data)
			if err != nil {
				return nil, fmt.Errorf("pii: %w", err)
			}
			s.aeads[Tag(name, g.Version)] = aead
		}
	}
	s.tags = []string{s.Current()}
	for _, g := range append([]Generation{k.Current}, k.Retired...) {
		for _, name := range cryptosuite.Names() {
			if t := Tag(name, g.Version); t != s.Current() {
				s.tags = append(s.tags, t)
			}
		}
	}
	return s, nil
}

// Tag names a generation: suite "." key version.
func Tag(suite string, version int) string { return suite + "." + strconv.Itoa(version) }

// Current is the tag of the generation that seals new values.
func (s *Sealer) Current() string { return Tag(s.suite.Name(), s.version) }

// Suite is the name of the suite that seals new values.
func (s *Sealer) Suite() string { return s.suite.Name() }

// TagOf returns the generation that sealed a cipher: its tag, or LegacyTag for an untagged
// one. The empty cipher has the empty tag.
func TagOf(c string) string {
	if c == "" {
		return ""
	}
	if i := strings.IndexByte(c, ':'); i > 0 {
		return c[:i]
	}
	return LegacyTag
}

// parseTag splits a tag into suite and version.
func parseTag(tag string) (cryptosuite.Suite, int, bool) {
	name, v, ok := strings.Cut(tag, ".")
	if !ok {
		return nil, 0, false
	}
	suite, err := cryptosuite.ByName(name)
	n, err2 := strconv.Atoi(v)
	if err != nil || err2 != nil {
		return nil, 0, false
	}
	return suite, n, true
}

// Seal encrypts an ID number as typed: it is normalised first (spaces removed, a lowercase x
// upper-cased) so that what is stored and hashed is the canonical number. Numbers that fail
// validation are sealed too, because drafts keep whatever was typed until submission. An empty
// number gives the zero PersonID.
func (s *Sealer) Seal(idNumber string) (models.PersonID, error) {
	n := validate.NormalizeIDNumber(idNumber)
	if n == "" {
		return models.PersonID{}, nil
	}
	tag := s.Current()
	aead := s.aeads[tag]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(n)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return models.PersonID{}, fmt.Errorf("pii: random nonce: %w", err)
	}
	sealed := base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(n), additionalData))
	if tag != LegacyTag {
		sealed = tag + ":" + sealed
	}
	return models.PersonID{Cipher: sealed, Lookup: s.LookupKey(n), Masked: validate.MaskIDNumber(n)}, nil
}

// Open decrypts a sealed ID number of any generation this sealer holds keys for. The zero
// PersonID opens to the empty string.
func (s *Sealer) Open(p models.PersonID) (string, error) {
	if p.Cipher == "" {
		return "", nil
	}
	tag, body := TagOf(p.Cipher), p.Cipher
	if tag != LegacyTag || strings.HasPrefix(body, LegacyTag+":") {
		body = body[len(tag)+1:]
	}
	aead, ok := s.aeads[tag]
	if !ok {
		return "", ErrOpen
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrOpen
	}
	ns := aead.NonceSize()
	plain, err := aead.Open(nil, raw[:ns], raw[ns:], additionalData)
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// LookupKey returns the hex HMAC of the normalised ID number under the current generation:
// equal numbers, however typed, give equal keys. The empty number gives the empty key.
func (s *Sealer) LookupKey(id string) string {
	return s.lookupUnder(s.Current(), id)
}

// LookupKeys returns the lookup hash of the number under every generation the sealer knows,
// the current one first: a query matches stored values whichever generation sealed them, so
// searches keep working while `keys rotate` runs. The empty number gives nil.
func (s *Sealer) LookupKeys(id string) []string {
	if validate.NormalizeIDNumber(id) == "" {
		return nil
	}
	out := make([]string, 0, len(s.tags))
	for _, t := range s.tags {
		out = append(out, s.lookupUnder(t, id))
	}
	return out
}

func (s *Sealer) lookupUnder(tag, id string) string {
	n := validate.NormalizeIDNumber(id)
	suite, v, ok := parseTag(tag)
	if n == "" || !ok {
		return ""
	}
	return hex.EncodeToString(cryptosuite.MAC(suite, s.gens[v].Lookup, []byte(n)))
}

// Reseal returns p sealed under the current generation, and whether it changed: a value of
// the current generation (or the zero one) is returned as it is.
func (s *Sealer) Reseal(p models.PersonID) (models.PersonID, bool, error) {
	if p.Cipher == "" || TagOf(p.Cipher) == s.Current() {
		return p, false, nil
	}
	clear, err := s.Open(p)
	if err != nil {
		return p, false, err
	}
	q, err := s.Seal(clear)
	if err != nil {
		return p, false, err
	}
	if q.Masked != p.Masked && p.Masked != "" {
		// The masked form is what pages and signed certificates show: keep it as stored.
		q.Masked = p.Masked
	}
	return q, true, nil
}
