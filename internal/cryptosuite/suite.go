// Package cryptosuite is the one cryptographic interface of skillcert. A Suite names the
// algorithms of one family: Intl (AES-256-GCM, HMAC-SHA256, Ed25519, SHA-256; what the system
// used before suites existed) or GM (the 国密 algorithms: SM4-GCM, HMAC-SM3, SM2, SM3; GB/T
// 32907, 32905, 32918). Which suite seals new data is configuration; data records the suite
// (and key version) that sealed or signed it, so data of either suite stays readable and
// verifiable for as long as its keys are configured.
//
// Nothing in this package logs, and no error it returns contains key material.
package cryptosuite

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// Suite names.
const (
	Intl = "intl"
	GM   = "gm"
)

// Signature algorithm names, as recorded next to a signature.
const (
	AlgEd25519 = "ed25519"
	AlgSM2     = "sm2"
)

// KeySize is the length in bytes of every symmetric master key (data, lookup, audit) and of
// every signing key (an Ed25519 seed, an SM2 private scalar).
const KeySize = 32

// Suite is one family of algorithms.
type Suite interface {
	// Name is Intl or GM.
	Name() string
	// NewHash returns the suite's hash: SHA-256 or SM3 (both 32 bytes).
	NewHash() hash.Hash
	// NewBlock returns the suite's block cipher under a 32-byte master key: AES-256 with the
	// key itself, or SM4 with a 16-byte key derived from it (HMAC-SM3 of a fixed label).
	NewBlock(master []byte) (cipher.Block, error)
	// SignatureAlg is the algorithm that signs under this suite: AlgEd25519 or AlgSM2.
	SignatureAlg() string
}

// ByName returns the suite named name.
func ByName(name string) (Suite, error) {
	switch name {
	case Intl:
		return intl{}, nil
	case GM:
		return gm{}, nil
	}
	return nil, fmt.Errorf("cryptosuite: unknown suite %q (want %q or %q)", name, Intl, GM)
}

// MustByName is ByName for names known to be valid.
func MustByName(name string) Suite {
	s, err := ByName(name)
	if err != nil {
		panic(err)
	}
	return s
}

// Names lists the suites, the default first.
func Names() []string { return []string{Intl, GM} }

type intl struct{}

func (intl) Name() string         { return Intl }
func (intl) NewHash() hash.Hash   { return sha256.New() }
func (intl) SignatureAlg() string { return AlgEd25519 }
func (intl) NewBlock(master []byte) (cipher.Block, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("cryptosuite: AES-256 key must be %d bytes", KeySize)
	}
	return aes.NewCipher(master)
}

type gm struct{}

func (gm) Name() string         { return GM }
func (gm) NewHash() hash.Hash   { return sm3.New() }
func (gm) SignatureAlg() string { return AlgSM2 }
func (g gm) NewBlock(master []byte) (cipher.Block, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("cryptosuite: master key must be %d bytes", KeySize)
	}
	return sm4.NewCipher(MAC(g, master, []byte("skillcert/sm4-key/v1"))[:sm4.BlockSize])
}

// Hash is the suite's hash of msg.
func Hash(s Suite, msg []byte) []byte {
	h := s.NewHash()
	h.Write(msg)
	return h.Sum(nil)
}

// MAC is the suite's HMAC (HMAC-SHA256 or HMAC-SM3) of msg under key.
func MAC(s Suite, key, msg []byte) []byte {
	m := hmac.New(s.NewHash, key)
	m.Write(msg)
	return m.Sum(nil)
}

// NewAEAD is the suite's authenticated encryption under a 32-byte master key: AES-256-GCM or
// SM4-GCM, both with 12-byte nonces and 16-byte tags.
func NewAEAD(s Suite, master []byte) (cipher.AEAD, error) {
	b, err := s.NewBlock(master)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Fingerprint identifies a key without revealing it: the first 16 bytes, in hex, of
// HMAC-SHA256 under the key of a fixed label. It is what the key table records and what start
// compares; equal keys give equal fingerprints whatever the suite.
func Fingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("skillcert/key-fingerprint/v1"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// ---------------------------------------------------------------------------------------------
// Signatures.

// NewSigner builds the signing key of alg from its 32 bytes: an Ed25519 seed, or an SM2
// private scalar (which must lie in [1, n-2]; a random 32-byte string does with overwhelming
// probability). The result is an ed25519.PrivateKey or an *sm2.PrivateKey; both are
// crypto.Signers and both are accepted by Sign.
func NewSigner(alg string, key []byte) (crypto.Signer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("cryptosuite: %s signing key must be %d bytes", alg, KeySize)
	}
	switch alg {
	case AlgEd25519:
		return ed25519.NewKeyFromSeed(key), nil
	case AlgSM2:
		k, err := sm2.NewPrivateKey(key)
		if err != nil {
			return nil, errors.New("cryptosuite: SM2 signing key is not a valid private key (must lie in [1, n-2])")
		}
		return k, nil
	}
	return nil, fmt.Errorf("cryptosuite: unknown signature algorithm %q", alg)
}

// SignerAlg names the algorithm of a signing key made by NewSigner, or "" for nil or an
// unusable key.
func SignerAlg(key crypto.Signer) string {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if len(k) == ed25519.PrivateKeySize {
			return AlgEd25519
		}
	case *sm2.PrivateKey:
		if k != nil && k.D != nil {
			return AlgSM2
		}
	}
	return ""
}

// Sign signs msg: Ed25519 (64 bytes), or SM2 with the default user ID 1234567812345678 and
// Z_A (GB/T 32918.2), the signature as the 64 bytes r || s (each 32 bytes, big-endian), so both
// algorithms' signatures have one size.
func Sign(key crypto.Signer, msg []byte) (alg string, sig []byte, err error) {
	switch alg = SignerAlg(key); alg {
	case AlgEd25519:
		return alg, ed25519.Sign(key.(ed25519.PrivateKey), msg), nil
	case AlgSM2:
		der, err := sm2.SignASN1(rand.Reader, key.(*sm2.PrivateKey), msg, sm2.DefaultSM2SignerOpts)
		if err != nil {
			return "", nil, err
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			return "", nil, fmt.Errorf("cryptosuite: SM2 signature: %w", err)
		}
		sig = make([]byte, 64)
		rs.R.FillBytes(sig[:32])
		rs.S.FillBytes(sig[32:])
		return alg, sig, nil
	}
	return "", nil, errors.New("cryptosuite: no signing key")
}

// PublicKeyBytes is the published form of a signing key's public key: the 32 raw Ed25519
// bytes, or the 65-byte uncompressed SM2 point (04 || x || y).
func PublicKeyBytes(key crypto.Signer) []byte {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return []byte(k.Public().(ed25519.PublicKey))
	case *sm2.PrivateKey:
		if k == nil || k.X == nil {
			return nil
		}
		b := make([]byte, 65)
		b[0] = 4
		k.X.FillBytes(b[1:33])
		k.Y.FillBytes(b[33:])
		return b
	}
	return nil
}

// KeyID names a public key in records: the first 8 bytes, in hex, of its SHA-256.
func KeyID(pub []byte) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// Verify reports whether sig is a valid alg signature of msg under the public key pub (in
// the form PublicKeyBytes gives).
func Verify(alg string, pub, msg, sig []byte) bool {
	switch alg {
	case AlgEd25519:
		return len(pub) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize &&
			ed25519.Verify(ed25519.PublicKey(pub), msg, sig)
	case AlgSM2:
		k, err := sm2.NewPublicKey(pub)
		if err != nil || len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return sm2.VerifyWithSM2(k, nil, msg, r, s)
	}
	return false
}

// AlgName is the algorithm's name as pages show it, in Chinese.
func AlgName(alg string) string {
	switch alg {
	case AlgSM2:
		return "SM2 数字签名（国密）"
	case AlgEd25519:
		return "Ed25519 数字签名"
	}
	return "未知签名算法"
}

// PublicKey is one verifying key: its algorithm, its bytes and its ID.
type PublicKey struct {
	Alg string
	Key []byte
	ID  string
}

// PublicOf returns the verifying key of a signing key.
func PublicOf(key crypto.Signer) PublicKey {
	b := PublicKeyBytes(key)
	return PublicKey{Alg: SignerAlg(key), Key: b, ID: KeyID(b)}
}

// PublicKeys is the set of keys a verifier trusts: every key that ever signed and is still
// configured, so what was signed under a retired suite verifies forever.
type PublicKeys []PublicKey

// Find returns the key of alg with ID id; an empty id matches the first key of alg (records
// from before key IDs were kept).
func (ks PublicKeys) Find(alg, id string) (PublicKey, bool) {
	for _, k := range ks {
		if k.Alg == alg && (id == "" || k.ID == id) {
			return k, true
		}
	}
	return PublicKey{}, false
}

// Verify checks sig under the trusted key of alg and id.
func (ks PublicKeys) Verify(alg, id string, msg, sig []byte) bool {
	k, ok := ks.Find(alg, id)
	return ok && Verify(alg, k.Key, msg, sig)
}

// SM4Block is SM4 (GB/T 32907) under a 16-byte key, for the published test vectors; data is
// sealed through NewAEAD.
func SM4Block(key []byte) (cipher.Block, error) { return sm4.NewCipher(key) }

// VerifyingKeys returns the public keys of the configured signing keys: the Ed25519 seed and
// the SM2 private key, either of which may be empty.
func VerifyingKeys(ed25519Seed, sm2Key []byte) (PublicKeys, error) {
	var out PublicKeys
	for _, k := range []struct {
		alg string
		key []byte
	}{{AlgEd25519, ed25519Seed}, {AlgSM2, sm2Key}} {
		if len(k.key) == 0 {
			continue
		}
		s, err := NewSigner(k.alg, k.key)
		if err != nil {
			return nil, err
		}
		out = append(out, PublicOf(s))
	}
	return out, nil
}
