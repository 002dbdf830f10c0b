package validate

import (
	"testing"
	"time"
)

func BenchmarkCheckCreditCode(b *testing.B) {
	for b.Loop() {
		if err := CheckCreditCode("91440101MA5CJQ4N59"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckIDNumber(b *testing.B) {
	today := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if err := CheckIDNumber("11010519491231002X", today); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatCertificateNumber(b *testing.B) {
	for b.Loop() {
		if _, err := FormatCertificateNumber(CertificateKindEmployer, ProvinceFiling, "15", "000123", 2026, Level3, 1); err != nil {
			b.Fatal(err)
		}
	}
}
