// Package validate checks the identifiers and values that appear on the
// skill-level certification forms: unified social credit codes, resident ID
// numbers, phone numbers, e-mail addresses, occupation codes, skill levels,
// certificate numbers and fees.
//
// Every validator comes in two halves. A Normalize function turns what a user
// typed into the canonical form (trimmed, separators removed, upper case where
// the standard uses upper case); a Check function then validates the canonical
// form strictly and does not normalise on its own, so that what is checked is
// exactly what gets stored. Normalize functions are idempotent and leave a valid
// value unchanged.
//
// Check functions return a *Fault: a stable English code for programs and a
// specific Simplified Chinese message for people. Each code has an exported
// sentinel (ErrCreditCodeCheck, ErrIDNumberCheck, ...) usable with errors.Is.
// Errors collects faults per form field for an API response.
//
// The package is pure: no I/O, no clock (callers pass "today"), no imports of
// other project packages.
package validate
