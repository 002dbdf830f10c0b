package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
)

// Error is the one error vocabulary of the HTTP layer: a status, a stable English code for
// programs and a Chinese message for people. Field errors accompany 422s.
type Error struct {
	Status  int                   `json:"-"`
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Fields  []validate.FieldError `json:"fields,omitempty"`
	// RetryAfter, in seconds, is sent as a header with 429s.
	RetryAfter int   `json:"retry_after,omitempty"`
	cause      error `json:"-"`
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %v", e.Code, e.cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

func newError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// Errors every handler may return.
var (
	errUnauthenticated = newError(http.StatusUnauthorized, "unauthenticated", "请先登录。")
	errForbidden       = newError(http.StatusForbidden, "forbidden", "您无权执行此操作，或该对象不在您的管辖范围内。")
	errNotFound        = newError(http.StatusNotFound, "not_found", "未找到该对象，或该对象不在您的管辖范围内。")
	errConflict        = newError(http.StatusConflict, "conflict", "数据已被他人修改，请刷新后重试。")
	errCSRF            = newError(http.StatusForbidden, "csrf", "表单已过期或来源不明，请刷新页面后重新提交。")
	errInternal        = newError(http.StatusInternalServerError, "internal", "系统内部错误，请稍后重试；如持续出现请联系系统管理员。")
)

// badRequest is a malformed request (unparseable body, missing parameter).
func badRequest(code, msg string) *Error { return newError(http.StatusBadRequest, code, msg) }

// invalid is a well-formed request whose content fails validation.
func invalid(fields validate.Errors) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "提交的内容有误，请按提示修改。", Fields: fields}
}

// toError maps any error to the vocabulary; unknown errors become 500 with the cause kept for
// the log and never shown to the client.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe validate.Errors
	if errors.As(err, &fe) {
		return invalid(fe)
	}
	var one validate.FieldError
	if errors.As(err, &one) {
		return invalid(validate.Errors{one})
	}
	switch {
	case errors.Is(err, models.ErrNotFound):
		return errNotFound
	case errors.Is(err, models.ErrConflict):
		return &Error{Status: errConflict.Status, Code: errConflict.Code, Message: errConflict.Message, cause: err}
	}
	return &Error{Status: errInternal.Status, Code: errInternal.Code, Message: errInternal.Message, cause: err}
}

func isConflict(err error) bool { return errors.Is(err, models.ErrConflict) }

// bindJSON decodes a JSON body into v, answering 400 with the vocabulary's message when it
// is not valid JSON for v.
func bindJSON(c *gin.Context, v any) error {
	if err := c.ShouldBindJSON(v); err != nil {
		return badRequest("bad_json", "请求内容不是有效的 JSON。")
	}
	return nil
}
