package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// apiStatistics answers GET /api/v1/statistics: candidates, passes and pass rates of the
// caller's jurisdiction by occupation, level, league/city, gender, age band and month, and the
// highly skilled workers (service.Statistics; the /statistics page reads the same).
func (s *Server) apiStatistics(c *gin.Context) error {
	st, err := s.svc.Statistics(c.Request.Context(), ActorFrom(c), statsQuery(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, st)
	return nil
}

// apiStatisticsXLSX answers GET /api/v1/statistics/export.xlsx: the same tables as a workbook.
func (s *Server) apiStatisticsXLSX(c *gin.Context) error {
	b, name, err := s.svc.StatisticsXLSX(c.Request.Context(), ActorFrom(c), statsQuery(c))
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", "attachment; filename=\"statistics.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
	return nil
}

func statsQuery(c *gin.Context) service.StatsQuery {
	return service.StatsQuery{From: c.Query("from"), To: c.Query("to")}
}
