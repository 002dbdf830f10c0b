package driver

import (
	"context"
	"errors"
	"fmt"

	"skillcert/models"
	"skillcert/workflows"
)

// CasesOf reads the cases of the benchmark enterprises.
func CasesOf(ctx context.Context, db *models.DB, enterprises []models.BenchEnterprise) ([]models.Case, error) {
	credits := make([]string, len(enterprises))
	for i, e := range enterprises {
		credits[i] = e.CreditCode
	}
	var cases []models.Case
	err := db.WithContext(ctx).Where("enterprise_id IN (SELECT id FROM enterprises WHERE credit_code IN ?)", credits).Find(&cases).Error
	return cases, err
}

// Report is what Verify found.
type Report struct {
	Cases, Sittings, Certificates, Decisions, Notifications, Events int
}

// Verify checks, in the database, that every benchmark enterprise's case went the whole
// way exactly once: one sitting with its certificates issued, one certificate per passed
// candidate, every decided task decided once, the same timeline for every case (a lost or a
// repeated step would make one differ), no notification twice, and an intact audit chain.
func Verify(ctx context.Context, db *models.DB, enterprises []models.BenchEnterprise) (Report, error) {
	var r Report
	cases, err := CasesOf(ctx, db, enterprises)
	if err != nil {
		return r, err
	}
	if len(cases) != len(enterprises) {
		return r, fmt.Errorf("%d cases for %d enterprises", len(cases), len(enterprises))
	}
	var problems []error
	var reference map[string]int
	passing := 0
	for _, bc := range benchCandidates {
		if bc.theory >= 60 && bc.skill >= 60 {
			passing++
		}
	}
	for _, c := range cases {
		r.Cases++
		if c.Stage != workflows.StageActive {
			problems = append(problems, fmt.Errorf("case %s is in stage %s", c.ID, c.Stage))
		}
		ss, err := db.SessionsOfCase(ctx, c.ID)
		if err != nil {
			return r, err
		}
		if len(ss) != 1 || ss[0].Status != models.SessionIssued {
			problems = append(problems, fmt.Errorf("case %s: %d sittings (want one, issued)", c.ID, len(ss)))
			continue
		}
		r.Sittings++
		cands, err := db.Candidates(ctx, ss[0].ID)
		if err != nil {
			return r, err
		}
		withNumber := 0
		for _, x := range cands {
			if x.CertificateNumber != "" {
				withNumber++
			}
		}
		var certs int64
		if err := db.WithContext(ctx).Model(&models.Certificate{}).Where("session_id = ?", ss[0].ID).Count(&certs).Error; err != nil {
			return r, err
		}
		r.Certificates += int(certs)
		if len(cands) != len(benchCandidates) || withNumber != passing || int(certs) != passing {
			problems = append(problems, fmt.Errorf("case %s: %d candidates, %d numbered, %d certificates (want %d, %d, %d)",
				c.ID, len(cands), withNumber, certs, len(benchCandidates), passing, passing))
		}
		var kinds []struct {
			Kind string
			N    int
		}
		if err := db.WithContext(ctx).Raw(`SELECT kind, COUNT(*) AS n FROM case_events WHERE case_id = ? GROUP BY kind`, c.ID).Scan(&kinds).Error; err != nil {
			return r, err
		}
		timeline := map[string]int{}
		for _, k := range kinds {
			if k.Kind == "awaiting_supplementary" {
				continue // a case accepted after its league's summary waited for the supplementary report
			}
			timeline[k.Kind] = k.N
			r.Events += k.N
		}
		if reference == nil {
			reference = timeline
		} else if fmt.Sprint(timeline) != fmt.Sprint(reference) {
			problems = append(problems, fmt.Errorf("case %s timeline %v differs from %v", c.ID, timeline, reference))
		}
	}
	caseIDs := make([]string, len(cases))
	for i, c := range cases {
		caseIDs[i] = c.ID
	}
	var dup []struct {
		Key string
		N   int
	}
	// A step recorded twice (same case, kind, actor and detail) would be a repeated decision.
	if err := db.WithContext(ctx).Raw(`SELECT case_id || ' ' || kind AS key, COUNT(*) AS n FROM case_events WHERE case_id IN ?
		GROUP BY case_id, kind, actor_id, detail_json HAVING COUNT(*) > 1`, caseIDs).Scan(&dup).Error; err != nil {
		return r, err
	}
	for _, d := range dup {
		problems = append(problems, fmt.Errorf("timeline event %s recorded %d times", d.Key, d.N))
	}
	// Every decided task of the cases has exactly one successful decision in the audit log.
	var decided []struct {
		ID string
		N  int
	}
	if err := db.WithContext(ctx).Raw(`SELECT t.id, (SELECT COUNT(*) FROM audit_log a WHERE a.object_type = 'task' AND a.object_id = t.id AND a.action LIKE 'task.decide%' AND a.outcome = ?) AS n
		FROM tasks t WHERE t.case_id IN ? AND t.decided_by <> ''`, models.OutcomeOK, caseIDs).Scan(&decided).Error; err != nil {
		return r, err
	}
	for _, d := range decided {
		r.Decisions++
		if d.N != 1 {
			problems = append(problems, fmt.Errorf("task %s has %d successful decisions", d.ID, d.N))
		}
	}
	if err := db.WithContext(ctx).Raw(`SELECT user_id || ' ' || kind || ' ' || subject AS key, COUNT(*) AS n FROM notifications WHERE case_id IN ?
		GROUP BY user_id, case_id, kind, subject HAVING COUNT(*) > 1`, caseIDs).Scan(&dup).Error; err != nil {
		return r, err
	}
	for _, d := range dup {
		problems = append(problems, fmt.Errorf("notification %q sent %d times", d.Key, d.N))
	}
	var notes int64
	if err := db.WithContext(ctx).Model(&models.Notification{}).Where("case_id IN ?", caseIDs).Count(&notes).Error; err != nil {
		return r, err
	}
	r.Notifications = int(notes)
	rep, err := db.VerifyAudit(ctx)
	if err != nil {
		return r, err
	}
	if !rep.OK {
		problems = append(problems, fmt.Errorf("audit chain broken at row %d: %s", rep.BrokenAt, rep.Problem))
	}
	return r, errors.Join(problems...)
}
