// Package pii protects resident ID numbers at rest. An ID number is sealed into a
// models.PersonID: the number encrypted with AES-256-GCM under the data key (so only this
// system can read it back), a keyed HMAC-SHA256 of it under the lookup key (so equal numbers
// can be found and compared without decrypting, and without the hash being reversible by
// anyone who lacks the key, which a plain hash of 10^11 possible numbers would be), and the
// masked form for display.
//
// Nothing in this package logs, and no error it returns contains an ID number.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"skillcert/models"
	"skillcert/models/validate"
)

// KeySize is the length in bytes of both the data key and the lookup key.
const KeySize = 32

// additionalData binds every ciphertext to its purpose, so a value sealed here cannot be
// passed off as some other encrypted field sealed under the same key, or the reverse.
var additionalData = []byte("skillcert/pii/id_number/v1")

// ErrOpen is returned when a sealed value cannot be decrypted: it was tampered with, is
// truncated, or was sealed under another data key.
var ErrOpen = errors.New("pii: sealed ID number cannot be opened")

// Sealer seals and opens ID numbers. It is safe for concurrent use.
type Sealer struct {
	aead      cipher.AEAD
	lookupKey []byte
}

// New builds a sealer from the 32-byte data key (AES-256-GCM) and the 32-byte lookup key
// (HMAC-SHA256). The two must differ: one key for both purposes would tie the lookup hashes
// to the ciphertexts' secrecy.
func New(dataKey, lookupKey []byte) (*Sealer, error) {
	if len(dataKey) != KeySize || len(lookupKey) != KeySize {
		return nil, fmt.Errorf("pii: data key and lookup key must be %d bytes each (got %d and %d)", KeySize, len(dataKey), len(lookupKey))
	}
	if hmac.Equal(dataKey, lookupKey) {
		return nil, errors.New("pii: data key and lookup key must differ")
	}
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return &Sealer{aead: aead, lookupKey: append([]byte(nil), lookupKey...)}, nil
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
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(n)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return models.PersonID{}, fmt.Errorf("pii: random nonce: %w", err)
	}
	sealed := s.aead.Seal(nonce, nonce, []byte(n), additionalData)
	return models.PersonID{
		Cipher: base64.StdEncoding.EncodeToString(sealed),
		Lookup: s.LookupKey(n),
		Masked: validate.MaskIDNumber(n),
	}, nil
}

// Open decrypts a sealed ID number. The zero PersonID opens to the empty string.
func (s *Sealer) Open(p models.PersonID) (string, error) {
	if p.Cipher == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(p.Cipher)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return "", ErrOpen
	}
	ns := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], additionalData)
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// LookupKey returns the hex HMAC-SHA256 of the normalised ID number under the lookup key: equal
// numbers, however typed, give equal keys. The empty number gives the empty key.
func (s *Sealer) LookupKey(id string) string {
	n := validate.NormalizeIDNumber(id)
	if n == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.lookupKey)
	m.Write([]byte(n))
	return hex.EncodeToString(m.Sum(nil))
}
