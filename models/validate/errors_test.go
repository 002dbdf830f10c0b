package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFaultIsMatchesByCode(t *testing.T) {
	err := CheckCreditCode("91440101MA5CJQ4N58")
	require.Error(t, err)
	tests := []struct {
		target error
		want   bool
	}{
		{ErrCreditCodeCheck, true},
		{ErrCreditCodeLength, false},
		{ErrCreditCodeChar, false},
		{ErrRequired, false},
		{ErrIDNumberCheck, false},
		{errors.New("credit_code_check"), false},
	}
	for _, tt := range tests {
		if got := errors.Is(err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, tt.target, got, tt.want)
		}
	}
	wrapped := fmt.Errorf("row 3: %w", err)
	if !errors.Is(wrapped, ErrCreditCodeCheck) {
		t.Errorf("errors.Is(wrapped, ErrCreditCodeCheck) = false, want true")
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"fault", CheckMobile(""), "required"},
		{"wrapped fault", fmt.Errorf("x: %w", ErrIDNumberCheck), "id_check"},
		{"field error", FieldError{Field: "a", Code: "c"}, "c"},
		{"errors", Errors{{Field: "a", Code: "c1"}, {Field: "b", Code: "c2"}}, "c1"},
		{"plain", errors.New("boom"), "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	var errs Errors
	require.NoError(t, errs.Err(), "empty Errors must give a nil error")

	errs.Add("name", "required", "请填写名称")
	errs.AddError("creditCode", CheckCreditCode("91440101MA5CJQ4N58"))
	errs.AddError("ignored", nil)
	errs.AddError("other", errors.New("boom"))

	want := Errors{
		{Field: "name", Code: "required", Message: "请填写名称"},
		{Field: "creditCode", Code: "credit_code_check", Message: "统一社会信用代码未通过校验，可能有字符录入错误，请对照营业执照逐位核对"},
		{Field: "other", Code: "invalid", Message: "boom"},
	}
	require.Equal(t, want, errs)

	err := errs.Err()
	require.Error(t, err)
	if !errors.Is(err, ErrCreditCodeCheck) {
		t.Errorf("errors.Is(Errors, ErrCreditCodeCheck) = false, want true")
	}
	if errors.Is(err, ErrIDNumberCheck) {
		t.Errorf("errors.Is(Errors, ErrIDNumberCheck) = true, want false")
	}
	var fe FieldError
	require.True(t, errors.As(err, &fe))
	if fe.Field != "name" {
		t.Errorf("errors.As first FieldError field = %q, want %q", fe.Field, "name")
	}
	if got, want := err.Error(), "name: 请填写名称; creditCode: "+want[1].Message+"; other: boom"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	b, err := json.Marshal(errs[:1])
	require.NoError(t, err)
	if got, want := string(b), `[{"field":"name","code":"required","message":"请填写名称"}]`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}

func TestErrorsPrefixed(t *testing.T) {
	errs := Errors{{Field: "code", Code: "c"}, {Field: "", Code: "d"}}
	got := errs.Prefixed("occupations[2]")
	want := Errors{{Field: "occupations[2].code", Code: "c"}, {Field: "occupations[2]", Code: "d"}}
	require.Equal(t, want, got)
	if errs[0].Field != "code" {
		t.Errorf("Prefixed changed the receiver: field = %q", errs[0].Field)
	}
	if got := Errors(nil).Prefixed("x"); got != nil {
		t.Errorf("nil.Prefixed = %v, want nil", got)
	}
}

func TestFieldErrorError(t *testing.T) {
	tests := []struct {
		fe   FieldError
		want string
	}{
		{FieldError{Field: "mobile", Code: "mobile_format", Message: "手机号码格式不正确"}, "mobile: 手机号码格式不正确"},
		{FieldError{Code: "x", Message: "信息"}, "信息"},
	}
	for _, tt := range tests {
		if got := tt.fe.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.fe, got, tt.want)
		}
	}
}

// wantFault asserts that err is a *Fault with the given code (nil when code
// is ""), and that its message contains every fragment.
func wantFault(t *testing.T, call string, err error, code string, fragments ...string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s = %v, want nil", call, err)
		}
		return
	}
	var f *Fault
	if !errors.As(err, &f) {
		t.Errorf("%s = %v (%T), want *Fault with code %q", call, err, err, code)
		return
	}
	if f.Code != code {
		t.Errorf("%s code = %q (%s), want %q", call, f.Code, f.Message, code)
	}
	for _, frag := range fragments {
		if !strings.Contains(f.Message, frag) {
			t.Errorf("%s message = %q, want it to contain %q", call, f.Message, frag)
		}
	}
}
