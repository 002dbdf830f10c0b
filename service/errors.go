package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// Error is the one error vocabulary of the use cases: a status (the HTTP status the API and the
// pages answer with), a stable English code for programs and a Chinese message for people.
// Field errors accompany 422s.
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

// NewError is an error of the vocabulary.
func NewError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// Errors every use case and handler may return.
var (
	ErrUnauthenticated = NewError(http.StatusUnauthorized, "unauthenticated", "请先登录。")
	ErrForbidden       = NewError(http.StatusForbidden, "forbidden", "您无权执行此操作，或该对象不在您的管辖范围内。")
	ErrNotFound        = NewError(http.StatusNotFound, "not_found", "未找到该对象，或该对象不在您的管辖范围内。")
	errConflict        = NewError(http.StatusConflict, "conflict", "数据已被他人修改，请刷新后重试。")
	ErrCSRF            = NewError(http.StatusForbidden, "csrf", "表单已过期或来源不明，请刷新页面后重新提交。")
	ErrInternal        = NewError(http.StatusInternalServerError, "internal", "系统内部错误，请稍后重试；如持续出现请联系系统管理员。")
)

// BadRequest is a malformed request (unparseable body, missing parameter).
func BadRequest(code, msg string) *Error { return NewError(http.StatusBadRequest, code, msg) }

// Invalid is a well-formed request whose content fails validation.
func Invalid(fields validate.Errors) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "提交的内容有误，请按提示修改。", Fields: fields}
}

// ToError maps any error to the vocabulary; unknown errors become 500 with the cause kept for
// the log and never shown to the client.
func ToError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe validate.Errors
	if errors.As(err, &fe) {
		return Invalid(fe)
	}
	var one validate.FieldError
	if errors.As(err, &one) {
		return Invalid(validate.Errors{one})
	}
	switch {
	case errors.Is(err, models.ErrNotFound):
		return ErrNotFound
	case models.IsUnavailable(err):
		return &Error{Status: errDatabaseUnavailable.Status, Code: errDatabaseUnavailable.Code, Message: errDatabaseUnavailable.Message,
			RetryAfter: retryAfterSeconds, cause: err}
	case temporalUnavailable(err):
		return &Error{Status: errTemporalUnavailable.Status, Code: errTemporalUnavailable.Code, Message: errTemporalUnavailable.Message,
			RetryAfter: retryAfterSeconds, cause: err}
	case errors.Is(err, models.ErrConflict):
		return &Error{Status: errConflict.Status, Code: errConflict.Code, Message: errConflict.Message, cause: err}
	}
	return &Error{Status: ErrInternal.Status, Code: ErrInternal.Code, Message: ErrInternal.Message, cause: err}
}

func isConflict(err error) bool { return errors.Is(err, models.ErrConflict) }

// UserError returns err as the error vocabulary when its message is meant for the user (every
// error but an internal one, whose cause is logged and whose page is the error page), else nil.
func UserError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Code != ErrInternal.Code && e.Message != "" {
		return e
	}
	return nil
}

// sentence ends a message with a full stop.
func sentence(msg string) string {
	if strings.HasSuffix(msg, "。") {
		return msg
	}
	return msg + "。"
}

// workflowError maps a workflow's refusal to the error vocabulary.
func workflowError(err error) *Error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		msg := ae.Message()
		switch ae.Type() {
		case workflows.ErrTaskNotOpen:
			return NewError(http.StatusConflict, "task_closed", msg+"。")
		case workflows.ErrNotCandidate:
			return NewError(http.StatusForbidden, "not_candidate", msg+"。")
		case workflows.ErrInvalidDecision:
			e := NewError(http.StatusUnprocessableEntity, "invalid_decision", sentence(msg))
			for _, f := range workflows.RefusalFields(err) {
				code := f.Code
				if code == "" {
					code = e.Code
				}
				e.Fields = append(e.Fields, validate.FieldError{Field: f.Field, Code: code, Message: sentence(f.Message)})
			}
			return e
		case workflows.ErrWrongState:
			e := NewError(http.StatusConflict, "wrong_state", sentence(msg))
			for _, f := range workflows.RefusalFields(err) {
				e.Fields = append(e.Fields, validate.FieldError{Field: f.Field, Code: "wrong_state", Message: sentence(f.Message)})
			}
			return e
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return NewError(http.StatusConflict, "case_closed", "该流程已结束。")
	}
	if temporalUnavailable(err) {
		return &Error{Status: errTemporalUnavailable.Status, Code: errTemporalUnavailable.Code, Message: errTemporalUnavailable.Message,
			RetryAfter: retryAfterSeconds, cause: err}
	}
	return &Error{Status: ErrInternal.Status, Code: ErrInternal.Code, Message: ErrInternal.Message, cause: err}
}

// retryAfterSeconds is the Retry-After of a 503.
const retryAfterSeconds = 5

var (
	// errTemporalUnavailable: Temporal did not answer within the request's deadline. A decision
	// carries its request key in the Update ID, so the same request sent again acts at most once.
	errTemporalUnavailable = NewError(http.StatusServiceUnavailable, "temporal_unavailable",
		"流程服务暂时无法响应，本次操作可能尚未生效。请稍后重试同一操作：同一请求不会被重复办理。")
	// errDatabaseUnavailable: the database cannot be reached now.
	errDatabaseUnavailable = NewError(http.StatusServiceUnavailable, "database_unavailable",
		"数据库暂时无法访问，请稍后重试。")
)

// temporalUnavailable reports whether err says Temporal could not be reached or did not answer
// in time (the request's deadline, the server's deadline, or the service unavailable).
func temporalUnavailable(err error) bool {
	var dl *serviceerror.DeadlineExceeded
	var un *serviceerror.Unavailable
	return errors.As(err, &dl) || errors.As(err, &un) || errors.Is(err, context.DeadlineExceeded)
}
