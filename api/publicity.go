package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// apiPublicity answers GET /public/publicity: the sittings whose results are in publicity.
func (s *Server) apiPublicity(c *gin.Context) error {
	es, err := s.svc.Publicity(c.Request.Context())
	if err != nil {
		return err
	}
	return writeList(c, es)
}

// apiPublicitySitting answers GET /public/publicity/:id.
func (s *Server) apiPublicitySitting(c *gin.Context) error {
	e, err := s.svc.PublicitySitting(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, e)
	return nil
}

// apiFileObjection answers POST /public/publicity/:id/objections.
func (s *Server) apiFileObjection(c *gin.Context) error {
	var b service.ObjectionBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	b.Addr = c.ClientIP()
	r, err := s.svc.FileObjection(c.Request.Context(), ActorFrom(c), c.Param("id"), b)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, r)
	return nil
}

// apiSessionObjections answers GET /sessions/:id/objections.
func (s *Server) apiSessionObjections(c *gin.Context) error {
	os, err := s.svc.SittingObjections(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	return writeList(c, os)
}

// apiWorkCalendar answers GET /calendar.
func (s *Server) apiWorkCalendar(c *gin.Context) error {
	v, err := s.svc.WorkCalendar(c.Request.Context(), ActorFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// apiSetCalendarDay answers PUT /calendar/days.
func (s *Server) apiSetCalendarDay(c *gin.Context) error {
	var b service.CalendarDayBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if err := s.svc.SetCalendarDay(c.Request.Context(), ActorFrom(c), b); err != nil {
		return err
	}
	return s.apiWorkCalendar(c)
}

// apiSetPublicityDays answers PUT /calendar/publicity-days.
func (s *Server) apiSetPublicityDays(c *gin.Context) error {
	var b struct {
		PublicityDays int `json:"publicity_days"`
	}
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if err := s.svc.SetPublicityDays(c.Request.Context(), ActorFrom(c), b.PublicityDays); err != nil {
		return err
	}
	return s.apiWorkCalendar(c)
}
