package cryptosuite_test

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"skillcert/internal/cryptosuite"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// GB/T 32905-2016 (SM3), appendix A example 1: "abc"; and example 2: "abcd" × 16.
func TestSM3PublishedVectors(t *testing.T) {
	gm := cryptosuite.MustByName(cryptosuite.GM)
	for msg, want := range map[string]string{
		"abc":                      "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0",
		strings.Repeat("abcd", 16): "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732",
	} {
		if got := cryptosuite.Hash(gm, []byte(msg)); !bytes.Equal(got, unhex(t, want)) {
			t.Errorf("SM3(%q) = %x, want %s", msg, got, want)
		}
	}
	// The intl suite's hash stays SHA-256 (FIPS 180-2 "abc").
	intl := cryptosuite.MustByName(cryptosuite.Intl)
	if got := hex.EncodeToString(cryptosuite.Hash(intl, []byte("abc"))); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("SHA-256(abc) = %s", got)
	}
}

// GB/T 32907-2016 (SM4), appendix A example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
// NewBlock derives the SM4 key from a 32-byte master key, so the vector is checked through the
// block the suite builds for a master key whose derived key is known: the derivation itself is
// HMAC-SM3, checked here too.
func TestSM4PublishedVector(t *testing.T) {
	gm := cryptosuite.MustByName(cryptosuite.GM)
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	want := unhex(t, "681edf34d206965e86b3e94f536e4246")
	b, err := cryptosuite.SM4Block(key)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 16)
	b.Encrypt(got, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("SM4 example 1: got %x want %x", got, want)
	}
	b.Decrypt(got, got)
	if !bytes.Equal(got, key) {
		t.Fatalf("SM4 decrypt: got %x", got)
	}
	// The suite's block under a master key is SM4 under HMAC-SM3(master, label)[:16].
	master := bytes.Repeat([]byte{7}, 32)
	viaSuite, err := gm.NewBlock(master)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := cryptosuite.SM4Block(cryptosuite.MAC(gm, master, []byte("skillcert/sm4-key/v1"))[:16])
	a, c := make([]byte, 16), make([]byte, 16)
	viaSuite.Encrypt(a, key)
	direct.Encrypt(c, key)
	if !bytes.Equal(a, c) || viaSuite.BlockSize() != 16 {
		t.Fatal("gm suite block is not SM4 under the derived key")
	}
	// SM4-GCM round trip, and a flipped bit refused.
	aead, err := cryptosuite.NewAEAD(gm, master)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	ct := aead.Seal(nil, nonce, []byte("150102199003071234"), []byte("ad"))
	pt, err := aead.Open(nil, nonce, ct, []byte("ad"))
	if err != nil || string(pt) != "150102199003071234" {
		t.Fatalf("SM4-GCM round trip: %q %v", pt, err)
	}
	ct[0] ^= 1
	if _, err := aead.Open(nil, nonce, ct, []byte("ad")); err == nil {
		t.Fatal("tampered SM4-GCM ciphertext opened")
	}
}

// HMAC-SM3: RFC 2104 construction over SM3; checked against the construction computed by hand.
func TestHMACSM3(t *testing.T) {
	gm := cryptosuite.MustByName(cryptosuite.GM)
	key, msg := []byte("key"), []byte("The quick brown fox jumps over the lazy dog")
	k := make([]byte, 64)
	copy(k, key)
	ipad, opad := make([]byte, 64), make([]byte, 64)
	for i := range k {
		ipad[i], opad[i] = k[i]^0x36, k[i]^0x5c
	}
	inner := cryptosuite.Hash(gm, append(ipad, msg...))
	want := cryptosuite.Hash(gm, append(opad, inner...))
	if got := cryptosuite.MAC(gm, key, msg); !bytes.Equal(got, want) {
		t.Fatalf("HMAC-SM3 = %x want %x", got, want)
	}
}

// The SM2 signature example on the recommended curve (GB/T 32918.2-2016 / GM/T 0003.5-2012):
// private key d, user ID 1234567812345678, message "message digest", random k, signature (r, s).
func TestSM2PublishedExample(t *testing.T) {
	d := unhex(t, "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
	wantPub := unhex(t, "04"+"09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"+
		"CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
	wantZA := unhex(t, "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
	wantE := unhex(t, "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
	k := new(big.Int).SetBytes(unhex(t, "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"))
	r := new(big.Int).SetBytes(unhex(t, "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"))
	s := new(big.Int).SetBytes(unhex(t, "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"))
	msg := []byte("message digest")

	signer, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, d)
	if err != nil {
		t.Fatal(err)
	}
	pub := cryptosuite.PublicKeyBytes(signer)
	if !bytes.Equal(pub, wantPub) {
		t.Fatalf("public key of d: %x", pub)
	}
	// Z_A and e = SM3(Z_A || M), through the suite's hash.
	gm := cryptosuite.MustByName(cryptosuite.GM)
	sk := signer.(*sm2.PrivateKey)
	za, err := sm2.CalculateZA(&sk.PublicKey, []byte("1234567812345678"))
	if err != nil || !bytes.Equal(za, wantZA) {
		t.Fatalf("Z_A = %x (%v)", za, err)
	}
	e := cryptosuite.Hash(gm, append(append([]byte{}, za...), msg...))
	if !bytes.Equal(e, wantE) {
		t.Fatalf("e = %x", e)
	}
	// The published signature verifies through the project's interface; a changed message or
	// signature does not.
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	if !cryptosuite.Verify(cryptosuite.AlgSM2, pub, msg, sig) {
		t.Fatal("published SM2 signature does not verify")
	}
	if cryptosuite.Verify(cryptosuite.AlgSM2, pub, []byte("message digesT"), sig) {
		t.Fatal("signature verifies for another message")
	}
	// Deterministic check of the signing equation with the published k: r = (e + x1) mod n,
	// s = (1 + d)^-1 (k - r d) mod n, (x1, y1) = [k]G.
	curve := sm2.P256()
	n := curve.Params().N
	//lint:ignore SA1019 the published example fixes k; only the low-level API takes a given scalar
	x1, _ := curve.ScalarBaseMult(k.Bytes())
	rr := new(big.Int).Add(new(big.Int).SetBytes(e), x1)
	rr.Mod(rr, n)
	dd := new(big.Int).SetBytes(d)
	inv := new(big.Int).ModInverse(new(big.Int).Add(dd, big.NewInt(1)), n)
	ss := new(big.Int).Sub(k, new(big.Int).Mul(rr, dd))
	ss.Mul(ss, inv).Mod(ss, n)
	if rr.Cmp(r) != 0 || ss.Cmp(s) != 0 {
		t.Fatalf("signing equation: r=%X s=%X", rr, ss)
	}
	// Round trip through Sign (random k).
	alg, sig2, err := cryptosuite.Sign(signer, msg)
	if err != nil || alg != cryptosuite.AlgSM2 || len(sig2) != 64 || !cryptosuite.Verify(alg, pub, msg, sig2) {
		t.Fatalf("SM2 round trip: %s %v", alg, err)
	}
	if cryptosuite.Verify(cryptosuite.AlgEd25519, pub, msg, sig2) {
		t.Fatal("SM2 signature accepted as Ed25519")
	}
}

func TestEd25519RoundTripAndKeySet(t *testing.T) {
	ed, err := cryptosuite.NewSigner(cryptosuite.AlgEd25519, bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	keys := cryptosuite.PublicKeys{cryptosuite.PublicOf(ed), cryptosuite.PublicOf(sm)}
	msg := []byte("skillcert")
	for _, k := range keys {
		var alg string
		var sig []byte
		if k.Alg == cryptosuite.AlgEd25519 {
			alg, sig, err = cryptosuite.Sign(ed, msg)
		} else {
			alg, sig, err = cryptosuite.Sign(sm, msg)
		}
		if err != nil || !keys.Verify(alg, k.ID, msg, sig) || !keys.Verify(alg, "", msg, sig) {
			t.Fatalf("%s: does not verify through the key set", k.Alg)
		}
		if keys.Verify(alg, "0000000000000000", msg, sig) {
			t.Fatalf("%s: verifies under an unknown key ID", k.Alg)
		}
	}
	if _, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, make([]byte, 32)); err == nil {
		t.Fatal("zero SM2 key accepted")
	}
	if cryptosuite.Fingerprint([]byte("a")) == cryptosuite.Fingerprint([]byte("b")) || len(cryptosuite.Fingerprint([]byte("a"))) != 32 {
		t.Fatal("fingerprints")
	}
}
