package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"

	"skillcert/models"
	"skillcert/models/validate"
)

// MaxAuditExportRows bounds one export of the audit log; a larger range is refused with its
// size so the administrator narrows it.
const MaxAuditExportRows = 50000

// AuditExportInput is the input of ExportAudit: the filters of the audit page, the format
// ("xlsx", the default, or "csv") and, optionally, the Chinese names of actions and roles for
// the sheet's 操作 column.
type AuditExportInput struct {
	AuditQuery
	Format     string
	ActionName func(action string) string
}

// AuditExport is a file of the audit log.
type AuditExport struct {
	Filename, ContentType string
	Body                  []byte
	Rows                  int
}

var (
	exportIDRe     = regexp.MustCompile(`\b\d{17}[\dXx]\b`)
	exportMobileRe = regexp.MustCompile(`\b1[3-9]\d{9}\b`)
)

// maskExport masks ID and mobile numbers a typed reason may carry, as the audit page does.
func maskExport(s string) string {
	s = exportIDRe.ReplaceAllStringFunc(s, validate.MaskIDNumber)
	return exportMobileRe.ReplaceAllStringFunc(s, func(m string) string { return m[:3] + "****" + m[7:] })
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var auditExportHeader = []string{"序号", "时间", "操作人", "角色", "操作代码", "操作", "对象类型", "对象标识", "结果",
	"理由", "变更前", "变更后", "行政区划代码", "请求号", "前一条哈希", "本条哈希", "哈希算法"}

// ExportAudit exports the audit log of a filtered range (the audit page's filters) as XLSX
// or CSV, oldest first, with each row's chain hashes so the copy can be checked against the
// log: the audit administrator only (audit:export in the domain). At most
// MaxAuditExportRows rows; the export is itself audited as audit.export with its filters and
// row count (a refused one as rejected).
func (s *Service) ExportAudit(ctx context.Context, a *Actor, in AuditExportInput) (AuditExport, error) {
	format := strings.ToLower(strings.TrimSpace(in.Format))
	if format == "" {
		format = "xlsx"
	}
	if format != "xlsx" && format != "csv" {
		return AuditExport{}, BadRequest("bad_format", "导出格式应为 xlsx 或 csv。")
	}
	f, err := s.auditFilter(ctx, a, in.AuditQuery, "export")
	if err != nil {
		return AuditExport{}, err
	}
	what := fmt.Sprintf("format=%s from=%s to=%s action=%s actor=%s outcome=%s", format, in.From, in.To, in.Action, in.Actor, in.Outcome)
	rows, total, err := s.db.AuditExportRows(ctx, f, MaxAuditExportRows)
	if err != nil {
		return AuditExport{}, err
	}
	if total > MaxAuditExportRows {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "audit.export", ObjectType: "audit_log", Outcome: models.OutcomeRejected,
			AfterState: Truncate(what, 250), Reason: fmt.Sprintf("too many rows: %d", total)})
		return AuditExport{}, NewError(http.StatusUnprocessableEntity, "too_many_rows",
			fmt.Sprintf("所选范围内有 %d 条记录，超过单次导出上限 %d 条。请缩小日期范围或增加筛选条件后分批导出。", total, MaxAuditExportRows))
	}
	name := in.ActionName
	if name == nil {
		name = func(string) string { return "" }
	}
	records := make([][]string, 0, len(rows)+1)
	records = append(records, auditExportHeader)
	for _, e := range rows {
		records = append(records, []string{fmt.Sprint(e.Seq), e.At.In(s.cfg.Location).Format("2006-01-02 15:04:05"), e.ActorName,
			models.RoleNames[e.Role], e.Action, name(e.Action), e.ObjectType, maskExport(e.ObjectID), e.Outcome, maskExport(e.Reason),
			maskExport(e.BeforeState), maskExport(e.AfterState), e.JurisdictionCode, e.RequestID, e.PrevHash, e.Hash, e.HashAlg})
	}
	out := AuditExport{Rows: len(rows), Filename: "audit-" + s.now().In(s.cfg.Location).Format("20060102-150405") + "." + format}
	var buf bytes.Buffer
	if format == "csv" {
		out.ContentType = "text/csv; charset=utf-8"
		buf.WriteString("\ufeff") // so that spreadsheet programs read UTF-8
		w := csv.NewWriter(&buf)
		for _, r := range records {
			safe := make([]string, len(r))
			for i, v := range r {
				safe[i] = csvSafe(v)
			}
			if err := w.Write(safe); err != nil {
				return AuditExport{}, err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return AuditExport{}, err
		}
	} else {
		out.ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		if err := writeAuditXLSX(&buf, records); err != nil {
			return AuditExport{}, err
		}
	}
	out.Body = buf.Bytes()
	if err := s.Audit(ctx, a, models.AuditEntry{Action: "audit.export", ObjectType: "audit_log",
		AfterState: Truncate(fmt.Sprintf("%s rows=%d", what, len(rows)), 250)}); err != nil {
		// An export that cannot be recorded is not handed out.
		return AuditExport{}, err
	}
	return out, nil
}

func writeAuditXLSX(buf *bytes.Buffer, records [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "审计日志"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, r := range records {
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = excelize.Cell{Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(buf)
}
