package service

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// ReceiptAlphabet is the alphabet of complaint receipt codes: capital letters and digits without
// the look-alikes 0, O, 1, I and L (31 characters).
const ReceiptAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// receiptCodeLen is the length of a receipt code (shown as two groups of four).
const receiptCodeLen = 8

// NewReceiptCode draws a receipt code from crypto/rand (uniform over the alphabet).
func NewReceiptCode() (string, error) {
	const limit = 256 - 256%len(ReceiptAlphabet) // rejection sampling: no bias
	out := make([]byte, 0, receiptCodeLen)
	buf := make([]byte, 16)
	for len(out) < receiptCodeLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("receipt code: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < receiptCodeLen {
				out = append(out, ReceiptAlphabet[int(b)%len(ReceiptAlphabet)])
			}
		}
	}
	return string(out), nil
}

// drawReceiptCode draws the receipt codes of new complaints (a test makes it collide).
var drawReceiptCode = NewReceiptCode

// newReceiptPin draws the 4-digit second factor given on a receipt whose contact has no phone
// number to check against.
func newReceiptPin() (string, error) {
	buf := make([]byte, 4)
	pin := make([]byte, 0, 4)
	for len(pin) < 4 {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("receipt pin: %w", err)
		}
		for _, b := range buf {
			if b < 250 && len(pin) < 4 {
				pin = append(pin, '0'+b%10)
			}
		}
	}
	return string(pin), nil
}

// FormatReceiptCode shows a receipt code in two groups (ABCD-EFGH).
func FormatReceiptCode(code string) string {
	if len(code) != receiptCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// NormalizeReceiptCode reads a typed receipt code: case, spaces and hyphens do not matter. It
// returns "" when the result is not 8 characters of the alphabet.
func NormalizeReceiptCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "", "－", "", "\u3000", "").Replace(strings.TrimSpace(s)))
	if len(s) != receiptCodeLen {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(ReceiptAlphabet, r) {
			return ""
		}
	}
	return s
}

// phoneTail is the last 4 digits of a contact that is a phone number (digits with the usual
// separators, at least 7 digits), "" for anything else (an e-mail address, nothing).
func phoneTail(contact string) string {
	digits := make([]byte, 0, len(contact))
	for _, r := range contact {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case strings.ContainsRune(" -+()（）", r):
		default:
			return ""
		}
	}
	if len(digits) < 7 {
		return ""
	}
	return string(digits[len(digits)-4:])
}

// receiptFor gives a new complaint its receipt code (retried while another complaint holds the
// code drawn) and, when its contact is no phone number, the 4-digit PIN that is its second factor.
func (s *Service) receiptFor(ctx context.Context, row *models.Complaint) error {
	for try := 0; ; try++ {
		code, err := drawReceiptCode()
		if err != nil {
			return err
		}
		taken, err := s.db.ReceiptCodeTaken(ctx, code)
		if err != nil {
			return err
		}
		if !taken {
			row.ReceiptCode = code
			break
		}
		if try >= 10 {
			return errors.New("receipt code: no free code after 10 draws")
		}
	}
	if phoneTail(row.Contact) == "" {
		pin, err := newReceiptPin()
		if err != nil {
			return err
		}
		row.ReceiptPin = pin
	}
	return nil
}

// ComplaintStatusQuery asks for a complaint's progress: the receipt code and the second factor
// (the last 4 digits of the mobile number given, or the 4-digit query PIN of the receipt).
type ComplaintStatusQuery struct {
	Code  string `json:"code"`
	Check string `json:"check"`
	Guard
}

// ComplaintStep is one dated step of a complaint's progress.
type ComplaintStep struct {
	Name string `json:"name"` // 受理, 处理中, 已办结
	Date string `json:"date"` // YYYY-MM-DD, Asia/Shanghai
	Text string `json:"text"`
}

// ComplaintProgress is what the complainant sees of the complaint: its code, its state and its
// steps; never the complaint's parties or the officials' names.
type ComplaintProgress struct {
	Code   string          `json:"code"`
	State  string          `json:"state"`  // received | in_progress | closed
	Status string          `json:"status"` // 已受理 | 处理中 | 已办结
	Steps  []ComplaintStep `json:"steps"`
}

// errComplaintNotFound is the one answer for a wrong code and for wrong digits alike.
var errComplaintNotFound = NewError(404, "complaint_not_found",
	"未查到与该受理编号和验证码相符的投诉，请核对受理编号和验证码后重新输入。")

// complaintOutcomeTexts tell the complainant how a complaint was settled.
var complaintOutcomeTexts = map[string]string{
	"dismiss": "经核查，投诉反映的问题不成立，不予处理。",
	"rectify": "经核查，投诉反映的问题属实，已责令该企业限期整改。",
	"suspend": "经核查，投诉反映的问题属实，已暂停该企业的职业技能等级认定工作。",
	"remove":  "经核查，投诉反映的问题属实，已将该企业移出试点企业目录。",
}

// ComplaintStatus answers the public progress query: a well-formed query counts against the
// address's query budget (domain.ThrottleQuery, as the certificate query); a wrong code and
// wrong digits get one and the same answer.
func (s *Service) ComplaintStatus(ctx context.Context, q ComplaintStatusQuery) (ComplaintProgress, error) {
	var errs validate.Errors
	code := NormalizeReceiptCode(q.Code)
	check := strings.TrimSpace(q.Check)
	switch {
	case strings.TrimSpace(q.Code) == "":
		errs.Add("code", "required", "请填写受理编号。")
	case code == "":
		errs.Add("code", "format", "受理编号为8位字母和数字（如 K7MP-2QXR），请按受理回执填写。")
	}
	if len(check) != 4 || strings.Trim(check, "0123456789") != "" {
		errs.Add("check", "format", "验证码为4位数字：投诉时所留手机号码的后4位，或受理回执上的查询密码。")
	}
	if len(errs) > 0 {
		return ComplaintProgress{}, Invalid(errs)
	}
	if err := s.guardQuery(ctx, q.Guard); err != nil {
		return ComplaintProgress{}, err
	}
	c, err := s.db.ComplaintByReceipt(ctx, code)
	if errors.Is(err, models.ErrNotFound) {
		subtle.ConstantTimeCompare([]byte(check), []byte("0000"))
		return ComplaintProgress{}, errComplaintNotFound
	}
	if err != nil {
		return ComplaintProgress{}, err
	}
	want := c.ReceiptPin
	if want == "" {
		want = phoneTail(c.Contact)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(check), []byte(want)) != 1 {
		return ComplaintProgress{}, errComplaintNotFound
	}
	tasks, err := s.db.WorkflowTasks(ctx, workflows.ComplaintWorkflowID(c.ID))
	if err != nil {
		return ComplaintProgress{}, err
	}
	return complaintProgress(c, tasks, s.Location()), nil
}

// complaintProgress lays out the steps of a complaint from its row and its workflow's tasks.
func complaintProgress(c models.Complaint, tasks []models.Task, loc *time.Location) ComplaintProgress {
	day := func(t time.Time) string { return t.In(loc).Format("2006-01-02") }
	p := ComplaintProgress{Code: FormatReceiptCode(c.ReceiptCode), State: "received", Status: "已受理"}
	p.Steps = append(p.Steps, ComplaintStep{Name: "受理", Date: day(c.CreatedAt),
		Text: "投诉已受理，已转属地人力资源社会保障部门核查。"})
	var working *models.Task
	review := false
	for i := range tasks {
		t := &tasks[i]
		if working == nil && (t.AssigneeID != "" || t.DecidedAt != nil) {
			working = t
		}
		if t.Kind != workflows.KindVerifyComplaint {
			review = true
		}
	}
	if working != nil || review || c.Status == "closed" {
		p.State, p.Status = "in_progress", "处理中"
		at := c.UpdatedAt
		if working != nil {
			at = working.UpdatedAt
			if working.DecidedAt != nil {
				at = *working.DecidedAt
			}
		}
		text := "属地人力资源社会保障部门正在核查。"
		if review {
			text = "核查意见已报自治区人力资源社会保障部门审定。"
		}
		p.Steps = append(p.Steps, ComplaintStep{Name: "处理中", Date: day(at), Text: text})
	}
	if c.Status == "closed" {
		p.State, p.Status = "closed", "已办结"
		text, ok := complaintOutcomeTexts[c.Outcome]
		if !ok {
			text = "已办结。"
		}
		for i := len(tasks) - 1; i >= 0; i-- {
			if tasks[i].Status == models.TaskDone && tasks[i].Outcome == c.Outcome && strings.TrimSpace(tasks[i].Reasons) != "" {
				text += "处理意见：" + strings.TrimSpace(tasks[i].Reasons)
				break
			}
		}
		p.Steps = append(p.Steps, ComplaintStep{Name: "已办结", Date: day(c.UpdatedAt), Text: text})
	}
	return p
}
