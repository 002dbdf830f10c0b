package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

// An answer without a field to reshape passes as the handler wrote it (no second decoding and
// encoding on the hot paths: the inbox, the public certificate query), while one with a
// `*_json` string or an exam_date is reshaped.
func TestJSONShapePassesAnswersWithNothingToReshape(t *testing.T) {
	type plain struct {
		Zeta  string `json:"zeta"`
		Alpha int    `json:"alpha"`
	}
	type stored struct {
		PanelJSON string `json:"panel_json"`
		ExamDate  string `json:"exam_date"`
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.GET("/plain", jsonShape, func(c *gin.Context) { c.JSON(http.StatusOK, plain{Zeta: "z", Alpha: 1}) })
	r.GET("/stored", jsonShape, func(c *gin.Context) {
		c.JSON(http.StatusOK, stored{PanelJSON: `{"seed":7}`, ExamDate: "2027-05-17T16:00:00Z"})
	})
	get := func(path string) string {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusOK, w.Code)
		return w.Body.String()
	}
	require.Equal(t, `{"zeta":"z","alpha":1}`, get("/plain"), "written as the handler wrote it, field order kept")
	require.JSONEq(t, `{"panel":{"seed":7},"exam_date":"2027-05-18"}`, get("/stored"))
}
