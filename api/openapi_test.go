package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// openAPIServer builds a server like newTestEnv does, but keeps the *Server and the gin engine
// of the real Handler(), which newTestEnv hides behind its httptest server. The document route
// is added to that engine unless Handler() registers it already.
func openAPIServer(t *testing.T) *gin.Engine {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t, models.SQLite)
	enf, err := service.NewEnforcer(ctx, db)
	require.NoError(t, err)
	s := newServer(t, service.Deps{DB: db, Enforcer: enf,
		Now: time.Now, DataKey: []byte("data-key-data-key-data-key-32byt"), LookupKey: []byte("lookup-key-lookup-key-lookup-key"),
		StorageDir: t.TempDir()}, Config{PublicURL: "http://test", SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	eng, ok := s.Handler(nil).(*gin.Engine)
	require.True(t, ok, "Handler() returns a *gin.Engine")
	registered := false
	for _, r := range eng.Routes() {
		registered = registered || (r.Method == http.MethodGet && r.Path == "/api/v1/openapi.yaml")
	}
	if !registered {
		t.Log("Handler() does not register GET /api/v1/openapi.yaml yet; adding it for the test")
		eng.GET("/api/v1/openapi.yaml", s.json(s.openAPI))
	}
	return eng
}

func parseOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(openAPIDocument, &doc), "openapi.yaml parses as YAML")
	return doc
}

func asMap(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "%s is a mapping (got %T)", what, v)
	return m
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// docOperations returns "METHOD /path" → operation for every operation in the document.
func docOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	ops := map[string]map[string]any{}
	for path, item := range asMap(t, doc["paths"], "paths") {
		pi := asMap(t, item, path)
		for _, m := range httpMethods {
			if op, ok := pi[m]; ok {
				ops[strings.ToUpper(m)+" "+path] = asMap(t, op, m+" "+path)
			}
		}
	}
	return ops
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

func TestOpenAPIDocumentParses(t *testing.T) {
	doc := parseOpenAPI(t)
	v, _ := doc["openapi"].(string)
	require.True(t, strings.HasPrefix(v, "3.0."), "openapi is 3.0.x, got %q", v)
	info := asMap(t, doc["info"], "info")
	require.NotEmpty(t, info["title"])
	require.NotEmpty(t, info["version"])
	require.NotEmpty(t, asMap(t, doc["paths"], "paths"))
	require.NotEmpty(t, asMap(t, asMap(t, doc["components"], "components")["schemas"], "schemas"))
	t.Logf("%d paths, %d operations documented", len(asMap(t, doc["paths"], "paths")), len(docOperations(t, doc)))
}

// TestOpenAPICoversEveryRoute checks the document against the real router in both directions:
// every /api/v1 route (and /healthz, /readyz) is documented with its method, and every
// documented operation exists.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	eng := openAPIServer(t)
	routes := map[string]bool{}
	for _, r := range eng.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") && r.Path != "/healthz" && r.Path != "/readyz" {
			continue
		}
		routes[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	require.NotEmpty(t, routes)
	ops := docOperations(t, parseOpenAPI(t))

	var missing, invented []string
	for k := range routes {
		if ops[k] == nil {
			missing = append(missing, k)
		}
	}
	for k := range ops {
		if !routes[k] {
			invented = append(invented, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(invented)
	require.Empty(t, missing, "routes registered by Handler() but not in api/openapi.yaml")
	require.Empty(t, invented, "operations in api/openapi.yaml that Handler() does not register")
}

// TestOpenAPIRefsResolve checks that every $ref is a local JSON pointer that resolves.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := parseOpenAPI(t)
	var refs int
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch n := v.(type) {
		case map[string]any:
			for k, x := range n {
				if k == "$ref" {
					ref, ok := x.(string)
					require.True(t, ok, "$ref at %s is a string", at)
					_, err := resolvePointer(doc, ref)
					require.NoError(t, err, "$ref at %s", at)
					refs++
					continue
				}
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range n {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
	require.Positive(t, refs)
}

func resolvePointer(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("%q is not a local reference", ref)
	}
	var cur any = doc
	for _, seg := range strings.Split(ref[2:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch n := cur.(type) {
		case map[string]any:
			next, ok := n[seg]
			if !ok {
				return nil, fmt.Errorf("%q: no %q", ref, seg)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil, fmt.Errorf("%q: bad index %q", ref, seg)
			}
			cur = n[i]
		default:
			return nil, fmt.Errorf("%q: cannot descend into %T at %q", ref, cur, seg)
		}
	}
	return cur, nil
}

// TestOpenAPIOperations checks each operation's shape: a unique operationId, a summary,
// responses, an explicit security requirement naming declared schemes (none only for the
// public routes, the CSRF header with the cookie on unsafe methods), and every path parameter
// declared.
func TestOpenAPIOperations(t *testing.T) {
	doc := parseOpenAPI(t)
	schemes := asMap(t, asMap(t, doc["components"], "components")["securitySchemes"], "securitySchemes")
	public := map[string]bool{
		"GET /healthz": true, "GET /readyz": true, "GET /api/v1/openapi.yaml": true,
		"POST /api/v1/auth/login": true, "POST /api/v1/enterprises/register": true, "GET /api/v1/directory": true, "POST /api/v1/complaints": true,
		"GET /api/v1/public/certificates": true, "GET /api/v1/certificates/public-key": true, "GET /api/v1/certificates/{id}/verify": true,
		"GET /api/v1/public/supervision": true, "GET /api/v1/captcha": true,
		"GET /api/v1/public/publicity": true, "GET /api/v1/public/publicity/{id}": true, "POST /api/v1/public/publicity/{id}/objections": true,
		"POST /api/v1/public/complaints/status": true,
	}
	ids := map[string]string{}
	for key, op := range docOperations(t, doc) {
		method, path, _ := strings.Cut(key, " ")
		id, _ := op["operationId"].(string)
		require.NotEmpty(t, id, "%s: operationId", key)
		require.Empty(t, ids[id], "%s: operationId %q also used by %s", key, id, ids[id])
		ids[id] = key
		require.NotEmpty(t, op["summary"], "%s: summary", key)
		require.NotEmpty(t, asMap(t, op["responses"], key+" responses"), "%s: responses", key)

		sec, ok := op["security"].([]any)
		require.True(t, ok, "%s: explicit security", key)
		if public[key] {
			require.Empty(t, sec, "%s is public", key)
		} else {
			require.NotEmpty(t, sec, "%s needs authentication", key)
			for _, alt := range sec {
				req := asMap(t, alt, key+" security")
				for name := range req {
					require.Contains(t, schemes, name, "%s: security scheme %q declared", key, name)
				}
				if _, cookie := req["cookieAuth"]; cookie && method != http.MethodGet {
					require.Contains(t, req, "csrfToken", "%s: cookie sessions need X-CSRF-Token", key)
				}
			}
		}

		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm := asMap(t, p, key+" parameter")
			if ref, ok := pm["$ref"].(string); ok {
				v, err := resolvePointer(doc, ref)
				require.NoError(t, err)
				pm = asMap(t, v, ref)
			}
			if pm["in"] == "path" {
				require.Equal(t, true, pm["required"], "%s: path parameter %v is required", key, pm["name"])
				declared[pm["name"].(string)] = true
			}
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
			require.True(t, declared[m[1]], "%s: path parameter %q declared", key, m[1])
		}
	}
}

// TestOpenAPIServed checks that the document is served as YAML without authentication, and
// that a client holding its ETag is answered 304.
func TestOpenAPIServed(t *testing.T) {
	srv := httptest.NewServer(openAPIServer(t))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/api/v1/openapi.yaml")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml"), resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Cache-Control"), "public")
	require.Equal(t, openAPIDocument, body)
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/openapi.yaml", nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotModified, resp.StatusCode)
}

// TestOpenAPINullableHasType: OpenAPI 3.0 only allows `nullable` beside a `type` (Redocly's
// recommended lint reports it as an error otherwise, as it did on ApplicationView.form).
func TestOpenAPINullableHasType(t *testing.T) {
	var bad []string
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			if x["nullable"] == true && x["type"] == nil {
				bad = append(bad, path)
			}
			for k, c := range x {
				walk(c, path+"/"+k)
			}
		case []any:
			for i, c := range x {
				walk(c, fmt.Sprintf("%s/%d", path, i))
			}
		}
	}
	walk(parseOpenAPI(t), "#")
	sort.Strings(bad)
	require.Empty(t, bad, "nullable without type")
}

// TestOpenAPIParametersArePlainSchemas: a query or path parameter is one plain schema, never
// anyOf/oneOf, which generated clients cannot set (due_before was anyOf date/date-time).
func TestOpenAPIParametersArePlainSchemas(t *testing.T) {
	var bad []string
	for name, op := range docOperations(t, parseOpenAPI(t)) {
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm := asMap(t, p, name+" parameter")
			schema, _ := pm["schema"].(map[string]any)
			if schema["anyOf"] != nil || schema["oneOf"] != nil {
				bad = append(bad, fmt.Sprintf("%s %v", name, pm["name"]))
			}
		}
	}
	sort.Strings(bad)
	require.Empty(t, bad)
}
