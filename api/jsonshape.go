package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
)

// The API's answers are JSON all the way down and dates are dates (API changelog v1 in the
// README). The stored rows keep some structures as JSON text (a case's approved occupations
// and panel, an event's detail, a filing's occupations, a sitting's panel, a draw's sessions,
// supervisors and assignments) and a sitting's day as the UTC instant of its midnight in
// Asia/Shanghai; the same rows travel through the workflows, whose histories must keep
// decoding, so their Go encoding stays as it is and the API reshapes its answers here, once:
//
//   - a string field `x_json` holding JSON becomes the field `x` with that JSON as its value
//     (dropped when the row already carries a parsed `x`, as the draw's assignments);
//   - `exam_date` becomes the calendar day, YYYY-MM-DD, in Asia/Shanghai: the date that was
//     planned.

// jsonShape is the middleware that reshapes every JSON answer under /api/v1.
func jsonShape(c *gin.Context) {
	w := &shapeWriter{ResponseWriter: c.Writer}
	c.Writer = w
	c.Next()
	c.Writer = w.ResponseWriter
	if w.buf == nil {
		return
	}
	out := w.buf.Bytes()
	if needsReshape(out) {
		if shaped, err := reshapeJSON(out); err == nil {
			out = shaped
		}
	}
	_, _ = w.ResponseWriter.Write(out)
}

// shapeWriter holds back the body of a JSON answer; other answers (files, workbooks) pass.
type shapeWriter struct {
	gin.ResponseWriter
	buf     *bytes.Buffer
	decided bool
}

func (w *shapeWriter) Write(b []byte) (int, error) {
	if !w.decided {
		w.decided = true
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			w.buf = &bytes.Buffer{}
		}
	}
	if w.buf != nil {
		return w.buf.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *shapeWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// needsReshape tells whether an answer can hold a field reshapeJSON changes: most answers (the
// inbox, the public certificate query) hold neither and pass as written, without a second
// decoding and encoding on the hot paths. A value that merely contains the text only costs
// the reshaping, which leaves it as it is.
func needsReshape(b []byte) bool {
	return bytes.Contains(b, []byte(`_json"`)) || bytes.Contains(b, []byte(`"exam_date"`))
}

// reshapeJSON applies the reshaping to one JSON document.
func reshapeJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	if err := enc.Encode(reshape(v)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

func reshape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = reshape(val)
		}
		for k, val := range x {
			s, isString := val.(string)
			name, isJSON := strings.CutSuffix(k, "_json")
			switch {
			case isJSON && isString:
				delete(x, k)
				if _, has := x[name]; has {
					continue
				}
				var parsed any
				dec := json.NewDecoder(strings.NewReader(s))
				dec.UseNumber()
				if strings.TrimSpace(s) == "" || dec.Decode(&parsed) != nil {
					parsed = nil
				}
				x[name] = parsed
			case k == "exam_date" && isString:
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					x[k] = t.In(domain.Shanghai).Format(time.DateOnly)
				}
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = reshape(x[i])
		}
	}
	return v
}
