package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// demoEnterprise describes a demo enterprise account's registration.
type demoEnterprise struct{ Name, Address, Credit, Area string }

// DemoEnterprises are the demo enterprise accounts (models.SeedDemo creates them).
var DemoEnterprises = map[string]demoEnterprise{
	"dairy":  {"呼和浩特乳业示范有限公司", "呼和浩特市赛罕区金桥开发区示范路1号", "91150105MA0N00001B", "0471"},
	"rare":   {"包头稀土冶炼示范股份有限公司", "包头市昆都仑区钢铁大街示范路2号", "91150203MA0N00002N", "0472"},
	"energy": {"鄂尔多斯能源化工示范有限公司", "鄂尔多斯市东胜区能源路3号", "91150602MA0N000030", "0477"},
	"power":  {"呼和浩特电力检修示范有限公司", "呼和浩特市新城区电力路4号", "91150102MA0N000049", "0471"},
}

// DemoIDNumber makes a valid resident ID number in a division for a sequence number.
func DemoIDNumber(division string, seq int) string {
	first := fmt.Sprintf("%s19850101%03d", division, seq)
	c, _ := validate.IDNumberCheckChar(first)
	return first + string(c)
}

// DemoForm is a complete, valid application of a demo enterprise; upload stores one evidence
// document of a purpose and returns its reference.
func DemoForm(user string, upload func(purpose, name string) (models.AttachmentRef, error)) (appcheck.Form, error) {
	return enterpriseForm(DemoEnterprises[user], upload)
}

// BenchForm is a complete, valid application of a benchmark enterprise (models.BenchEnterprises).
func BenchForm(e models.BenchEnterprise, upload func(purpose, name string) (models.AttachmentRef, error)) (appcheck.Form, error) {
	return enterpriseForm(demoEnterprise{Name: e.Name, Address: e.Address, Credit: e.CreditCode, Area: benchAreaCodes[e.League]}, upload)
}

// enterpriseForm is a complete, valid application of an enterprise.
func enterpriseForm(e demoEnterprise, upload func(purpose, name string) (models.AttachmentRef, error)) (appcheck.Form, error) {
	var err error
	one := func(p string) []models.AttachmentRef {
		if err != nil {
			return nil
		}
		var ref models.AttachmentRef
		ref, err = upload(p, models.AttachmentPurposeNames[p]+".pdf")
		return []models.AttachmentRef{ref}
	}
	div := e.Credit[2:8]
	f := appcheck.Form{
		Applicant: models.Applicant{Name: e.Name, Address: e.Address, CreditCode: e.Credit},
		Contact:   models.Contact{Name: "王敏", Post: "人力资源部部长", Landline: "(" + e.Area + ")6606214", Mobile: "13800138000", Email: "hr@example.com"},
		Rules:     one(models.PurposeRules),
		Occupations: []models.OccupationRow{
			{Name: "电工", Code: "6-31-01-03", Fee: "300", Levels: validate.LevelRange{Low: validate.Level5, High: validate.Level3}},
			{Name: "化学检验员", Code: "6-31-03-01", Fee: "260", Levels: validate.LevelRange{Low: validate.Level4, High: validate.Level2}},
		},
		Strengths:  "设有技能人才评价中心，职工技能培训体系完善。",
		Site:       models.Site{Description: "实训基地2000平方米，理论考场3间。", Ownership: one(models.PurposeSite)},
		Equipment:  []models.EquipmentRow{{Name: "电工实训台", Brand: "亚龙", Model: "YL-156A", Quantity: 10, Ownership: "自有"}},
		ExamSystem: "机考系统一套，考场全覆盖高清视频监控。",
		Staff:      []appcheck.StaffRow{{Name: "李强", IDNumber: DemoIDNumber(div, 11), Title: "评价中心主任", Education: "本科", Duties: "统筹评价工作", Employee: true}},
		Assessors: []appcheck.ExpertRow{
			{Name: "赵刚", IDNumber: DemoIDNumber(div, 21), Employer: "本单位", Title: "高级技师", Education: "大专", Occupation: "电工", Employee: true},
			{Name: "钱伟", IDNumber: DemoIDNumber(div, 23), Employer: "本单位", Title: "技师", Education: "大专", Occupation: "电工", Employee: true},
			{Name: "孙丽", IDNumber: DemoIDNumber(div, 32), Employer: "内蒙古工业大学", Title: "教授", Education: "博士", Occupation: "化学检验员",
				Agreement: one(models.PurposeAgreement)},
		},
		Supervisors: []appcheck.ExpertRow{{Name: "周平", IDNumber: DemoIDNumber(div, 41), Employer: "本单位", Title: "质量部经理", Education: "本科",
			Occupation: "电工", Employee: true}},
	}
	for i := range f.Conditions {
		f.Conditions[i] = models.Condition{Explanation: "符合，详见佐证材料。", Evidence: one(models.ConditionPurpose(i + 1))}
	}
	return f, err
}

// demoClient is a logged-in session against the running server, used to stage the demo cases
// the way people would, through the public HTTP API.
type demoClient struct {
	base string
	http *http.Client
	csrf string
}

func newDemoClient(ctx context.Context, base, user, password string) (*demoClient, error) {
	jar, _ := cookiejar.New(nil)
	c := &demoClient{base: base, http: &http.Client{Jar: jar, Timeout: time.Minute}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": password}, &me); err != nil {
		return nil, fmt.Errorf("log in as %s: %w", user, err)
	}
	c.csrf = me.CSRF
	return c, nil
}

func (c *demoClient) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	return c.send(req, out)
}

// StatusError is an answer of the server other than 2xx.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

func (c *demoClient) send(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return &StatusError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Body: string(raw)}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c *demoClient) upload(ctx context.Context, purpose, name string) (models.AttachmentRef, error) {
	return c.uploadTo(ctx, "/api/v1/attachments", "purpose", purpose, name)
}

// UploadSittingRecords uploads every original record of the sitting (domain.RecordKinds) not
// yet in have, as the sitting's enterprise: results are submitted only with all of them.
func (c *demoClient) uploadSittingRecords(ctx context.Context, sessionID string, have []models.Attachment) error {
	got := map[string]bool{}
	for _, a := range have {
		got[a.Purpose] = true
	}
	for _, k := range domain.RecordKinds {
		if got[k] {
			continue
		}
		if _, err := c.uploadTo(ctx, "/api/v1/sessions/"+sessionID+"/records", "kind", k, domain.RecordNames[k]+".pdf"); err != nil {
			return err
		}
	}
	return nil
}

// uploadTo posts a small PDF as a multipart upload to path, with the form field field=value.
func (c *demoClient) uploadTo(ctx context.Context, path, field, purpose, name string) (models.AttachmentRef, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField(field, purpose)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return models.AttachmentRef{}, err
	}
	fmt.Fprintf(fw, "%%PDF-1.4\n%% 演示材料 %s\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n", purpose)
	_ = mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, &buf)
	if err != nil {
		return models.AttachmentRef{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.csrf)
	var out models.AttachmentRef
	err = c.send(req, &out)
	return out, err
}

// submit fills in and submits the enterprise's application; it returns the application ID.
func (c *demoClient) submit(ctx context.Context, user string) (string, error) {
	return c.submitAs(ctx, DemoEnterprises[user])
}

// submitAs fills in and submits an enterprise's application; it returns the application ID.
func (c *demoClient) submitAs(ctx context.Context, e demoEnterprise) (string, error) {
	var v struct {
		ID           string `json:"id"`
		DraftVersion int    `json:"draft_version"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/applications/mine", nil, &v); err != nil {
		return "", err
	}
	f, err := enterpriseForm(e, func(p, n string) (models.AttachmentRef, error) { return c.upload(ctx, p, n) })
	if err != nil {
		return "", err
	}
	var saved struct {
		DraftVersion int `json:"draft_version"`
	}
	if err := c.do(ctx, http.MethodPut, "/api/v1/applications/"+v.ID+"/draft", map[string]any{"draft_version": v.DraftVersion, "form": f}, &saved); err != nil {
		return "", err
	}
	return v.ID, c.do(ctx, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", map[string]any{"draft_version": saved.DraftVersion}, nil)
}

// decideCase decides the open task of a kind of a case.
func (c *demoClient) decideCase(ctx context.Context, caseID, kind string, body map[string]any) error {
	var l struct {
		Items []models.Task `json:"items"`
	}
	for i := 0; i < 100; i++ {
		if err := c.do(ctx, http.MethodGet, "/api/v1/tasks?view=all&kind="+kind, nil, &l); err != nil {
			return err
		}
		for _, t := range l.Items {
			if t.CaseID == caseID {
				return c.do(ctx, http.MethodPost, "/api/v1/tasks/"+t.ID+"/decision", body, nil)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no open %s task for case %s", kind, caseID)
}

// SeedDemoCases stages the demo enterprises in different stages on a fresh data directory:
// 乳业 an active pilot with issued certificates, 电力检修 returned for correction, 稀土 waiting
// for 包头's review, 能源化工 with a draft only.
func SeedDemoCases(ctx context.Context, base, password string, log *slog.Logger) error {
	clients := map[string]*demoClient{}
	for _, u := range []string{"dairy", "power", "rare", "energy", "hohhot"} {
		c, err := newDemoClient(ctx, base, u, password)
		if err != nil {
			return err
		}
		clients[u] = c
	}
	apps := map[string]string{}
	for _, u := range []string{"dairy", "power", "rare"} {
		id, err := clients[u].submit(ctx, u)
		if err != nil {
			return fmt.Errorf("demo application of %s: %w", u, err)
		}
		apps[u] = id
	}
	if err := clients["energy"].do(ctx, http.MethodGet, "/api/v1/applications/mine", nil, nil); err != nil {
		return err
	}
	if err := clients["hohhot"].decideCase(ctx, apps["power"], workflows.KindLeagueReview, map[string]any{"outcome": "return",
		"reasons": []map[string]string{{"field": "contact.mobile", "message": "请填写联系人本人的手机号码"},
			{"field": "conditions[3].explanation", "message": "请说明职工教育经费提取比例及近三年金额"}}}); err != nil {
		return err
	}
	// 乳业 goes the whole way, as the lifecycle benchmark's actors take it: accepted, in
	// 呼和浩特's summary, scored, approved, published, work plan filed, a sitting with three
	// candidates (two pass), audited, certificates issued.
	e := DemoEnterprises["dairy"]
	dairy := models.BenchEnterprise{Username: "dairy", Name: e.Name, CreditCode: e.Credit, County: e.Credit[2:8], League: "150100", Address: e.Address}
	drv := New(base, password, []models.BenchEnterprise{dairy}, log)
	if err := drv.Run(ctx); err != nil {
		return fmt.Errorf("demo pilot of dairy: %w", err)
	}
	var numbers []string
	if s, err := drv.sittingOf(ctx, apps["dairy"]); err == nil && s != nil {
		for _, c := range s.Candidates {
			if c.CertificateNumber != "" {
				numbers = append(numbers, c.CertificateNumber)
			}
		}
	}
	// The public query takes a certificate number with its holder's name (the demo's invented
	// candidates 考生甲 and 考生乙, see the README); no name goes into a log line.
	log.Info("demo cases staged", "enterprises", strings.Join([]string{"dairy", "power", "rare", "energy"}, ","),
		"certificates", strings.Join(numbers, ","))
	return nil
}
