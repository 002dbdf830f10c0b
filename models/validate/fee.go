package validate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Sentinels for the faults of CheckFee; an empty amount gives ErrRequired.
var (
	// ErrFeeFormat is an amount that is not a plain decimal number.
	ErrFeeFormat = fault("fee_format", "金额格式不正确")
	// ErrFeeNegative is a negative amount.
	ErrFeeNegative = fault("fee_negative", "金额不能为负数")
	// ErrFeePrecision is an amount with more than two decimals.
	ErrFeePrecision = fault("fee_precision", "金额最多保留两位小数")
	// ErrFeeTooLarge is an amount too large to store in cents.
	ErrFeeTooLarge = fault("fee_too_large", "金额过大")
)

// CheckFee parses a non-negative amount in yuan, such as a fee standard,
// written as plain digits with an optional decimal point and at most two
// decimals ("1200", "1200.5", "1200.50"), and returns it in cents
// (fen). Surrounding whitespace is ignored; signs, thousands separators,
// exponents, currency symbols and units are rejected.
func CheckFee(s string) (cents int64, err error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fault(ErrRequired.Code, "请填写金额")
	}
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "－") {
		return 0, fault(ErrFeeNegative.Code, fmt.Sprintf("金额“%s”不能为负数", clip(t)))
	}
	whole, frac, hasPoint := strings.Cut(t, ".")
	if !allDigits(whole) || hasPoint && !allDigits(frac) {
		return 0, fault(ErrFeeFormat.Code, fmt.Sprintf("金额“%s”格式不正确，请只填写数字，如1200或1200.50（单位：元）", clip(t)))
	}
	if len(frac) > 2 {
		return 0, fault(ErrFeePrecision.Code, fmt.Sprintf("金额“%s”最多保留两位小数（精确到分）", clip(t)))
	}
	yuan, err := strconv.ParseInt(whole, 10, 64)
	tooLarge := fault(ErrFeeTooLarge.Code, fmt.Sprintf("金额“%s”过大", clip(t)))
	if err != nil || yuan > math.MaxInt64/100 {
		return 0, tooLarge
	}
	var fen int64
	if frac != "" {
		fen = int64(atoiDigits(frac))
		if len(frac) == 1 {
			fen *= 10
		}
	}
	if yuan*100 > math.MaxInt64-fen {
		return 0, tooLarge
	}
	cents = yuan*100 + fen
	return cents, nil
}

// FormatFee renders cents as yuan with exactly two decimals, "1200.50"; it
// is the inverse of CheckFee for non-negative amounts.
func FormatFee(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign = "-"
		u = uint64(-(cents + 1)) + 1
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
