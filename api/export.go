package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"skillcert/exports"
	"skillcert/service"
)

// xlsxContentType is the media type of an XLSX workbook.
const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// apiExportApplicationXLSX sends the application form as an XLSX workbook laid out like 附件1.
func (s *Server) apiExportApplicationXLSX(c *gin.Context) error {
	ex, err := s.svc.ApplicationForExport(c.Request.Context(), ActorFrom(c), c.Param("id"), c.Query("version"))
	if err != nil {
		return err
	}
	data, err := exports.ApplicationXLSX(ex.App, ex.Meta)
	if err != nil {
		return fmt.Errorf("render application xlsx: %w", err)
	}
	s.svc.AuditExport(c.Request.Context(), ActorFrom(c), "application.export", ex)
	c.Header("Content-Disposition", contentDisposition(exportFileName(ex)))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, xlsxContentType, data)
	return nil
}

// exportFileName is 企业职业技能等级认定试点申报表-<enterprise>-第N版.xlsx (or -草稿).
func exportFileName(ex service.ExportedApplication) string {
	name := ex.App.Applicant.Name
	if strings.TrimSpace(name) == "" {
		name = ex.Enterprise.Name
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`/\:*?"<>|`, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	suffix := "草稿"
	if !ex.Meta.Draft() {
		suffix = "第" + strconv.Itoa(ex.Meta.Version) + "版"
	}
	return exports.ApplicationTitle + "-" + service.ClipText(name, 60) + "-" + suffix + ".xlsx"
}
