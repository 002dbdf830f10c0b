package pii

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"skillcert/models"
)

const testNumber = "11010519491231002X"

func TestKeyringSealsWithTheCurrentSuiteAndOpensEveryGeneration(t *testing.T) {
	legacy := newTestSealer(t)
	old, err := legacy.Seal(testNumber)
	if err != nil {
		t.Fatal(err)
	}
	if TagOf(old.Cipher) != LegacyTag || strings.Contains(old.Cipher, ":") {
		t.Fatalf("intl version 1 must keep the untagged format, got tag %q", TagOf(old.Cipher))
	}
	newData, newLookup := bytes.Repeat([]byte{0x33}, KeySize), bytes.Repeat([]byte{0x44}, KeySize)
	gm, err := NewKeyring(Keys{Suite: "gm", Current: Generation{Version: 2, Data: newData, Lookup: newLookup},
		Retired: []Generation{{Version: 1, Data: testDataKey, Lookup: testLookupKey}}})
	if err != nil {
		t.Fatal(err)
	}
	if gm.Current() != "gm.2" {
		t.Fatalf("current = %s", gm.Current())
	}
	sealed, err := gm.Seal(testNumber)
	if err != nil {
		t.Fatal(err)
	}
	if TagOf(sealed.Cipher) != "gm.2" || !strings.HasPrefix(sealed.Cipher, "gm.2:") {
		t.Fatalf("gm cipher not tagged: %q", sealed.Cipher[:8])
	}
	for _, p := range []struct {
		name string
		id   string
	}{{"old", old.Cipher}, {"new", sealed.Cipher}} {
		got, err := gm.Open(personID(p.id))
		if err != nil || got != testNumber {
			t.Fatalf("%s cipher: %q %v", p.name, got, err)
		}
	}
	// The legacy sealer has no gm keys: it refuses, naming no number.
	if _, err := legacy.Open(sealed); err != ErrOpen {
		t.Fatalf("legacy sealer opened a gm.2 cipher: %v", err)
	}
	// Lookups: the current hash first, and the old one among the rest, so a search finds
	// values of both generations.
	keys := gm.LookupKeys("11010519491231002x")
	if keys[0] != sealed.Lookup || !slices.Contains(keys, old.Lookup) || sealed.Lookup == old.Lookup {
		t.Fatalf("lookup keys %v do not cover both generations", keys)
	}
	// Reseal moves the old value to the current generation and leaves a current one alone.
	moved, changed, err := gm.Reseal(old)
	if err != nil || !changed || TagOf(moved.Cipher) != "gm.2" || moved.Lookup != sealed.Lookup || moved.Masked != old.Masked {
		t.Fatalf("reseal: %v %v %+v", changed, err, moved)
	}
	same, changed, err := gm.Reseal(moved)
	if err != nil || changed || same != moved {
		t.Fatalf("reseal of a current value changed it")
	}
	// A cipher of another generation's tag but tampered still fails to open.
	bad := personID("gm.1:" + strings.TrimPrefix(sealed.Cipher, "gm.2:"))
	if _, err := gm.Open(bad); err != ErrOpen {
		t.Fatalf("gm.2 body opened under gm.1: %v", err)
	}
}

func TestKeyringRejectsBadConfiguration(t *testing.T) {
	g := Generation{Version: 1, Data: testDataKey, Lookup: testLookupKey}
	for name, k := range map[string]Keys{
		"unknown suite":     {Suite: "rot13", Current: g},
		"duplicate version": {Current: g, Retired: []Generation{g}},
		"version 0 retired": {Current: g, Retired: []Generation{{Version: -1, Data: testDataKey, Lookup: testLookupKey}}},
		"short retired key": {Current: g, Retired: []Generation{{Version: 2, Data: testDataKey[:3], Lookup: testLookupKey}}},
	} {
		if _, err := NewKeyring(k); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func personID(cipher string) models.PersonID { return models.PersonID{Cipher: cipher} }
