package api

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// The expert pool (评估专家库), kept by the region's appraisal centre: GET /api/v1/experts lists
// every expert account with its entry, POST /api/v1/experts adds or changes one entry, POST
// /api/v1/experts/import takes an XLSX workbook (all rows or none), GET
// /api/v1/experts/template.xlsx is the import's template. Each change signals the cases whose
// panel draw found too few experts.

func (s *Server) apiExperts(c *gin.Context) error {
	v, err := s.svc.ExpertPool(c.Request.Context(), ActorFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (s *Server) apiSaveExpert(c *gin.Context) error {
	var in service.ExpertInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	res, err := s.svc.SaveExpert(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) apiImportExperts(c *gin.Context) error {
	ctx := c.Request.Context()
	f, done, err := uploadedWorkbook(c)
	if err != nil {
		return err
	}
	defer done()
	res, err := s.svc.ImportExperts(ctx, ActorFrom(c), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) apiExpertTemplate(c *gin.Context) error {
	b, err := service.ExpertTemplate()
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="expert-pool-template.xlsx"`)
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
	return nil
}

// uploadedWorkbook is the one XLSX file of an import, sent as multipart/form-data in the field
// file; done closes it and removes the request's spooled parts. A body over the limit and a
// form without exactly one file are refused with a message saying what to send.
func uploadedWorkbook(c *gin.Context) (_ multipart.File, done func(), err error) {
	if err := c.Request.ParseMultipartForm(service.MultipartMemory); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, service.BadRequest("too_large", "文件过大，请分批导入。")
		}
		return nil, nil, service.BadRequest("bad_multipart", "请以 multipart/form-data 格式上传，文件放在 file 字段。")
	}
	form := c.Request.MultipartForm
	files := form.File["file"]
	if len(files) != 1 {
		_ = form.RemoveAll()
		return nil, nil, service.BadRequest("bad_multipart", "请上传一个 Excel（.xlsx）文件，放在 file 字段。")
	}
	f, err := files[0].Open()
	if err != nil {
		_ = form.RemoveAll()
		return nil, nil, fmt.Errorf("open uploaded part: %w", err)
	}
	return f, func() { _ = f.Close(); _ = form.RemoveAll() }, nil
}
