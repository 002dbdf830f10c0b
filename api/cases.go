package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// SubmittedApplication identifies a submitted application version handed to the lifecycle.
type SubmittedApplication struct {
	ApplicationID string
	Version       int
	EnterpriseID  string
	CampaignID    string
}

// campaignFor returns the ID of the pilot campaign that takes applications at now: the year of
// the next collection deadline (20 May, Asia/Shanghai).
func (s *Server) campaignFor(_ context.Context, now time.Time) (string, error) {
	t := now.In(s.cfg.Location)
	year := t.Year()
	if deadline := time.Date(year, time.May, 20, 23, 59, 59, 0, s.cfg.Location); t.After(deadline) {
		year++
	}
	return strconv.Itoa(year), nil
}

// onApplicationSubmitted hands a submitted application to its enterprise case.
func (s *Server) onApplicationSubmitted(ctx context.Context, a *Actor, sub SubmittedApplication) error {
	return nil
}

func (s *Server) caseRoutes(r *gin.Engine, v1 *gin.RouterGroup) {}
