package api

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"go.temporal.io/sdk/client"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// signalRecorder is a Temporal client that records signals.
type signalRecorder struct {
	client.Client
	mu      sync.Mutex
	signals []string // workflowID/name
}

func (r *signalRecorder) SignalWorkflow(_ context.Context, id, _ string, name string, _ any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.signals = append(r.signals, id+"/"+name)
	return nil
}

func (r *signalRecorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.signals...)
}

// expertBook builds an import workbook: the header, then rows.
func expertBook(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	all := append([][]string{{"用户名", "专业领域", "职业（工种）代码", "工作单位", "状态"}}, rows...)
	for i, r := range all {
		for j, v := range r {
			c, _ := excelize.CoordinatesToCellName(j+1, i+1)
			require.NoError(t, f.SetCellValue(sheet, c, v))
		}
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

func (e *testEnv) importExperts(token string, book []byte) (int, map[string]any) {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "experts.xlsx")
	require.NoError(e.t, err)
	_, _ = fw.Write(book)
	require.NoError(e.t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/experts/import", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func poolEntry(t *testing.T, db *models.DB, username string) (models.Expert, bool) {
	t.Helper()
	u, err := db.UserByUsername(context.Background(), username)
	require.NoError(t, err)
	e, err := db.ExpertByUser(context.Background(), u.ID)
	if err != nil {
		return models.Expert{}, false
	}
	return e, true
}

// An expert account created through the user API enters the pool through the centre's API (or
// its XLSX import); before, only `skillcert dev` copied expert accounts into the pool, so such
// an expert was never drawn. Each change signals the cases waiting on the pool. An import with
// any faulty row saves nothing and names every fault's row.
func TestExpertPoolThroughTheAPI(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		rec := &signalRecorder{}
		e := &testEnv{t: t, db: db, now: time.Now()}
		deps := webtest.Deps(t, db, testPassword, func() time.Time { return e.now })
		deps.Temporal = rec
		e.api = newServer(t, deps, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
		e.srv = httptest.NewServer(e.api.Handler(nil))
		t.Cleanup(e.srv.Close)

		// A case whose draw found too few experts, and another in review.
		ent, err := db.EnterpriseByID(ctx, dairyEnterpriseID)
		require.NoError(t, err)
		seedCaseIn(t, db, "c-wait", ent, "150100")
		require.NoError(t, db.Model(&models.Case{}).Where("id = ?", "c-wait").
			Updates(map[string]any{"stage": "in_summary", "waiting_on": workflows.WaitingExpertPool}).Error)
		seedCaseIn(t, db, "c-review", ent, "150100")

		admin, centre := e.bearer("admin"), e.bearer("centre")
		code, body := e.apiDo(admin, http.MethodPost, "/api/v1/users",
			`{"username":"newexpert","display_name":"新专家","password":"long-enough-pw1","role":"expert","jurisdiction_code":"150000"}`)
		require.Equal(t, http.StatusCreated, code, body)
		_, in := poolEntry(t, db, "newexpert")
		require.False(t, in, "a new account is not in the pool by itself")
		pool, err := db.ExpertPool(ctx)
		require.NoError(t, err)
		before := len(pool)

		// Listed as not entered.
		code, body = e.apiDo(centre, http.MethodGet, "/api/v1/experts", "")
		require.Equal(t, http.StatusOK, code, body)
		require.EqualValues(t, 1, body["waiting"])
		found := false
		for _, it := range body["items"].([]any) {
			m := it.(map[string]any)
			if m["username"] == "newexpert" {
				found = true
				require.Equal(t, false, m["in_pool"])
			}
		}
		require.True(t, found)

		// Others may not manage the pool.
		code, _ = e.apiDo(e.bearer("hohhot"), http.MethodPost, "/api/v1/experts", `{"username":"newexpert","field":"乳品加工","active":true}`)
		require.Equal(t, http.StatusForbidden, code)

		// Field errors.
		code, body = e.apiDo(centre, http.MethodPost, "/api/v1/experts", `{"username":"hohhot","field":"","occupations":["9-99-99-99"],"active":true}`)
		require.Equal(t, http.StatusUnprocessableEntity, code, body)
		require.Equal(t, map[string]string{"username": "用户名 hohhot 不是评估专家账号：请先在用户管理中建立角色为“评估专家”的账号。",
			"field": "请填写专业领域。", "occupations": "职业（工种）代码 9-99-99-99 不在职业分类大典中，请核对。"}, errFields(t, body))

		// Entered: drawn from now on, audited, and the waiting case is signalled (not the other).
		code, body = e.apiDo(centre, http.MethodPost, "/api/v1/experts",
			`{"username":"newexpert","field":"乳品加工","occupations":["6-02-04-01"],"employer":"某乳业公司","active":true}`)
		require.Equal(t, http.StatusOK, code, body)
		require.EqualValues(t, 1, body["signalled"])
		require.Equal(t, []string{"case-c-wait/" + workflows.ExpertPoolChangedSignal}, rec.sent())
		got, in := poolEntry(t, db, "newexpert")
		require.True(t, in)
		require.Equal(t, models.Expert{UserID: got.UserID, Field: "乳品加工", Occupations: "6-02-04-01", Employer: "某乳业公司", Active: true,
			UpdatedAt: got.UpdatedAt}, got)
		pool, err = db.ExpertPool(ctx)
		require.NoError(t, err)
		require.Len(t, pool, before+1)
		require.Len(t, e.auditRows("expert.save"), 1)

		// An import with faults on rows 3 and 4 saves nothing, not even row 2.
		e1Before, e1In := poolEntry(t, db, "expert1")
		bad := expertBook(t,
			[]string{"expert1", "电力", "", "某电力公司", "停用"},
			[]string{"nobody", "化工", "", "", ""},
			[]string{"expert2", "", "6-02-04-01，1-2-3", "", "启用"})
		code, body = e.importExperts(centre, bad)
		require.Equal(t, http.StatusUnprocessableEntity, code, body)
		require.Equal(t, map[string]string{
			"rows[3].username":    "第 3 行：用户名 nobody 不是评估专家账号：请先在用户管理中建立角色为“评估专家”的账号。",
			"rows[4].field":       "第 4 行：请填写专业领域。",
			"rows[4].occupations": "第 4 行：职业（工种）代码 1-2-3 不在职业分类大典中，请核对。",
		}, errFields(t, body))
		e1, in := poolEntry(t, db, "expert1")
		require.Equal(t, e1In, in, "nothing saved")
		require.Equal(t, e1Before, e1, "nothing saved")
		// A bad status, and a file that is not a workbook, are refused as well.
		code, body = e.importExperts(centre, expertBook(t, []string{"expert1", "电力", "", "", "也许"}))
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Contains(t, errFields(t, body)["rows[2].active"], "第 2 行")
		code, body = e.importExperts(centre, []byte("not a workbook"))
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Contains(t, errFields(t, body)["file"], "Excel")

		// The corrected file is saved whole.
		good := expertBook(t,
			[]string{"expert1", "电力", "", "某电力公司", "停用"},
			[]string{"expert2", "化工", "6-02-04-01、6-02-04-01", "", "启用"})
		code, body = e.importExperts(centre, good)
		require.Equal(t, http.StatusOK, code, body)
		require.Len(t, body["saved"].([]any), 2)
		e1, in = poolEntry(t, db, "expert1")
		require.True(t, in)
		require.False(t, e1.Active)
		require.Equal(t, "某电力公司", e1.Employer)
		e2, _ := poolEntry(t, db, "expert2")
		require.Equal(t, "6-02-04-01", e2.Occupations, "a repeated code is kept once")
		require.Len(t, e.auditRows("expert.import"), 2)
		require.Len(t, rec.sent(), 2)
		pool, err = db.ExpertPool(ctx)
		require.NoError(t, err)
		drawable := map[string]bool{}
		for _, x := range pool {
			drawable[x.UserID] = true
		}
		require.False(t, drawable[e1.UserID], "expert1 left the drawable pool")
		require.True(t, drawable[e2.UserID])
	})
}
