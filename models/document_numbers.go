package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// DocumentNumber is a number given to a document of the programme: the 文号 of a directory
// publication or the 备案号 of a filed work plan (domain.DocPublication, DocFiling).
type DocumentNumber struct {
	ID string `gorm:"primaryKey" json:"id"`
	// Kind is domain.DocPublication or domain.DocFiling.
	Kind string `json:"kind"`
	// Subject is what the number belongs to: PublicationSubject or the case ID.
	Subject string `json:"subject"`
	// Scope is the league for a per-league pattern, else empty; Year and Seq place the number
	// in its counter.
	Scope    string    `json:"scope"`
	Year     int       `json:"year"`
	Seq      int       `json:"seq"`
	Number   string    `json:"number"`
	IssuedAt time.Time `json:"issued_at"`
	IssuedBy string    `json:"issued_by"`
}

// PublicationSubject is the subject of a directory publication's number: campaign and batch.
func PublicationSubject(campaignID string, batch int) string {
	return campaignID + "/" + strconv.Itoa(batch)
}

// NumberRequest asks for a subject's number.
type NumberRequest struct {
	Kind, Subject, Scope string
	Year                 int
	// Format turns the sequence into the number (domain.FormatDocumentNumber with the pattern).
	Format   func(seq int) string
	IssuedBy string
	At       time.Time
}

// ErrNumberTaken says a formatted number is already another subject's (a pattern changed into
// one that repeats older numbers).
var ErrNumberTaken = errors.New("document number already given to another subject")

// AllocateDocumentNumber gives the subject its number once: a subject that has one keeps it
// (created false). Otherwise the counter of (kind, scope, year) is incremented with UPDATE …
// RETURNING in the same transaction as the insert, so concurrent allocations, on PostgreSQL
// (row lock) or SQLite (immediate write transactions), never share a sequence; two concurrent
// calls for the same subject leave one number (the loser's insert violates the subject key,
// its transaction and increment roll back, and the retry finds the winner's row).
func (db *DB) AllocateDocumentNumber(ctx context.Context, req NumberRequest) (n DocumentNumber, created bool, err error) {
	if req.Kind == "" || req.Subject == "" || req.Format == nil || req.Year < 1 {
		return n, false, errors.New("allocate document number: kind, subject, year and format are required")
	}
	for attempt := 0; attempt < 5; attempt++ {
		n, created, err = db.allocateOnce(ctx, req)
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return n, created, err
		}
		// Lost a race for the subject: the winner's number is there now.
		if got, gerr := db.DocumentNumberOf(ctx, req.Kind, req.Subject); gerr == nil {
			return got, false, nil
		}
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return n, false, fmt.Errorf("%w: %v", ErrNumberTaken, err)
	}
	return n, false, err
}

func (db *DB) allocateOnce(ctx context.Context, req NumberRequest) (DocumentNumber, bool, error) {
	var out DocumentNumber
	created := false
	err := db.Tx(ctx, func(tx *DB) error {
		var have []DocumentNumber
		if err := tx.Where("kind = ? AND subject = ?", req.Kind, req.Subject).Limit(1).Find(&have).Error; err != nil {
			return err
		}
		if len(have) == 1 {
			out = have[0]
			return nil
		}
		if err := tx.Exec("INSERT INTO document_counters (kind, scope, year, last_seq) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING",
			req.Kind, req.Scope, req.Year).Error; err != nil {
			return fmt.Errorf("create document counter: %w", err)
		}
		var last []int
		if err := tx.Raw("UPDATE document_counters SET last_seq = last_seq + 1 WHERE kind = ? AND scope = ? AND year = ? RETURNING last_seq",
			req.Kind, req.Scope, req.Year).Scan(&last).Error; err != nil {
			return fmt.Errorf("bump document counter: %w", err)
		}
		if len(last) != 1 {
			return errors.New("bump document counter: counter row missing")
		}
		at := req.At
		if at.IsZero() {
			at = time.Now()
		}
		out = DocumentNumber{ID: NewID(), Kind: req.Kind, Subject: req.Subject, Scope: req.Scope, Year: req.Year, Seq: last[0],
			Number: req.Format(last[0]), IssuedAt: at.UTC().Truncate(time.Microsecond), IssuedBy: req.IssuedBy}
		if err := tx.Create(&out).Error; err != nil {
			return err
		}
		created = true
		return nil
	})
	return out, created, err
}

// DocumentNumberOf is a subject's number (ErrNotFound when it has none).
func (db *DB) DocumentNumberOf(ctx context.Context, kind, subject string) (DocumentNumber, error) {
	var n DocumentNumber
	err := db.WithContext(ctx).Where("kind = ? AND subject = ?", kind, subject).Take(&n).Error
	return n, notFound(err)
}

// DocumentNumbersOf maps subjects of a kind to their numbers (those that have one).
func (db *DB) DocumentNumbersOf(ctx context.Context, kind string, subjects []string) (map[string]DocumentNumber, error) {
	out := map[string]DocumentNumber{}
	if len(subjects) == 0 {
		return out, nil
	}
	var ns []DocumentNumber
	for start := 0; start < len(subjects); start += 500 {
		end := min(start+500, len(subjects))
		var part []DocumentNumber
		if err := db.WithContext(ctx).Where("kind = ? AND subject IN ?", kind, subjects[start:end]).Find(&part).Error; err != nil {
			return nil, err
		}
		ns = append(ns, part...)
	}
	for _, n := range ns {
		out[n.Subject] = n
	}
	return out, nil
}

// PaperReceipt records that the league/city received an enterprise's signed paper application
// (纸质版) for a case.
type PaperReceipt struct {
	CaseID string `gorm:"primaryKey" json:"case_id"`
	// ReceivedOn is the day of receipt, YYYY-MM-DD (Asia/Shanghai).
	ReceivedOn string    `json:"received_on"`
	ReceivedBy string    `json:"received_by"`
	Remark     string    `json:"remark"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// SavePaperReceipt records (or corrects) a case's paper receipt and returns what it replaced
// (nil for the first record).
func (db *DB) SavePaperReceipt(ctx context.Context, r PaperReceipt) (*PaperReceipt, error) {
	var before *PaperReceipt
	err := db.Tx(ctx, func(tx *DB) error {
		var have []PaperReceipt
		if err := tx.Where("case_id = ?", r.CaseID).Limit(1).Find(&have).Error; err != nil {
			return err
		}
		if len(have) == 1 {
			before = &have[0]
			return tx.Model(&PaperReceipt{}).Where("case_id = ?", r.CaseID).Updates(map[string]any{
				"received_on": r.ReceivedOn, "received_by": r.ReceivedBy, "remark": r.Remark,
				"recorded_by": r.RecordedBy, "recorded_at": r.RecordedAt}).Error
		}
		return tx.Create(&r).Error
	})
	return before, err
}

// PaperReceiptsOf maps case IDs to their paper receipts (those that have one).
func (db *DB) PaperReceiptsOf(ctx context.Context, caseIDs []string) (map[string]PaperReceipt, error) {
	out := map[string]PaperReceipt{}
	if len(caseIDs) == 0 {
		return out, nil
	}
	var rs []PaperReceipt
	if err := db.WithContext(ctx).Where("case_id IN ?", caseIDs).Find(&rs).Error; err != nil {
		return nil, err
	}
	for _, r := range rs {
		out[r.CaseID] = r
	}
	return out, nil
}

// FiledWorkPlanTask is the case's work-plan filing task decided with "file" (准予备案), the
// latest if several (ErrNotFound when the work plan has not been filed).
func (db *DB) FiledWorkPlanTask(ctx context.Context, caseID string) (Task, error) {
	var t Task
	err := db.WithContext(ctx).Where("case_id = ? AND kind = ? AND status = ? AND outcome = ?", caseID, "file_work_plan", TaskDone, "file").
		Order("decided_at DESC").Take(&t).Error
	return t, notFound(err)
}

// EnterpriseLedger reads an enterprise's sittings (by exam date), their candidates (by sitting,
// then registration) and its certificates (by number), for its work ledger (工作台账).
func (db *DB) EnterpriseLedger(ctx context.Context, enterpriseID string) ([]AssessmentSession, []SessionCandidate, []Certificate, error) {
	var ss []AssessmentSession
	if err := db.WithContext(ctx).Where("enterprise_id = ?", enterpriseID).Order("exam_date, id").Find(&ss).Error; err != nil {
		return nil, nil, nil, err
	}
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.ID
	}
	var cs []SessionCandidate
	if len(ids) > 0 {
		if err := db.WithContext(ctx).Where("session_id IN ?", ids).Order("created_at, id").Find(&cs).Error; err != nil {
			return nil, nil, nil, err
		}
	}
	var certs []Certificate
	if err := db.WithContext(ctx).Where("enterprise_id = ?", enterpriseID).Order("number").Find(&certs).Error; err != nil {
		return nil, nil, nil, err
	}
	return ss, cs, certs, nil
}

// PilotEnterprises lists the enterprises published in the directory (any campaign, any
// status), by name: those whose certificates go to the national query.
func (db *DB) PilotEnterprises(ctx context.Context) ([]Enterprise, error) {
	var es []Enterprise
	err := db.WithContext(ctx).Where("id IN (?)", db.WithContext(ctx).Model(&DirectoryEntry{}).Select("enterprise_id")).
		Order("name, id").Find(&es).Error
	return es, err
}

// SetFilingCode sets an enterprise's filing code ("" clears it) and returns the former one; a
// code another enterprise holds is ErrConflict.
func (db *DB) SetFilingCode(ctx context.Context, enterpriseID, code string, at time.Time) (string, error) {
	var before string
	err := db.Tx(ctx, func(tx *DB) error {
		var e Enterprise
		if err := tx.First(&e, "id = ?", enterpriseID).Error; err != nil {
			return notFound(err)
		}
		before = e.FilingCode
		return conflict(tx.Model(&Enterprise{}).Where("id = ?", enterpriseID).
			Updates(map[string]any{"filing_code": code, "updated_at": at.UTC()}).Error)
	})
	return before, err
}
