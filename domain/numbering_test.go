package domain

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDocumentNumberPatterns(t *testing.T) {
	require.NoError(t, CheckNumberPattern(DocPublication, DefaultPublicationNumberPattern))
	require.NoError(t, CheckNumberPattern(DocFiling, DefaultFilingNumberPattern))
	require.Equal(t, "内人社办发〔2027〕12号", FormatDocumentNumber(DefaultPublicationNumberPattern, 2027, "", 12))
	require.Equal(t, "内人社技备〔2027〕150200-007号", FormatDocumentNumber(DefaultFilingNumberPattern, 2027, "150200", 7))
	require.Equal(t, "X2027-000042", FormatDocumentNumber("X{year}-{seq:6}", 2027, "", 42))

	for _, bad := range []string{"", "内人社办发〔2027〕{seq}号", "内人社办发〔{year}〕号", "{year}{seq}{seq}", "{year}-{seq}-{foo}",
		"{year}-{seq:0}", "{year:4}-{seq}", "{year}-{seq}}", "{league}{league}{year}{seq}"} {
		require.Error(t, CheckNumberPattern(DocPublication, bad), bad)
	}
	require.True(t, NumberPerLeague(DefaultFilingNumberPattern))
	require.False(t, NumberPerLeague(DefaultPublicationNumberPattern))
	require.Equal(t, "150200", NumberScope(DefaultFilingNumberPattern, "150200"))
	require.Equal(t, "", NumberScope(DefaultPublicationNumberPattern, "150200"))
}

func TestFilingCodeRule(t *testing.T) {
	c, err := FilingCodeRule("  s1500-0123 ")
	require.NoError(t, err)
	require.Equal(t, "S1500-0123", c)
	c, err = FilingCodeRule("")
	require.NoError(t, err)
	require.Empty(t, c)
	for _, bad := range []string{"AB", "-ABCD", "ABCD-", "AB CD", "备案0001", "0123456789012345678901234567890123"} {
		_, err := FilingCodeRule(bad)
		require.Error(t, err, bad)
	}
}
