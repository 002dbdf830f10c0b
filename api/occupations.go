package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/occupations"
	"skillcert/models/validate"
)

// exclusionCache holds the region's exclusion list as a lookup; edits on this replica refresh it
// at once, others within exclusionTTL.
type exclusionCache struct {
	mu       sync.RWMutex
	excluded func(code string) bool
	loaded   time.Time
}

const exclusionTTL = 30 * time.Second

func (s *Server) refreshExclusions(ctx context.Context) error {
	rows, err := s.db.Exclusions(ctx)
	if err != nil {
		return err
	}
	list := make([]occupations.Exclusion, 0, len(rows))
	for _, r := range rows {
		list = append(list, occupations.Exclusion{Code: r.Code, Name: r.Name, Reason: r.Reason})
	}
	f := occupations.Excluder(s.apps.dict, list)
	s.excl.mu.Lock()
	s.excl.excluded, s.excl.loaded = f, time.Now()
	s.excl.mu.Unlock()
	return nil
}

// isExcluded reports whether an occupation code is on the region's exclusion list.
func (s *Server) isExcluded(code string) bool {
	s.excl.mu.RLock()
	f, stale := s.excl.excluded, time.Since(s.excl.loaded) > exclusionTTL
	s.excl.mu.RUnlock()
	if stale || f == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.refreshExclusions(ctx); err != nil {
			s.log.Warn("refresh occupation exclusions", "err", err)
		}
		s.excl.mu.RLock()
		f = s.excl.excluded
		s.excl.mu.RUnlock()
	}
	return f != nil && f(code)
}

func (s *Server) occupationRoutes(v1 *gin.RouterGroup) {
	v1.GET("/occupations", s.requireAPILogin, s.json(s.apiOccupations))
	v1.GET("/occupations/exclusions", s.requireAPILogin, s.json(s.apiExclusions))
	v1.POST("/occupations/exclusions", s.requireAPILogin, s.authorize("occupation", "manage", ownScope), s.json(s.apiAddExclusion))
	v1.DELETE("/occupations/exclusions/:name", s.requireAPILogin, s.authorize("occupation", "manage", ownScope), s.json(s.apiRemoveExclusion))
}

type occupationItem struct {
	occupations.Occupation
	Excluded   bool   `json:"excluded"`
	LevelsText string `json:"levels_text"`
}

// apiOccupations searches the dictionary by code prefix or name.
func (s *Server) apiOccupations(c *gin.Context) error {
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "20"))
	if limit < 1 || limit > 100 {
		limit = 20
	}
	out := []occupationItem{}
	for _, o := range s.apps.dict.Search(strings.TrimSpace(c.Query("q")), limit) {
		out = append(out, occupationItem{Occupation: o, Excluded: s.isExcluded(o.Code), LevelsText: o.Levels.String()})
	}
	c.JSON(http.StatusOK, listResponse[occupationItem]{Items: out, Total: int64(len(out)), Limit: limit})
	return nil
}

func (s *Server) apiExclusions(c *gin.Context) error {
	es, err := s.db.Exclusions(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(es))
	return nil
}

type exclusionBody struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// apiAddExclusion puts an occupation on the access-type exclusion list (region officials).
func (s *Server) apiAddExclusion(c *gin.Context) error {
	var b exclusionBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	var errs validate.Errors
	b.Code = validate.NormalizeOccupationCode(b.Code)
	if b.Code != "" {
		o, ok := s.apps.dict.Lookup(b.Code)
		if !ok {
			errs.Add("code", "unknown", "职业分类大典中没有编码 "+b.Code+"。")
		} else if b.Name == "" {
			b.Name = o.Name
		}
	}
	if strings.TrimSpace(b.Name) == "" {
		errs.Add("name", "required", "请填写职业名称或编码。")
	}
	if strings.TrimSpace(b.Reason) == "" {
		errs.Add("reason", "required", "请说明列入准入类排除名单的依据。")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	a := actorFrom(c)
	err := s.db.AddExclusion(c.Request.Context(), models.OccupationExclusion{Code: b.Code, Name: strings.TrimSpace(b.Name), Reason: b.Reason, CreatedBy: a.User.ID})
	if isConflict(err) {
		return invalid(validate.Errors{{Field: "name", Code: "exists", Message: "该职业已在排除名单中。"}})
	}
	if err != nil {
		return err
	}
	_ = s.audit(c.Request.Context(), a, models.AuditEntry{Action: "occupation.exclude", ObjectType: "occupation", ObjectID: b.Name, AfterState: b.Code, Reason: b.Reason})
	if err := s.refreshExclusions(c.Request.Context()); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"code": b.Code, "name": b.Name})
	return nil
}

func (s *Server) apiRemoveExclusion(c *gin.Context) error {
	a := actorFrom(c)
	name := c.Param("name")
	if err := s.db.RemoveExclusion(c.Request.Context(), name); err != nil {
		return err
	}
	_ = s.audit(c.Request.Context(), a, models.AuditEntry{Action: "occupation.unexclude", ObjectType: "occupation", ObjectID: name, Reason: c.Query("reason")})
	if err := s.refreshExclusions(c.Request.Context()); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
