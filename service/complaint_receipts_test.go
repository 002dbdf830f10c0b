package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// TestReceiptCodesAreShortUnambiguousAndUnique: codes are 8 characters of the alphabet without
// look-alikes, typed codes are read loosely, and a code another complaint holds is drawn again.
func TestReceiptCodesAreShortUnambiguousAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 500 {
		c, err := NewReceiptCode()
		require.NoError(t, err)
		require.Len(t, c, 8)
		require.Empty(t, strings.Trim(c, ReceiptAlphabet), c)
		require.False(t, seen[c], "duplicate %s", c)
		seen[c] = true
	}
	require.NotContains(t, ReceiptAlphabet, "0")
	require.NotContains(t, ReceiptAlphabet, "O")
	require.NotContains(t, ReceiptAlphabet, "1")
	require.NotContains(t, ReceiptAlphabet, "I")
	require.NotContains(t, ReceiptAlphabet, "L")
	require.Equal(t, "ABCD-EFGH", FormatReceiptCode("ABCDEFGH"))
	require.Equal(t, "ABCDEFGH", NormalizeReceiptCode(" abcd-efgh "))
	require.Equal(t, "ABCDEFGH", NormalizeReceiptCode("ABCD EFGH"))
	require.Empty(t, NormalizeReceiptCode("ABCD-EFG0"))
	require.Empty(t, NormalizeReceiptCode("ABCD-EFG"))

	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	first := complaintRow(t, e, "ABCDEFGH", "13800001234", "")
	draws := []string{first.ReceiptCode, first.ReceiptCode, "ZZZZ2222"}
	old := drawReceiptCode
	t.Cleanup(func() { drawReceiptCode = old })
	drawReceiptCode = func() (string, error) { c := draws[0]; draws = draws[1:]; return c, nil }
	row := models.Complaint{Contact: "0471-6606214"}
	require.NoError(t, e.s.receiptFor(ctx, &row))
	require.Equal(t, "ZZZZ2222", row.ReceiptCode, "a taken code is drawn again")
	require.Empty(t, row.ReceiptPin, "a phone number's last digits are the second factor")
	row = models.Complaint{Contact: "someone@example.com"}
	drawReceiptCode = old
	require.NoError(t, e.s.receiptFor(ctx, &row))
	require.Regexp(t, `^[0-9]{4}$`, row.ReceiptPin, "an e-mail contact gets a query PIN")
	row = models.Complaint{Anonymous: true}
	require.NoError(t, e.s.receiptFor(ctx, &row))
	require.Regexp(t, `^[0-9]{4}$`, row.ReceiptPin, "an anonymous complaint gets a query PIN")
}

// complaintRow stores a complaint as filed.
func complaintRow(t *testing.T, e *testEnv, code, contact, pin string) models.Complaint {
	t.Helper()
	at := time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)
	c := models.Complaint{ID: models.NewID(), EnterpriseID: models.NewID(), JurisdictionCode: "150105", Complainant: "王投诉",
		Contact: contact, Content: "该企业为非本企业职工认定。", Status: "open", ReceiptCode: code, ReceiptPin: pin, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, e.db.CreateComplaint(context.Background(), &c))
	return c
}

// TestComplaintStatusByCodeAndSecondFactor: the right code and digits give the state and dated
// steps (no party's data); a wrong code and wrong digits get the very same refusal.
func TestComplaintStatusByCodeAndSecondFactor(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) { complaintStatusByCode(t, d) })
	}
}

func complaintStatusByCode(t *testing.T, d models.Dialect) {
	e := newTestEnv(t, dbtest.New(t, d))
	ctx := context.Background()
	named := complaintRow(t, e, "ABCDEFGH", "138 0000 1234", "")
	anon := complaintRow(t, e, "QRST2345", "", "0917")

	p, err := e.s.ComplaintStatus(ctx, ComplaintStatusQuery{Code: "abcd-efgh", Check: "1234"})
	require.NoError(t, err)
	require.Equal(t, "ABCD-EFGH", p.Code)
	require.Equal(t, "已受理", p.Status)
	require.Equal(t, []ComplaintStep{{Name: "受理", Date: "2027-03-01", Text: "投诉已受理，已转属地人力资源社会保障部门核查。"}}, p.Steps)
	out, err := json.Marshal(p)
	require.NoError(t, err)
	for _, leak := range []string{"王投诉", "1234", named.ID, named.EnterpriseID, "非本企业"} {
		require.NotContains(t, string(out), leak)
	}

	_, wrongDigits := e.s.ComplaintStatus(ctx, ComplaintStatusQuery{Code: "ABCDEFGH", Check: "4321"})
	_, wrongCode := e.s.ComplaintStatus(ctx, ComplaintStatusQuery{Code: "ABCDEFGK", Check: "1234"})
	_, pinAsDigits := e.s.ComplaintStatus(ctx, ComplaintStatusQuery{Code: "QRST-2345", Check: "0000"})
	for _, err := range []error{wrongDigits, wrongCode, pinAsDigits} {
		var e *Error
		require.True(t, errors.As(err, &e))
		require.Equal(t, 404, e.Status)
		require.Equal(t, "complaint_not_found", e.Code)
		require.Equal(t, wrongCode.Error(), err.Error(), "one and the same answer")
	}
	_, err = e.s.ComplaintStatus(ctx, ComplaintStatusQuery{Code: "ABCD-EFG", Check: "12a4"})
	var ie *Error
	require.True(t, errors.As(err, &ie))
	require.Equal(t, 422, ie.Status)
	require.Len(t, ie.Fields, 2)

	// The anonymous complaint, closed with the officials' opinion.
	decided := time.Date(2027, 3, 9, 3, 0, 0, 0, time.UTC)
	require.NoError(t, e.db.Create(&models.Task{ID: models.NewID(), WorkflowID: workflows.ComplaintWorkflowID(anon.ID), Kind: workflows.KindVerifyComplaint,
		Stage: "complaint", Status: models.TaskDone, Outcome: "rectify", Reasons: "经现场核查，企业为外单位人员报名认定，已责令整改。", AssigneeID: "u",
		DecidedAt: &decided, DueAt: decided, CreatedAt: anon.CreatedAt, UpdatedAt: decided}).Error)
	require.NoError(t, e.db.Model(&models.Complaint{}).Where("id = ?", anon.ID).
		Updates(map[string]any{"status": "closed", "outcome": "rectify", "updated_at": decided}).Error)
	p, err = e.s.ComplaintStatus(ctx, ComplaintStatusQuery{Code: "QRST2345", Check: "0917"})
	require.NoError(t, err)
	require.Equal(t, "closed", p.State)
	require.Equal(t, "已办结", p.Status)
	require.Len(t, p.Steps, 3)
	require.Equal(t, ComplaintStep{Name: "处理中", Date: "2027-03-09", Text: "属地人力资源社会保障部门正在核查。"}, p.Steps[1])
	require.Equal(t, "已办结", p.Steps[2].Name)
	require.Equal(t, "2027-03-09", p.Steps[2].Date)
	require.Contains(t, p.Steps[2].Text, "已责令该企业限期整改")
	require.Contains(t, p.Steps[2].Text, "经现场核查")
}
