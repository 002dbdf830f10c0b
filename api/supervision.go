package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// apiDraw draws sittings and supervisors at random (双随机) within the caller's jurisdiction.
func (s *Server) apiDraw(c *gin.Context) error {
	var in service.DrawInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	d, err := s.svc.DrawSupervision(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, d)
	return nil
}

func (s *Server) apiGetDraw(c *gin.Context) error {
	d, err := s.svc.ReadDraw(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

// apiVerifyDraw re-runs a draw from its recorded seed and candidate lists.
func (s *Server) apiVerifyDraw(c *gin.Context) error {
	match, seed, err := s.svc.VerifyDraw(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"match": match, "seed": seed})
	return nil
}

// apiSupervisionReport files a drawn supervisor's report on a drawn sitting. The draw is read
// (and a caller outside it refused) before the body is.
func (s *Server) apiSupervisionReport(c *gin.Context) error {
	ctx, a, id := c.Request.Context(), ActorFrom(c), c.Param("id")
	if _, err := s.svc.ReadDraw(ctx, a, id); err != nil {
		return err
	}
	in := service.ReportInput{DrawID: id}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := s.svc.FileSupervisionReport(ctx, a, in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if r.UpdatedAt != nil {
		status = http.StatusOK // a returned report, amended
	}
	c.JSON(status, r)
	return nil
}

// apiSupervisionReports lists supervision reports with their review status: a supervisor's
// own, or those of the draws in an official's jurisdiction (?status=submitted is the region's
// review queue).
func (s *Server) apiSupervisionReports(c *gin.Context) error {
	out, err := s.svc.SupervisionReports(c.Request.Context(), ActorFrom(c), c.Query("status"))
	if err != nil {
		return err
	}
	return writeList(c, out)
}

// apiReviewSupervisionReport publishes a submitted report or returns it to its supervisor
// (the use case loads the report and authorizes the caller on its draw's jurisdiction).
func (s *Server) apiReviewSupervisionReport(c *gin.Context) error {
	in := service.ReviewInput{ReportID: c.Param("id")}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := s.svc.ReviewSupervisionReport(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, r)
	return nil
}

// apiPublicSupervision publishes the supervision results (一公开).
func (s *Server) apiPublicSupervision(c *gin.Context) error {
	out, err := s.db.PublishedSupervision(c.Request.Context(), 200)
	if err != nil {
		return err
	}
	return writeList(c, out)
}
