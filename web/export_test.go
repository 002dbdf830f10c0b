package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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

func TestApplicationPrintPage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	id := seedApplication(t, e.db, true)
	c := e.browser()
	resp, _ := e.loginForm(c, "hohhot", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, page := e.get(c, "/applications/"+id+"/print")
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	for _, want := range []string{
		`<h1 id="form-title" class="form-title">职业技能等级认定试点企业申报表</h1>`,
		"申报单位（盖章）：呼和浩特乳业示范有限公司", "提交日期：2026年5月10日（第1版）",
		"<caption>一、申报单位基本情况</caption>", "<caption>二、申报职业（工种）</caption>",
		"<td>乳品加工工</td><td>6-02-04-01</td><td>300.00</td></tr>",
		"<td>乳品加工工</td><td>五级至三级</td></tr>",          // the level is an addition, apart from the form
		`<td class="id">` + exportIDNumber + `</td>`, // the league may read personal data
		"<th scope=\"row\">座机</th>", "<th scope=\"col\">所有权归属</th>", "<th scope=\"row\">计算机考务管理及视频监控设备配置情况</th>",
		"注：设施设备、场地权属证明材料另附。", "注：非本单位人员须签订服务承诺书或合作协议",
		"（一）专职工作人员", "（二）考评人员", "（三）督导人员", "<th scope=\"col\">所在单位</th>",
		"附：系统补充信息（以下内容不属于申报表原表）", "<caption class=\"sub\">基本条件及佐证材料</caption>",
		models.ConditionTitles[0], models.ConditionTitles[6], "<li>营业执照.pdf</li>",
		`href="/api/v1/applications/` + id + `/export.xlsx?version=1"`,
		"呼和浩特市人社局 张科长", // the layout's account bar
	} {
		require.Contains(t, page, want)
	}
	require.NotContains(t, page, "SEALED")
	require.Equal(t, int64(1), e.auditCount("application.print", models.OutcomeOK))

	// The download link works from the same browser session.
	resp, _ = e.get(c, "/api/v1/applications/"+id+"/export.xlsx?version=1")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	other := e.browser()
	e.loginForm(other, "baotou", testPassword)
	resp, page = e.get(other, "/applications/"+id+"/print")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, page, "无权访问")
	require.NotContains(t, page, "呼和浩特乳业示范有限公司")

	resp, _ = e.get(e.browser(), "/applications/"+id+"/print")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "anonymous visitors go to the login page")
}
