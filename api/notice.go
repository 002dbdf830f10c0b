package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"skillcert/exports"
	"skillcert/service"
)

// The notice's records beside the workflows: the receipt of a case's paper application, the
// enterprise's work ledger (工作台账) and the organisations' national filing codes.

// apiPaperReceipt records the receipt of the case's signed paper application (the league).
func (s *Server) apiPaperReceipt(c *gin.Context) error {
	var in service.PaperReceiptInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := s.svc.RecordPaperReceipt(c.Request.Context(), ActorFrom(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, r)
	return nil
}

// apiLedgerXLSX is the enterprise's work ledger as XLSX.
func (s *Server) apiLedgerXLSX(c *gin.Context) error {
	l, err := s.svc.EnterpriseLedger(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	b, err := exports.LedgerXLSX(l)
	if err != nil {
		return err
	}
	WriteLedger(c, l, b)
	return nil
}

// WriteLedger sends a ledger workbook as a download named after the enterprise.
func WriteLedger(c *gin.Context, l exports.Ledger, b []byte) {
	c.Header("Content-Disposition", "attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''"+url.PathEscape(l.Title()+".xlsx"))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, xlsxContentType, b)
}

// apiFilingCodes lists the pilot enterprises with their filing codes.
func (s *Server) apiFilingCodes(c *gin.Context) error {
	rows, err := s.svc.FilingCodes(c.Request.Context(), ActorFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"enterprises": rows})
	return nil
}

// apiSetFilingCode sets an enterprise's filing code ({"filing_code": "…"}, "" clears it).
func (s *Server) apiSetFilingCode(c *gin.Context) error {
	var in struct {
		FilingCode string `json:"filing_code"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	row, err := s.svc.SetFilingCode(c.Request.Context(), ActorFrom(c), c.Param("id"), in.FilingCode)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, row)
	return nil
}
