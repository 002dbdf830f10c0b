package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"
)

// contractLogs holds the exchange log of each test that checks the API contract; startStack
// records the stack's exchanges there.
var contractLogs sync.Map // *testing.T → *exchangeLog

// recordContract makes the stacks that t starts record their API exchanges and checks them
// against api/openapi.yaml when t ends.
func recordContract(t *testing.T) {
	l := &exchangeLog{}
	contractLogs.Store(t, l)
	t.Cleanup(func() {
		contractLogs.Delete(t)
		if !t.Failed() {
			checkContract(t, l)
		}
	})
}

// exchange is one HTTP request and its answer, as the API server saw them.
type exchange struct {
	method, path, query string
	reqHeader           http.Header
	reqBody             []byte
	status              int
	respHeader          http.Header
	respBody            []byte
}

// exchangeLog records every API exchange of a stack (across restarts) for the contract check.
type exchangeLog struct {
	mu   sync.Mutex
	list []exchange
}

// wrap records every exchange under /api/ and the health routes, then passes it on unchanged.
func (l *exchangeLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		l.mu.Lock()
		l.list = append(l.list, exchange{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, reqHeader: r.Header.Clone(), reqBody: body,
			status: rec.Code, respHeader: rec.Header().Clone(), respBody: rec.Body.Bytes()})
		l.mu.Unlock()
	})
}

// contractDoc loads api/openapi.yaml with every object schema closed (additionalProperties:
// false), so that an undocumented field in a request or an answer is a mismatch.
func contractDoc(t *testing.T) *openapi3.T {
	t.Helper()
	raw, err := os.ReadFile("../../api/openapi.yaml")
	require.NoError(t, err)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "openapi.yaml is a valid OpenAPI document")
	// An allOf of object schemas is merged into one schema, so that closing it allows the
	// properties of all its parts (each part, where used alone, is closed on its own).
	flat := map[*openapi3.Schema]bool{}
	var flatten func(s *openapi3.Schema)
	flatten = func(s *openapi3.Schema) {
		if s == nil || flat[s] {
			return
		}
		flat[s] = true
		for _, p := range s.Properties {
			flatten(p.Value)
		}
		if s.Items != nil {
			flatten(s.Items.Value)
		}
		if s.AdditionalProperties.Schema != nil {
			flatten(s.AdditionalProperties.Schema.Value)
		}
		for _, l := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
			for _, x := range l {
				flatten(x.Value)
			}
		}
		if len(s.AllOf) == 0 {
			return
		}
		props := openapi3.Schemas{}
		for k, v := range s.Properties {
			props[k] = v
		}
		required := append([]string(nil), s.Required...)
		for _, x := range s.AllOf {
			if x.Value == nil || len(x.Value.AllOf) > 0 || len(x.Value.AnyOf) > 0 || len(x.Value.OneOf) > 0 {
				return // not a plain object part: left as it is
			}
			for k, v := range x.Value.Properties {
				props[k] = v
			}
			required = append(required, x.Value.Required...)
		}
		s.Properties, s.Required, s.AllOf = props, required, nil
		s.Type = &openapi3.Types{"object"}
	}
	for _, s := range doc.Components.Schemas {
		flatten(s.Value)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					if mt.Schema != nil {
						flatten(mt.Schema.Value)
					}
				}
			}
			for _, r := range op.Responses.Map() {
				if r.Value != nil {
					for _, mt := range r.Value.Content {
						if mt.Schema != nil {
							flatten(mt.Schema.Value)
						}
					}
				}
			}
		}
	}
	seen := map[*openapi3.Schema]bool{}
	var closeSchema func(s *openapi3.SchemaRef)
	closeSchema = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		isObject := s.Type.Is("object") || (s.Type == nil && len(s.Properties) > 0)
		if isObject && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil && len(s.AllOf) == 0 {
			no := false
			s.AdditionalProperties.Has = &no
		}
		for _, p := range s.Properties {
			closeSchema(p)
		}
		closeSchema(s.Items)
		closeSchema(s.AdditionalProperties.Schema)
		closeSchema(s.Not)
		for _, l := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
			for _, x := range l {
				closeSchema(x)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		closeSchema(s)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					closeSchema(p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					closeSchema(mt.Schema)
				}
			}
			for _, r := range op.Responses.Map() {
				if r.Value != nil {
					for _, mt := range r.Value.Content {
						closeSchema(mt.Schema)
					}
				}
			}
		}
	}
	return doc
}

// contractMismatches validates every exchange against the document: the operation exists, the
// request (parameters, body) fits it, the status is documented, the content type is one of
// the documented ones and the body fits the schema. It answers one line per mismatch.
func contractMismatches(t *testing.T, doc *openapi3.T, list []exchange) []string {
	t.Helper()
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	ctx := context.Background()
	var out []string
	for _, x := range list {
		u := "http://e2e" + x.path
		if x.query != "" {
			u += "?" + x.query
		}
		req, err := http.NewRequest(x.method, u, bytes.NewReader(x.reqBody))
		require.NoError(t, err)
		req.Header = x.reqHeader.Clone()
		where := fmt.Sprintf("%s %s -> %d", x.method, x.path, x.status)
		route, params, err := router.FindRoute(req)
		if err != nil {
			if err == routers.ErrMethodNotAllowed || err == routers.ErrPathNotFound {
				out = append(out, where+": no such operation in openapi.yaml")
			} else {
				out = append(out, where+": "+err.Error())
			}
			continue
		}
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		// A request the server refused (malformed, unauthorized, out of scope) may be meant
		// not to fit; its answer must still.
		switch x.status {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity:
		default:
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				out = append(out, where+": request: "+oneLine(err))
			}
		}
		resp := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status, Header: x.respHeader, Options: opts}
		resp.SetBodyBytes(x.respBody)
		if err := openapi3filter.ValidateResponse(ctx, resp); err != nil {
			out = append(out, where+": response: "+oneLine(err))
		}
	}
	sort.Strings(out)
	return compact(out)
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// compact folds identical lines into one with a count.
func compact(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && lines[j] == lines[i] {
			j++
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%s (×%d)", lines[i], j-i))
		} else {
			out = append(out, lines[i])
		}
		i = j
	}
	return out
}

// checkContract fails the test with every mismatch between the recorded exchanges and
// api/openapi.yaml.
func checkContract(t *testing.T, l *exchangeLog) {
	t.Helper()
	l.mu.Lock()
	list := append([]exchange(nil), l.list...)
	l.mu.Unlock()
	require.NotEmpty(t, list, "exchanges recorded")
	bad := contractMismatches(t, contractDoc(t), list)
	t.Logf("API contract: %d exchanges checked, %d mismatches", len(list), len(bad))
	if len(bad) > 0 {
		t.Errorf("API exchanges that do not fit api/openapi.yaml:\n%s", strings.Join(bad, "\n"))
	}
}

// TestAPIContractCheckFindsMismatches shows that the contract check of the end-to-end run
// (TestLifecycleEndToEnd records and checks every exchange) reports an undocumented status, a
// wrong content type, an undocumented field and an unknown route, and passes a fitting answer.
func TestAPIContractCheckFindsMismatches(t *testing.T) {
	doc := contractDoc(t)
	json := http.Header{"Content-Type": []string{"application/json; charset=utf-8"}}
	text := http.Header{"Content-Type": []string{"text/plain"}}
	ok := exchange{method: "GET", path: "/healthz", reqHeader: http.Header{}, status: 200, respHeader: json, respBody: []byte(`{"status":"ok"}`)}
	require.Empty(t, contractMismatches(t, doc, []exchange{ok}))
	extra := ok
	extra.respBody = []byte(`{"status":"ok","surprise":1}`)
	status := ok
	status.status = 418
	ctype := ok
	ctype.respHeader = text
	route := ok
	route.path = "/api/v1/nowhere"
	bad := contractMismatches(t, doc, []exchange{extra, status, ctype, route})
	require.Len(t, bad, 4, "%s", strings.Join(bad, "\n"))
}
