package validate

import (
	"errors"
	"strings"
)

// Fault is one thing wrong with one value. Code is a stable English snake_case
// identifier meant for programs; Message is a Simplified Chinese explanation
// meant for the person who entered the value.
//
// Two Faults match under errors.Is when their codes are equal, so a Fault with
// a detailed message matches the exported sentinel of its code.
type Fault struct {
	Code    string
	Message string
}

// Error returns the Chinese message.
func (f *Fault) Error() string { return f.Message }

// Is reports whether target is a *Fault with the same code.
func (f *Fault) Is(target error) bool {
	t, ok := target.(*Fault)
	return ok && t.Code == f.Code
}

func fault(code, msg string) *Fault { return &Fault{Code: code, Message: msg} }

// ErrRequired is the sentinel for an empty value where one is needed (code "required").
var ErrRequired = fault("required", "此项为必填项")

// CodeOf returns the code of the first *Fault or FieldError in err's chain,
// "invalid" for any other non-nil error, and "" for nil.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	var f *Fault
	if errors.As(err, &f) {
		return f.Code
	}
	var fe FieldError
	if errors.As(err, &fe) {
		return fe.Code
	}
	return "invalid"
}

// FieldError is a fault bound to a form field, in the shape the API returns.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns "field: message".
func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Is reports whether target is a *Fault with the same code, so that
// errors.Is(fieldErr, ErrCreditCodeCheck) works after a fault has been bound
// to a field.
func (e FieldError) Is(target error) bool {
	t, ok := target.(*Fault)
	return ok && t.Code == e.Code
}

// Errors is a list of field errors, typically all the faults of one form.
// The zero value is an empty list ready to use.
type Errors []FieldError

// Add appends a field error.
func (e *Errors) Add(field, code, msg string) {
	*e = append(*e, FieldError{Field: field, Code: code, Message: msg})
}

// AddError binds err to field and appends it; a nil err is ignored. The code
// and message of a *Fault are kept; any other error gets the code "invalid".
func (e *Errors) AddError(field string, err error) {
	if err == nil {
		return
	}
	var f *Fault
	if errors.As(err, &f) {
		e.Add(field, f.Code, f.Message)
		return
	}
	e.Add(field, "invalid", err.Error())
}

// Prefixed returns a copy whose field names are prefixed with prefix and a
// dot, for nesting the errors of a row: Prefixed("occupations[2]") turns
// "code" into "occupations[2].code".
func (e Errors) Prefixed(prefix string) Errors {
	if e == nil {
		return nil
	}
	out := make(Errors, len(e))
	for i, fe := range e {
		if fe.Field == "" {
			fe.Field = prefix
		} else {
			fe.Field = prefix + "." + fe.Field
		}
		out[i] = fe
	}
	return out
}

// Error joins the field errors with "; ".
func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the field errors, so that errors.Is and errors.As see each one.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}

// Err returns e as an error, or nil when e is empty. Return it instead of e
// itself so that an empty list does not become a non-nil error.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}
