package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// Demo rows created by SeedDemo.
const (
	appDairyID   = "00000000-0000-7000-8000-000000000101"
	appRareID    = "00000000-0000-7000-8000-000000000102"
	appDairyCode = "91150105MA0N00001B"
)

func seededForApplications(t *testing.T, db *models.DB) (ctx context.Context, userID string) {
	t.Helper()
	ctx = context.Background()
	_, _, err := db.SeedDemo(ctx, "demo-password")
	require.NoError(t, err)
	u, err := db.UserByUsername(ctx, "dairy")
	require.NoError(t, err)
	return ctx, u.ID
}

func appWithCode(code string) models.Application {
	var a models.Application
	a.Applicant = models.Applicant{Name: "呼和浩特乳业示范有限公司", CreditCode: code}
	a.Staff = []models.StaffRow{{Name: "张三", ID: models.PersonID{Cipher: "c", Lookup: "l", Masked: "150102********123X"}}}
	return a
}

func TestApplicationDraftSubmitReturnResubmit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx, uid := seededForApplications(t, db)
		now := time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC)

		rec, created, err := db.OpenApplication(ctx, appDairyID, "2026", appWithCode(appDairyCode), now)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, models.ApplicationDraft, rec.Status)
		require.Equal(t, 1, rec.DraftVersion)
		require.Zero(t, rec.CurrentVersion)
		again, created, err := db.OpenApplication(ctx, appDairyID, "2026", models.Application{}, now)
		require.NoError(t, err)
		require.False(t, created, "second visit finds the same draft")
		require.Equal(t, rec.ID, again.ID)
		d, err := again.Draft()
		require.NoError(t, err)
		require.Equal(t, appDairyCode, d.Applicant.CreditCode, "initial content kept")

		// Optimistic locking of the draft.
		edited := appWithCode(appDairyCode)
		edited.Strengths = "行业龙头"
		saved, err := db.SaveDraft(ctx, rec.ID, 1, edited, now)
		require.NoError(t, err)
		require.Equal(t, 2, saved.DraftVersion)
		_, err = db.SaveDraft(ctx, rec.ID, 1, appWithCode(appDairyCode), now)
		require.ErrorIs(t, err, models.ErrConflict, "stale draft version")
		require.NotErrorIs(t, err, models.ErrNotEditable)
		cur, err := db.ApplicationByID(ctx, rec.ID)
		require.NoError(t, err)
		d, _ = cur.Draft()
		require.Equal(t, "行业龙头", d.Strengths, "a stale save loses nothing")

		// Submitting a stale draft version is refused; the current one becomes version 1.
		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: rec.ID, DraftVersion: 1, Content: edited, SubmittedBy: uid, At: now})
		require.ErrorIs(t, err, models.ErrConflict)
		v, err := db.SubmitApplication(ctx, models.Submission{ApplicationID: rec.ID, DraftVersion: 2, Content: edited, SubmittedBy: uid, At: now})
		require.NoError(t, err)
		require.Equal(t, 1, v.Version)
		cur, err = db.ApplicationByID(ctx, rec.ID)
		require.NoError(t, err)
		require.Equal(t, models.ApplicationSubmitted, cur.Status)
		require.Equal(t, 1, cur.CurrentVersion)
		require.Equal(t, 3, cur.DraftVersion)
		require.Equal(t, appDairyCode, cur.CreditCode)
		require.NotNil(t, cur.SubmittedAt)

		// Submitted: locked for the enterprise.
		_, err = db.SaveDraft(ctx, rec.ID, 3, edited, now)
		require.ErrorIs(t, err, models.ErrNotEditable)
		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: rec.ID, DraftVersion: 3, Content: edited, SubmittedBy: uid, At: now})
		require.ErrorIs(t, err, models.ErrNotEditable)

		// Returned with reasons per field; a retry of the return changes nothing.
		_, err = db.LatestReturn(ctx, rec.ID)
		require.ErrorIs(t, err, models.ErrNotFound)
		reasons := []models.ReturnReason{{Field: "contact.mobile", Message: "手机号码无法接通"}, {Field: "conditions[3].evidence", Message: "请补充职工教育经费提取凭证"}}
		require.Error(t, db.RecordReturn(ctx, rec.ID, 2, reasons, uid, now), "only the current version can be returned")
		require.NoError(t, db.RecordReturn(ctx, rec.ID, 1, reasons, uid, now))
		require.NoError(t, db.RecordReturn(ctx, rec.ID, 1, reasons, uid, now), "idempotent")
		ret, err := db.LatestReturn(ctx, rec.ID)
		require.NoError(t, err)
		got, err := ret.Reasons()
		require.NoError(t, err)
		require.Equal(t, reasons, got)
		cur, _ = db.ApplicationByID(ctx, rec.ID)
		require.Equal(t, models.ApplicationReturned, cur.Status)

		// Corrected and resubmitted as version 2.
		edited.Contact.Mobile = "13800138000"
		saved, err = db.SaveDraft(ctx, rec.ID, cur.DraftVersion, edited, now.Add(time.Hour))
		require.NoError(t, err)
		v2, err := db.SubmitApplication(ctx, models.Submission{ApplicationID: rec.ID, DraftVersion: saved.DraftVersion, Content: edited, SubmittedBy: uid, At: now.Add(time.Hour)})
		require.NoError(t, err)
		require.Equal(t, 2, v2.Version)

		list, err := db.ApplicationVersions(ctx, rec.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, []int{1, 2}, []int{list[0].Version, list[1].Version})
		require.Equal(t, "乳业公司 人力资源部", list[0].SubmittedByName)
		require.WithinDuration(t, now, list[0].SubmittedAt, time.Second)
		one, err := db.ApplicationVersionByNumber(ctx, rec.ID, 1)
		require.NoError(t, err)
		c1, err := one.Content()
		require.NoError(t, err)
		require.Empty(t, c1.Contact.Mobile, "version 1 is unchanged by later edits")
		_, err = db.ApplicationVersionByNumber(ctx, rec.ID, 3)
		require.ErrorIs(t, err, models.ErrNotFound)

		// Lifecycle status moves: allowed, idempotent, refused.
		require.NoError(t, db.MarkApplicationStatus(ctx, rec.ID, models.ApplicationAccepted, now))
		require.NoError(t, db.MarkApplicationStatus(ctx, rec.ID, models.ApplicationAccepted, now))
		require.ErrorIs(t, db.MarkApplicationStatus(ctx, rec.ID, models.ApplicationRejected, now), models.ErrConflict)
		require.Error(t, db.MarkApplicationStatus(ctx, rec.ID, models.ApplicationSubmitted, now))
		require.ErrorIs(t, db.MarkApplicationStatus(ctx, "nope", models.ApplicationWithdrawn, now), models.ErrNotFound)
	})
}

func TestSubmitRefusesDuplicateCreditCodeInCampaign(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx, uid := seededForApplications(t, db)
		now := time.Now()
		const unregistered = "91440101MA5CJQ4N59"
		a, _, err := db.OpenApplication(ctx, appDairyID, "2026", models.Application{}, now)
		require.NoError(t, err)
		b, _, err := db.OpenApplication(ctx, appRareID, "2026", models.Application{}, now)
		require.NoError(t, err)

		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: a.ID, DraftVersion: 1, Content: appWithCode(unregistered), SubmittedBy: uid, At: now})
		require.NoError(t, err)
		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: b.ID, DraftVersion: 1, Content: appWithCode(unregistered), SubmittedBy: uid, At: now})
		require.ErrorIs(t, err, models.ErrDuplicateApplication)
		require.ErrorIs(t, err, models.ErrConflict, "duplicates are conflicts in the generic vocabulary")
		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: b.ID, DraftVersion: 1, Content: appWithCode(appDairyCode), SubmittedBy: uid, At: now})
		require.ErrorIs(t, err, models.ErrCreditCodeTaken, "another enterprise's registered code")
		cur, _ := db.ApplicationByID(ctx, b.ID)
		require.Equal(t, models.ApplicationDraft, cur.Status, "refused submissions leave the draft as it was")
		require.Zero(t, cur.CurrentVersion)

		// Another campaign is another matter; a withdrawn application frees the code.
		c, _, err := db.OpenApplication(ctx, appRareID, "2027", models.Application{}, now)
		require.NoError(t, err)
		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: c.ID, DraftVersion: 1, Content: appWithCode(unregistered), SubmittedBy: uid, At: now})
		require.NoError(t, err)
		require.NoError(t, db.MarkApplicationStatus(ctx, a.ID, models.ApplicationWithdrawn, now))
		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: b.ID, DraftVersion: 1, Content: appWithCode(unregistered), SubmittedBy: uid, At: now})
		require.NoError(t, err)
	})
}

func TestCreditCodeIndexBacksTheCheck(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx, _ := seededForApplications(t, db)
		now := time.Now().UTC()
		a, _, err := db.OpenApplication(ctx, appDairyID, "2026", models.Application{}, now)
		require.NoError(t, err)
		b, _, err := db.OpenApplication(ctx, appRareID, "2026", models.Application{}, now)
		require.NoError(t, err)
		set := func(id, status string) error {
			return db.Exec("UPDATE applications SET credit_code = ?, status = ? WHERE id = ?", "913502000728319549", status, id).Error
		}
		require.NoError(t, set(a.ID, models.ApplicationSubmitted))
		require.Error(t, set(b.ID, models.ApplicationSubmitted), "the partial unique index refuses a second live application")
		require.NoError(t, set(b.ID, models.ApplicationWithdrawn), "withdrawn applications do not count")
	})
}

func TestConcurrentOpenAndSaveDraft(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx, _ := seededForApplications(t, db)
		now := time.Now()
		var wg sync.WaitGroup
		ids := make(chan string, 6)
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec, _, err := db.OpenApplication(ctx, appDairyID, "2026", models.Application{}, now)
				if err != nil {
					ids <- "error: " + err.Error()
					return
				}
				ids <- rec.ID
			}()
		}
		wg.Wait()
		close(ids)
		first := ""
		for id := range ids {
			if first == "" {
				first = id
			}
			require.Equal(t, first, id, "every concurrent first visit gets the same application")
		}

		// Two saves of the same version: exactly one wins.
		var ok, conflicts int
		var mu sync.Mutex
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				a := models.Application{Strengths: string(rune('A' + i))}
				_, err := db.SaveDraft(ctx, first, 1, a, now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, models.ErrConflict):
					conflicts++
				default:
					t.Errorf("save: %v", err)
				}
			}(i)
		}
		wg.Wait()
		require.Equal(t, 1, ok)
		require.Equal(t, 3, conflicts)
	})
}
