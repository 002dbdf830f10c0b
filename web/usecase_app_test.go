package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
	"skillcert/workflows"
)

// The enterprise's use cases store a write and its audit row together: when the audit row
// cannot be appended, the write does not happen either, whether it came from a page or from
// the JSON API.

// breakAuditLog makes every append to the audit log fail until the returned function is called.
func breakAuditLog(t *testing.T, db *models.DB) (restore func()) {
	t.Helper()
	if db.Dialect == models.Postgres {
		require.NoError(t, db.Exec(`CREATE OR REPLACE FUNCTION audit_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$`).Error)
		require.NoError(t, db.Exec(`CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_fail()`).Error)
		return func() { require.NoError(t, db.Exec(`DROP TRIGGER audit_fail ON audit_log`).Error) }
	}
	require.NoError(t, db.Exec(`CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit down'); END`).Error)
	return func() { require.NoError(t, db.Exec(`DROP TRIGGER audit_fail`).Error) }
}

// storedFiles counts the files in the attachment store.
func (e *appEnv) storedFiles() int {
	e.t.Helper()
	entries, err := os.ReadDir(e.storage)
	require.NoError(e.t, err)
	return len(entries)
}

func (e *appEnv) rowCount(model any, where string, args ...any) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Model(model).Where(where, args...).Count(&n).Error)
	return n
}

func TestApplicationWritesFailWithTheirAuditRow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		ctx := context.Background()
		tok := e.bearer("dairy")
		c := e.login("dairy")

		// The first visit creates the draft with its audit row, or neither.
		restore := breakAuditLog(t, db)
		code, raw := e.call(tok, http.MethodGet, "/api/v1/applications/mine", nil, nil)
		require.Equal(t, http.StatusInternalServerError, code, raw)
		require.Equal(t, int64(0), e.rowCount(&models.ApplicationRecord{}, "enterprise_id = ?", dairyEnterpriseID), "no draft without its audit row")
		restore()
		body := e.pageOK(c, "/application", http.StatusOK)
		require.Equal(t, int64(1), e.auditCount("application.create", models.OutcomeOK))
		app := e.mine(tok)
		require.Equal(t, 1, app.DraftVersion)

		// Save a complete draft citing attachments, to submit later.
		refs := e.attachmentsOf("dairy")
		var saved service.DraftResponse
		code, raw = e.call(tok, http.MethodPut, "/api/v1/applications/"+app.ID+"/draft", service.DraftRequest{DraftVersion: 1, Form: goodForm(refs)}, &saved)
		require.Equal(t, http.StatusOK, code, raw)
		require.Equal(t, 2, saved.DraftVersion)
		attachments := e.rowCount(&models.Attachment{}, "1 = 1")
		files := e.storedFiles()

		restore = breakAuditLog(t, db)
		// A draft saved from the page: refused, the draft as it was.
		state := appFormState(t, body)
		state.Set("draft_version", "2")
		resp, _ := e.postMultipart(c, "/application/draft", merge(state, url.Values{"contact.mobile": {"13900000000"}}), nil)
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		// ... and from the API.
		form := goodForm(refs)
		form.Contact.Mobile = "13900000000"
		code, raw = e.call(tok, http.MethodPut, "/api/v1/applications/"+app.ID+"/draft", service.DraftRequest{DraftVersion: 2, Form: form}, nil)
		require.Equal(t, http.StatusInternalServerError, code, raw)
		rec, err := db.ApplicationByID(ctx, app.ID)
		require.NoError(t, err)
		require.Equal(t, 2, rec.DraftVersion, "no draft saved without its audit row")
		draft, err := rec.Draft()
		require.NoError(t, err)
		require.NotEqual(t, "13900000000", draft.Contact.Mobile)

		// An upload from the page and one from the API: refused, nothing stored, no content left.
		resp, _ = e.postMultipart(c, "/application/upload", merge(state, url.Values{"slot": {"rules"}}),
			map[string][]byte{"file:rules": samplePDF("rules")})
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		code, out := e.uploadAs(tok, upload{name: "规章制度.pdf", content: samplePDF("rules"), purpose: models.PurposeRules})
		require.Equal(t, http.StatusInternalServerError, code, out)
		require.Equal(t, attachments, e.rowCount(&models.Attachment{}, "1 = 1"), "no attachment without its audit row")
		require.Equal(t, files, e.storedFiles(), "the content of a refused upload is deleted")

		// A submission: refused, still a draft, no version, nothing handed to the lifecycle.
		code, raw = e.call(tok, http.MethodPost, "/api/v1/applications/"+app.ID+"/submit", service.SubmitRequest{DraftVersion: 2}, nil)
		require.Equal(t, http.StatusInternalServerError, code, raw)
		rec, err = db.ApplicationByID(ctx, app.ID)
		require.NoError(t, err)
		require.Equal(t, models.ApplicationDraft, rec.Status)
		require.Equal(t, 0, rec.CurrentVersion)
		require.Equal(t, 2, rec.DraftVersion)
		require.Equal(t, int64(0), e.rowCount(&models.ApplicationVersion{}, "application_id = ?", app.ID))
		require.Empty(t, e.handedOver())

		// With the audit log back, the same requests go through, each with its audit row.
		restore()
		code, raw = e.call(tok, http.MethodPost, "/api/v1/applications/"+app.ID+"/submit", service.SubmitRequest{DraftVersion: 2}, nil)
		require.Equal(t, http.StatusCreated, code, raw)
		require.Equal(t, int64(1), e.auditCount("application.submit", models.OutcomeOK))
		require.Len(t, e.handedOver(), 1)
		code, out = e.uploadAs(tok, upload{name: "规章制度.pdf", content: samplePDF("rules"), purpose: models.PurposeRules})
		require.Equal(t, http.StatusCreated, code, out)
		require.Equal(t, int64(1), e.auditCount("attachment.upload", models.OutcomeOK))
		require.Equal(t, files+1, e.storedFiles())
	})
}

func TestSittingWritesFailWithTheirAuditRow(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	c := e.login("dairy")
	csrf := csrfOf(t, e.pageOK(c, "/sessions/s1", http.StatusOK))
	resp, _ := e.postForm(c, "/sessions/s1/candidates", url.Values{"csrf_token": {csrf}, "name": {"考生甲"}, "id_number": {idStaff}, "employee": {"on"}, "years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cands, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, cands, 1)

	restore := breakAuditLog(t, e.db)
	resp, _ = e.postForm(c, "/sessions/s1/candidates", url.Values{"csrf_token": {csrf}, "name": {"考生乙"}, "id_number": {idOther}, "employee": {"on"}, "years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	resp, _ = e.postForm(c, "/sessions/s1/candidates/"+cands[0].ID+"/scores", url.Values{"csrf_token": {csrf}, "theory": {"80"}, "skill": {"75"}})
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	after, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, after, 1, "no candidate without its audit row")
	require.Nil(t, after[0].Theory, "no scores without their audit row")
	require.Equal(t, "pending", after[0].Result)

	restore()
	resp, _ = e.postForm(c, "/sessions/s1/candidates/"+cands[0].ID+"/scores", url.Values{"csrf_token": {csrf}, "theory": {"80"}, "skill": {"75"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, int64(1), e.auditCount("session.scores", models.OutcomeOK))
}
