package api

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"skillcert/exports"
	"skillcert/models"
	"skillcert/service"
)

func (s *Server) writeXLSX(c *gin.Context, name string, b []byte) {
	c.Header("Content-Disposition", "attachment; filename=\"summary.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

func (s *Server) apiLeagueSummaryXLSX(c *gin.Context) error {
	ctx := c.Request.Context()
	league, err := s.db.JurisdictionByCode(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	if league.Level != models.LevelLeague {
		return service.BadRequest("not_league", "汇总表按盟市报送，请选择盟市。")
	}
	cp, err := s.db.LatestCampaign(ctx)
	if err != nil {
		return err
	}
	sum, err := s.svc.LeagueSummary(ctx, league, cp.ID)
	if err != nil {
		return err
	}
	b, err := exports.SummaryXLSX(sum)
	if err != nil {
		return err
	}
	_ = s.svc.Audit(ctx, ActorFrom(c), models.AuditEntry{Action: "summary.export", ObjectType: "league_collection", ObjectID: cp.ID + "-" + league.Code, JurisdictionCode: league.Code})
	s.writeXLSX(c, fmt.Sprintf("%s%s年试点申报汇总表.xlsx", league.Name, cp.ID), b)
	return nil
}

func (s *Server) apiRegionSummaryXLSX(c *gin.Context) error {
	ctx := c.Request.Context()
	cp, err := s.db.LatestCampaign(ctx)
	if err != nil {
		return err
	}
	js, err := s.db.Jurisdictions(ctx)
	if err != nil {
		return err
	}
	var all []exports.Summary
	for _, j := range js {
		if j.Level != models.LevelLeague {
			continue
		}
		sum, err := s.svc.LeagueSummary(ctx, j, cp.ID)
		if err != nil {
			return err
		}
		all = append(all, sum)
	}
	b, err := exports.RegionSummaryXLSX(all)
	if err != nil {
		return err
	}
	_ = s.svc.Audit(ctx, ActorFrom(c), models.AuditEntry{Action: "summary.export", ObjectType: "campaign", ObjectID: cp.ID})
	s.writeXLSX(c, fmt.Sprintf("全区%s年试点申报汇总表.xlsx", cp.ID), b)
	return nil
}
