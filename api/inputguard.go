package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
	"skillcert/models/validate"
	"skillcert/service"
)

// inputGuard refuses, with 422 and the fields at fault, a request carrying what no column can
// store: a null byte or invalid UTF-8 in a path parameter, the query string, a URL-encoded form
// or a JSON body (keys and string values), or an integer beyond its column (domain.NumberFields
// in 32 bits, any other JSON integer in 64). The field rules of the use cases (lengths,
// characters, ranges) come after it; this is what they could not see, because PostgreSQL
// refuses a null byte before any rule runs and Go's JSON decoder quietly repairs bad UTF-8.
//
// Bodies are read within limitBody's bound and put back for the handler. The upload routes'
// bodies are bounded by LimitUpload further down their chain, so their forms are checked by
// GuardForm once parsed, and their file contents never.
func (s *Server) inputGuard(c *gin.Context) {
	var errs validate.Errors
	for _, p := range c.Params {
		storable(&errs, p.Key, p.Value)
	}
	q, _ := url.ParseQuery(c.Request.URL.RawQuery)
	valuesFaults(&errs, q)
	if r := c.Request; r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead &&
		!(r.Method == http.MethodPost && uploadPaths(r.URL.Path)) {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "multipart/form-data" {
			body, err := io.ReadAll(r.Body)
			r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(body), errReader{err}), Closer: r.Body}
			if ct == "application/x-www-form-urlencoded" {
				form, _ := url.ParseQuery(string(body))
				valuesFaults(&errs, form)
			} else if len(body) > 0 {
				errs = append(errs, jsonFaults(body)...)
			}
		}
	}
	if len(errs) > 0 {
		s.refuseInput(c, errs)
		return
	}
	c.Next()
}

// GuardForm checks the fields (and file names, never file contents) of a form parsed by an
// upload route, as inputGuard checks other bodies.
func (s *Server) GuardForm(c *gin.Context) {
	if errs := formFaults(c.Request); len(errs) > 0 {
		s.refuseInput(c, errs)
		return
	}
	c.Next()
}

// formFaults are the faults of a parsed form's fields and file names.
func formFaults(r *http.Request) validate.Errors {
	var errs validate.Errors
	valuesFaults(&errs, r.PostForm)
	if f := r.MultipartForm; f != nil {
		valuesFaults(&errs, f.Value)
		for key, files := range f.File {
			for _, fh := range files {
				storable(&errs, key, RawFileName(fh))
			}
		}
	}
	return errs
}

// refuseInput answers the faults: the API's error body, or the error page with a message that
// says what to do.
func (s *Server) refuseInput(c *gin.Context, errs validate.Errors) {
	e := service.Invalid(errs)
	e.Code = "bad_input"
	if !isAPI(c) {
		e.Message = "您提交的内容含有空字符、无法识别的字符或超出范围的数字（常见于从其他软件复制粘贴的文字），系统没有保存。" +
			"请返回上一页（浏览器的“后退”会保留您已填写的内容），删除或改正后重新提交。"
	}
	s.WriteError(c, e)
}

// storable adds the fault of a value no column can store (domain.Storable).
func storable(errs *validate.Errors, field, v string) {
	if msg := domain.Storable(v); msg != "" {
		errs.Add(field, domain.CodeBadCharacter, "此项"+msg)
	}
}

var integerSyntax = regexp.MustCompile(`^[+-]?[0-9]+$`)

// valuesFaults checks query or form values: keys and values storable, declared number fields
// within 32 bits.
func valuesFaults(errs *validate.Errors, vs url.Values) {
	for key, list := range vs {
		storable(errs, key, key)
		for _, v := range list {
			storable(errs, key, v)
			if v = strings.TrimSpace(v); domain.NumberFields[leafName(key)] && integerSyntax.MatchString(v) {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || domain.Storage.Check(n) != nil {
					errs.AddError(key, domain.Storage.Check(clamp(err, v, n)))
				}
			}
		}
	}
}

// leafName is the last element of a field path: "occupations[2].quantity" → "quantity".
func leafName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	return path
}

func clamp(err error, v string, n int64) int64 {
	if err == nil {
		return n
	}
	if strings.HasPrefix(v, "-") {
		return -1 << 63
	}
	return 1<<63 - 1
}

// jsonFaults checks a JSON body: valid UTF-8, storable keys and strings, integers within their
// columns, numbers finite. A body that is not JSON is left to the handler's decoder to refuse.
func jsonFaults(body []byte) validate.Errors {
	var errs validate.Errors
	if !utf8.Valid(body) {
		// Go's decoder would turn the bytes into U+FFFD and store a different text than sent.
		errs.Add("", domain.CodeBadCharacter, "请求内容含有无法识别的字符（不是有效的 UTF-8 编码）。")
		return errs
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		array     bool
		index     int
		key       string
		expectKey bool
	}
	var stack []*frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			case f.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	key := func() string {
		for i := len(stack) - 1; i >= 0; i-- {
			if !stack[i].array {
				return stack[i].key
			}
		}
		return ""
	}
	afterValue := func() {
		if n := len(stack); n > 0 {
			if top := stack[n-1]; top.array {
				top.index++
			} else {
				top.expectKey = true
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return errs // the end, or not JSON: the handler's decoder answers that
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{expectKey: true})
			case '[':
				stack = append(stack, &frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].expectKey {
				stack[n-1].key, stack[n-1].expectKey = v, false
				storable(&errs, path(), v)
				continue
			}
			storable(&errs, path(), v)
			afterValue()
		case json.Number:
			if f := numberFault(key(), string(v)); f != nil {
				errs.AddError(path(), f)
			}
			afterValue()
		default:
			afterValue()
		}
	}
}

var (
	minInt64 = big.NewInt(-1 << 63)
	maxInt64 = big.NewInt(1<<63 - 1)
)

// numberFault is the fault of a JSON number under key: an integer beyond 64 bits, or beyond 32
// for a declared number field; a number no float can hold.
func numberFault(key, lit string) *validate.Fault {
	if !integerSyntax.MatchString(lit) {
		if _, err := strconv.ParseFloat(lit, 64); errors.Is(err, strconv.ErrRange) {
			return &validate.Fault{Code: domain.CodeOutOfRange, Message: "数值超出范围。"}
		}
		return nil
	}
	n, ok := new(big.Int).SetString(lit, 10)
	if !ok || n.Cmp(minInt64) < 0 || n.Cmp(maxInt64) > 0 {
		return &validate.Fault{Code: domain.CodeOutOfRange, Message: "数值超出范围（超过 64 位整数）。"}
	}
	if domain.NumberFields[key] {
		return domain.Storage.Check(n.Int64())
	}
	return nil
}

// replayBody is a body read once and put back for the handler.
type replayBody struct {
	io.Reader
	io.Closer
}

// errReader answers, after the bytes read, the error that stopped the read (the body limit).
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}
