package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"skillcert/domain"
	"skillcert/exports"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/workflows"
)

// Names the ledger prints for states (the same words as the sitting pages).
var (
	ledgerSessionStatus = map[string]string{models.SessionOpen: "登记考生、录入成绩中", models.SessionSubmitted: "结果待审核",
		models.SessionCorrecting: "退回更正中", models.SessionIssued: "已发证", models.SessionPublicity: "公示中"}
	ledgerResult      = domain.CandidateResultNames
	ledgerAudit       = domain.CandidateAuditNames
	ledgerCertStatus  = domain.CertificateStatusNames
	ledgerMissingName = "—"
)

// EnterpriseLedger is an enterprise's work ledger (工作台账): its sittings, candidates with
// their results, and certificates, with its 公布文号 and 备案号. The enterprise reads its own,
// officials those in their jurisdiction (`certificate read` in the enterprise's domain). ID
// numbers are in full only for a caller who may read personal data there (the enterprise, the
// league, the region and its centre), and such an official's export is audited as
// personal_data.read; a county's copy is masked (first 6 and last 4 kept).
func (s *Service) EnterpriseLedger(ctx context.Context, a *Actor, enterpriseID string) (exports.Ledger, error) {
	var l exports.Ledger
	if a == nil {
		return l, ErrUnauthenticated
	}
	ent, err := s.db.EnterpriseByID(ctx, enterpriseID)
	if err != nil {
		return l, err
	}
	d := policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)
	if err := s.Require(ctx, a, "certificate", "read", d); err != nil {
		return l, err
	}
	full := s.enf.Allowed(a.User.ID, d, "personal_data", "read")
	l = exports.Ledger{Enterprise: ent.Name, CreditCode: ent.CreditCode, IDsInFull: full, GeneratedAt: s.now(), Location: s.cfg.Location}
	cases, _, err := s.db.Cases(ctx, models.CaseFilter{EnterpriseID: ent.ID, Limit: 50})
	if err != nil {
		return l, err
	}
	for _, c := range cases {
		n, err := s.NumbersOfCase(ctx, c)
		if err != nil {
			return l, err
		}
		if l.PublicationNumber == "" {
			l.PublicationNumber = n.Publication
		}
		if l.FilingNumber == "" {
			l.FilingNumber = n.Filing
		}
	}
	sittings, candidates, certs, err := s.db.EnterpriseLedger(ctx, ent.ID)
	if err != nil {
		return l, err
	}
	idOf := func(cipher, lookup, masked string) (string, error) {
		if !full || cipher == "" {
			return masked, nil
		}
		n, err := s.apps.sealer.Open(models.PersonID{Cipher: cipher, Lookup: lookup, Masked: masked})
		if err != nil {
			return "", fmt.Errorf("open an ID number of the ledger of %s: %w", ent.ID, err)
		}
		return n, nil
	}
	short := func(id string) string {
		if len(id) > 8 {
			return id[:8]
		}
		return id
	}
	type tally struct{ all, pass int }
	counts := map[string]*tally{}
	bySitting := map[string]models.AssessmentSession{}
	for _, ss := range sittings {
		bySitting[ss.ID] = ss
		counts[ss.ID] = &tally{}
	}
	for _, c := range candidates {
		ss := bySitting[c.SessionID]
		counts[c.SessionID].all++
		if c.Result == "pass" {
			counts[c.SessionID].pass++
		}
		id, err := idOf(c.IDCipher, c.IDLookup, c.IDMasked)
		if err != nil {
			return l, err
		}
		l.Candidates = append(l.Candidates, []string{short(ss.ID), occupationText(ss.OccupationName, ss.WorkType), levelText(ss.Level), c.Name, id,
			score(c.Theory), score(c.Skill), score(c.Review), c.Ethics, c.Performance, nameOr(ledgerResult, c.Result), nameOr(ledgerAudit, c.AuditStatus),
			c.CertificateNumber})
	}
	for _, ss := range sittings {
		var panel []workflows.Assessor
		_ = json.Unmarshal([]byte(ss.AssessorsJSON), &panel)
		names := make([]string, 0, len(panel))
		for _, p := range panel {
			names = append(names, p.Name)
		}
		publicity := ""
		if ss.PublicityStartsAt != nil && ss.PublicityEndsAt != nil {
			publicity = ss.PublicityStartsAt.In(s.cfg.Location).Format("2006-01-02") + " 至 " + ss.PublicityEndsAt.In(s.cfg.Location).Format("2006-01-02")
		}
		l.Sittings = append(l.Sittings, []string{short(ss.ID), occupationText(ss.OccupationName, ss.WorkType), ss.OccupationCode, levelText(ss.Level),
			ss.ExamDate.In(s.cfg.Location).Format("2006-01-02"), ss.Site, strings.Join(names, "、"),
			strconv.Itoa(counts[ss.ID].all), strconv.Itoa(counts[ss.ID].pass), nameOr(ledgerSessionStatus, ss.Status), publicity})
	}
	for _, c := range certs {
		id, err := idOf(c.IDCipher, c.IDLookup, c.IDMasked)
		if err != nil {
			return l, err
		}
		l.Certs = append(l.Certs, []string{c.Number, c.HolderName, id, occupationText(c.OccupationName, c.WorkType), levelText(int(c.Level)),
			c.IssueDate.UTC().Format("2006-01-02"), nameOr(ledgerCertStatus, c.Status), short(c.SessionID)})
	}
	if full && a.User.Role != models.RoleEnterpriseUser && (len(candidates) > 0 || len(certs) > 0) {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "personal_data.read", ObjectType: "enterprise", ObjectID: ent.ID,
			JurisdictionCode: ent.JurisdictionCode, Reason: "ledger export", Outcome: models.OutcomeOK})
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "ledger.export", ObjectType: "enterprise", ObjectID: ent.ID,
		JurisdictionCode: ent.JurisdictionCode, AfterState: fmt.Sprintf("sittings=%d candidates=%d certificates=%d full_ids=%t",
			len(sittings), len(candidates), len(certs), full), Outcome: models.OutcomeOK})
	return l, nil
}

func occupationText(name, workType string) string {
	if workType != "" && workType != name {
		return name + "（" + workType + "）"
	}
	return name
}

func levelText(l int) string {
	if !validate.Level(l).Valid() {
		return ""
	}
	return validate.Level(l).Name()
}

func score(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func nameOr(names map[string]string, k string) string {
	if n, ok := names[k]; ok {
		return n
	}
	if k == "" {
		return ledgerMissingName
	}
	return k
}
