package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/models/validate"
	"skillcert/service"
)

// Errors become responses here, and only here: the use cases return service.Error (or an
// error that service.ToError maps to one), and WriteError answers it as the JSON error body
// under /api/ or as the pages' error page elsewhere, with Retry-After for 429s; 5xx causes are
// logged, never shown.

// bindJSON decodes a JSON body into v. A body that is not JSON at all is 400 bad_json; a field
// of the wrong type or unknown to v is 422 with that field named (bodyError), as every other
// field mistake is.
func bindJSON(c *gin.Context, v any) error {
	if err := c.ShouldBindJSON(v); err != nil {
		return bodyError(err)
	}
	return nil
}

// bodyError maps a JSON decoding error to the vocabulary, the one place that decides it: a
// mistyped field (a string where a number is expected, …) or an unknown field is 422 with
// `fields`, so a client meets one status for one kind of mistake; an unparseable body stays
// 400 bad_json.
func bodyError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return service.Invalid(validate.Errors{{Field: field, Code: "bad_type", Message: "类型不正确，应为" + jsonTypeName(typeErr.Type.Kind()) + "。"}})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return service.Invalid(validate.Errors{{Field: strings.Trim(name, `"`), Code: "unknown_field", Message: "无法识别的字段。"}})
	}
	return service.BadRequest("bad_json", "请求内容不是有效的 JSON。")
}

// missingField is the 422 for a required field left out of a JSON body.
func missingField(field string) error {
	return service.Invalid(validate.Errors{{Field: field, Code: "required", Message: "必须填写。"}})
}

func jsonTypeName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "字符串"
	case reflect.Bool:
		return "布尔值（true 或 false）"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "数字"
	case reflect.Slice, reflect.Array:
		return "数组"
	default:
		return "对象"
	}
}

// isAPI tells JSON API requests from page requests.
func isAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// json adapts a handler that returns an error to gin: errors become the structured error body.
func (s *Server) json(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.WriteError(c, err)
		}
	}
}

// Page adapts a page handler: errors become the Chinese error page.
func (s *Server) Page(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.WriteError(c, err)
		}
	}
}

// WriteError writes err as JSON for the API or as the error page otherwise. 5xx causes are
// logged in full; clients only ever see the vocabulary's message.
func (s *Server) WriteError(c *gin.Context, err error) {
	e := service.ToError(err)
	if e.Status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed", "route", c.FullPath(), "err", err, "requestID", service.RequestIDFrom(c.Request.Context()))
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if isAPI(c) || s.pages == nil {
		c.AbortWithStatusJSON(e.Status, gin.H{"error": e, "request_id": service.RequestIDFrom(c.Request.Context())})
		return
	}
	s.pages.ErrorPage(c, e)
	c.Abort()
}

func (s *Server) notFound(c *gin.Context) { s.WriteError(c, service.ErrNotFound) }
