package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/exports"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/pii"
	"skillcert/models/validate"
)

// exportIDNumber is the staff member's ID number; the copies made for roles that may read
// personal data print it in full, the others masked (150105********201X).
const exportIDNumber = "15010519900307201X"

// sealedID seals an ID number with the test keys the service opens it with.
func sealedID(n string) models.PersonID {
	s, err := pii.New(webtest.DataKey, webtest.LookupKey)
	if err != nil {
		panic(err)
	}
	p, err := s.Seal(n)
	if err != nil {
		panic(err)
	}
	return p
}

// exportApplication is the dairy enterprise's form, with sealed ID numbers as the application
// feature stores them.
func exportApplication() models.Application {
	app := models.Application{
		Applicant: models.Applicant{Name: "呼和浩特乳业示范有限公司", Address: "呼和浩特市赛罕区金桥开发区示范路1号", CreditCode: "91150105MA0N00001B"},
		Contact:   models.Contact{Name: "王经理", Post: "人力资源部部长", Landline: "(0471)6606215", Mobile: "13800000001"},
		Occupations: []models.OccupationRow{
			{Name: "乳品加工工", Code: "6-02-04-01", Fee: "300.00", Levels: validate.LevelRange{Low: validate.Level5, High: validate.Level3}},
		},
		Staff: []models.StaffRow{{Name: "赵一", Title: "培训主管", Employee: true,
			ID: sealedID(exportIDNumber)}},
	}
	app.Conditions[0] = models.Condition{Explanation: "依法注册", Evidence: []models.AttachmentRef{{ID: "x", Name: "营业执照.pdf"}}}
	return app
}

// seedApplication opens the dairy enterprise's application and, if submit, submits it once.
func seedApplication(t *testing.T, db *models.DB, submit bool) string {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, time.May, 10, 2, 0, 0, 0, time.UTC) // the same day in UTC and Beijing
	rec, _, err := db.OpenApplication(ctx, dairyEnterpriseID, "2026", exportApplication(), now)
	require.NoError(t, err)
	if submit {
		u, err := db.UserByUsername(ctx, "dairy")
		require.NoError(t, err)
		_, err = db.SubmitApplication(ctx, models.Submission{ApplicationID: rec.ID, DraftVersion: rec.DraftVersion,
			Content: exportApplication(), SubmittedBy: u.ID, At: now})
		require.NoError(t, err)
	}
	return rec.ID
}

func (e *testEnv) getWithToken(token, path string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, b
}

func TestApplicationExportXLSX(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		id := seedApplication(t, db, true)
		path := "/api/v1/applications/" + id + "/export.xlsx"

		for _, user := range []string{"dairy", "saihan", "hohhot", "region"} {
			resp, body := e.getWithToken(e.bearer(user), path)
			require.Equal(t, http.StatusOK, resp.StatusCode, user)
			require.Equal(t, xlsxContentType, resp.Header.Get("Content-Type"))
			require.Contains(t, resp.Header.Get("Content-Disposition"), "filename*=UTF-8''"+rfc5987Escape("职业技能等级认定试点企业申报表-呼和浩特乳业示范有限公司-第1版.xlsx"))
			f, err := excelize.OpenReader(bytes.NewReader(body))
			require.NoError(t, err, user)
			a1, _ := f.GetCellValue(exports.ApplicationSheet, "A1")
			require.Equal(t, "职业技能等级认定试点企业申报表", a1)
			f2, _ := f.GetCellValue(exports.ApplicationSheet, "F2")
			require.Equal(t, "提交日期：2026年5月10日（第1版）", f2)
			rows, err := f.GetRows(exports.ApplicationSheet)
			require.NoError(t, err)
			flat := ""
			for _, r := range rows {
				flat += strings.Join(r, "|") + "\n"
			}
			if user == "saihan" {
				require.Contains(t, flat, "150105********201X", "ID numbers masked for a county, which may not read personal data")
				require.NotContains(t, flat, exportIDNumber)
			} else {
				require.Contains(t, flat, exportIDNumber, "the copy of %s, who may read personal data, has the full ID number", user)
			}
			require.Contains(t, flat, "五级至三级")
			require.Contains(t, flat, "呼和浩特市赛罕区", "jurisdiction named after its league")
			f.Close()
		}
		require.Equal(t, int64(4), e.auditCount("application.export", models.OutcomeOK))

		// Other enterprises and leagues are refused and audited; unknown IDs are 404.
		denied := e.auditCount("application.read", models.OutcomeDenied)
		for _, user := range []string{"rare", "baotou", "kundulun"} {
			resp, _ := e.getWithToken(e.bearer(user), path)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, user)
		}
		require.Equal(t, denied+3, e.auditCount("application.read", models.OutcomeDenied))
		resp, _ := e.getWithToken(e.bearer("hohhot"), "/api/v1/applications/no-such-id/export.xlsx")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)

		// Versions: a number, or the draft for the enterprise only.
		dairy, league := e.bearer("dairy"), e.bearer("hohhot")
		resp, _ = e.getWithToken(league, path+"?version=1")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		resp, _ = e.getWithToken(league, path+"?version=9")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		resp, _ = e.getWithToken(league, path+"?version=abc")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp, _ = e.getWithToken(league, path+"?version=draft")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "officials never see a working draft")
		resp, body := e.getWithToken(dairy, path+"?version=draft")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		f, err := excelize.OpenReader(bytes.NewReader(body))
		require.NoError(t, err)
		defer f.Close()
		status, _ := f.GetCellValue(exports.ApplicationSheet, "F2")
		require.Equal(t, "草稿，尚未提交", status)
	})
}

func TestApplicationExportBeforeSubmission(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	id := seedApplication(t, e.db, false)
	path := "/api/v1/applications/" + id + "/export.xlsx"
	resp, body := e.getWithToken(e.bearer("hohhot"), path)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, string(body), "该申报尚未提交")
	resp, _ = e.getWithToken(e.bearer("dairy"), path)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the enterprise prints its draft")
	require.Contains(t, resp.Header.Get("Content-Disposition"), rfc5987Escape("-草稿.xlsx"))
}
