package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// The enterprise's writes of its application: saving the draft and submitting it.

// decodeJSON reads a bounded JSON body and refuses unknown fields: a misspelt field would
// otherwise be dropped silently, and with it what the person typed.
func decodeJSON(c *gin.Context, limit int64, v any) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return service.NewError(http.StatusRequestEntityTooLarge, "too_large", "提交的内容过大。")
		}
		return bodyError(err)
	}
	return nil
}

// apiSaveDraft answers PUT /applications/:id/draft.
func (s *Server) apiSaveDraft(c *gin.Context) error {
	in := service.SaveDraftInput{ApplicationID: c.Param("id")}
	if err := decodeJSON(c, maxFormBytes, &in.DraftRequest); err != nil {
		return err
	}
	out, err := s.svc.SaveDraft(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// apiSubmitApplication answers POST /applications/:id/submit: 201 for a new version, 200 for
// a repeated submission of one already stored.
func (s *Server) apiSubmitApplication(c *gin.Context) error {
	in := service.SubmitInput{ApplicationID: c.Param("id")}
	if err := decodeJSON(c, 1<<10, &in.SubmitRequest); err != nil {
		return err
	}
	out, err := s.svc.SubmitApplication(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if out.Created {
		status = http.StatusCreated
	}
	c.JSON(status, out)
	return nil
}
