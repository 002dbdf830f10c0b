package api

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
)

// An active pilot's assessment sittings (考核批次): planning one through the case workflow,
// registering candidates and recording their scores.

// apiDeclaredAssessors answers GET /cases/:id/assessors: the 考评人员 declared in the case's
// application, whose IDs a plan chooses its panel by.
func (s *Server) apiDeclaredAssessors(c *gin.Context) error {
	list, err := s.svc.DeclaredAssessors(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	return writeList(c, list)
}

// apiPlanSession answers POST /cases/:id/sessions.
func (s *Server) apiPlanSession(c *gin.Context) error {
	in := service.PlanSittingInput{CaseID: c.Param("id")}
	if err := bindJSON(c, &in.PlanBody); err != nil {
		return err
	}
	res, err := s.svc.PlanSitting(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, res)
	return nil
}

// apiCaseSessions answers GET /cases/:id/sessions.
func (s *Server) apiCaseSessions(c *gin.Context) error {
	ss, err := s.svc.ListSittings(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	return writeList(c, ss)
}

// apiSession answers GET /sessions/:id.
func (s *Server) apiSession(c *gin.Context) error {
	sd, err := s.svc.ReadSitting(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sd)
	return nil
}

// apiAddCandidate answers POST /sessions/:id/candidates.
func (s *Server) apiAddCandidate(c *gin.Context) error {
	in := service.CandidateInput{SessionID: c.Param("id")}
	if err := bindJSON(c, &in.CandidateBody); err != nil {
		return err
	}
	cand, err := s.svc.RegisterCandidate(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, cand)
	return nil
}

// apiSetScores answers PUT /sessions/:id/candidates/:cid/scores.
func (s *Server) apiSetScores(c *gin.Context) error {
	in := service.ScoresInput{SessionID: c.Param("id"), CandidateID: c.Param("cid")}
	if err := bindJSON(c, &in.ScoresBody); err != nil {
		return err
	}
	out, err := s.svc.RecordScores(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// apiSetCandidatePhoto answers PUT /sessions/:id/candidates/:cid/photo: the certificate photo
// as multipart/form-data in the field photo (JPEG or PNG, at most 200 KB).
func (s *Server) apiSetCandidatePhoto(c *gin.Context) error {
	out, err := s.svc.SetCandidatePhoto(c.Request.Context(), ActorFrom(c), c.Param("id"), c.Param("cid"), func() ([]byte, error) {
		return ReadPhoto(c.Request)
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// ReadPhoto reads the one file of the form field photo, no more than one byte past the largest
// photo allowed (so that domain.CheckPhoto can say it is too large).
func ReadPhoto(r *http.Request) ([]byte, error) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return nil, service.BadRequest("bad_multipart", "请以 multipart/form-data 格式上传，照片放在 photo 字段。")
	}
	defer r.MultipartForm.RemoveAll()
	files := r.MultipartForm.File["photo"]
	if len(files) != 1 {
		return nil, service.Invalid(validate.Errors{{Field: "photo", Code: "required", Message: "请选择一张照片。"}})
	}
	f, err := files[0].Open()
	if err != nil {
		return nil, fmt.Errorf("open uploaded photo: %w", err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, domain.PhotoMaxBytes+1))
}

// apiCandidatePhoto answers GET /sessions/:id/candidates/:cid/photo to whoever may read the sitting.
func (s *Server) apiCandidatePhoto(c *gin.Context) error {
	rc, ct, err := s.svc.CandidatePhoto(c.Request.Context(), ActorFrom(c), c.Param("id"), c.Param("cid"))
	if err != nil {
		return err
	}
	defer rc.Close()
	c.Header("Cache-Control", "private, no-store")
	c.DataFromReader(http.StatusOK, -1, ct, rc, nil)
	return nil
}

// apiSittingRecords answers GET /sessions/:id/records: the current version of each of the
// sitting's original records, with the kinds still missing.
func (s *Server) apiSittingRecords(c *gin.Context) error {
	recs, err := s.svc.SittingRecords(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]attachmentResponse, len(recs))
	present := make([]string, len(recs))
	for i, r := range recs {
		out[i], present[i] = toAttachmentResponse(r), r.Purpose
	}
	missing := domain.MissingRecords(present)
	if missing == nil {
		missing = []string{}
	}
	c.JSON(http.StatusOK, gin.H{"records": out, "missing": missing})
	return nil
}

// apiSetScoresGrid answers PUT /sessions/:id/scores: several candidates' scores at once (the
// score grid), all or nothing.
func (s *Server) apiSetScoresGrid(c *gin.Context) error {
	var in struct {
		Scores []service.GridRow `json:"scores"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.svc.RecordScoresGrid(c.Request.Context(), ActorFrom(c), c.Param("id"), in.Scores)
	if err != nil {
		return err
	}
	return writeList(c, out)
}

// apiRemoveCandidate answers POST /sessions/:id/candidates/:cid/remove: a candidate registered
// by mistake, removed with the reason before the results are submitted.
func (s *Server) apiRemoveCandidate(c *gin.Context) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.svc.RemoveCandidate(c.Request.Context(), ActorFrom(c), c.Param("id"), c.Param("cid"), in.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// apiSittingWorkbook answers GET /sessions/:id/workbook.xlsx: the candidates and scores as XLSX.
func (s *Server) apiSittingWorkbook(c *gin.Context) error {
	b, name, err := s.svc.SittingWorkbook(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", "attachment; filename=\"sitting.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
	return nil
}

// apiImportSitting answers POST /sessions/:id/candidates/import and /sessions/:id/scores/import:
// an XLSX in the multipart field file; every refusal of the file at once, by row.
func (s *Server) apiImportSitting(scores bool) func(*gin.Context) error {
	return func(c *gin.Context) error {
		// The sitting is authorized before the body is read.
		if err := s.svc.RequireSittingManage(c.Request.Context(), ActorFrom(c), c.Param("id")); err != nil {
			return err
		}
		f, done, err := uploadedWorkbook(c)
		if err != nil {
			return err
		}
		defer done()
		ctx, a := c.Request.Context(), ActorFrom(c)
		var out []models.SessionCandidate
		if scores {
			out, err = s.svc.ImportScores(ctx, a, c.Param("id"), f)
		} else {
			out, err = s.svc.ImportCandidates(ctx, a, c.Param("id"), f)
		}
		if err != nil {
			return err
		}
		return writeList(c, out)
	}
}
