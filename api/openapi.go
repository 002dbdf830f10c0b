package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// openAPIDocument is the OpenAPI 3.0 description of the JSON API (api/openapi.yaml). Keep it
// in step with the routes: TestOpenAPI* fails when a route is missing from it or it names one
// the router does not have.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// openAPIETag identifies the embedded document; it changes only with a new build.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// openAPI serves the API description. It is public (it holds nothing that depends on the
// caller) and cacheable; If-None-Match is answered 304.
func (s *Server) openAPI(c *gin.Context) error {
	h := c.Writer.Header()
	h.Set("Content-Type", "application/yaml; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", openAPIETag)
	http.ServeContent(c.Writer, c.Request, "openapi.yaml", time.Time{}, bytes.NewReader(openAPIDocument))
	return nil
}
