package service

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"skillcert/models/validate"
	"skillcert/workflows"
)

// A workflow's refusal names the fields at fault in its details (no parsing of its message):
// they become the answer's field errors, each a sentence.
func TestWorkflowRefusalFieldsBecomeFieldErrors(t *testing.T) {
	err := temporal.NewApplicationError("contact_name: 请填写填报单位联系人; contact_phone: 联系电话应为固定电话", workflows.ErrInvalidDecision,
		[]workflows.FieldError{{Field: "contact_name", Code: "required", Message: "请填写填报单位联系人"},
			{Field: "contact_phone", Code: "phone_format", Message: "联系电话应为固定电话。"}})
	e := workflowError(err)
	require.Equal(t, http.StatusUnprocessableEntity, e.Status)
	require.Equal(t, []validate.FieldError{{Field: "contact_name", Code: "required", Message: "请填写填报单位联系人。"},
		{Field: "contact_phone", Code: "phone_format", Message: "联系电话应为固定电话。"}}, []validate.FieldError(e.Fields))

	e = workflowError(temporal.NewApplicationError("评分应为 0 至 100 之间的整数", workflows.ErrInvalidDecision))
	require.Equal(t, "评分应为 0 至 100 之间的整数。", e.Message)
	require.Empty(t, e.Fields)

	// An activity's failure is no refusal: it is answered as an internal error.
	e = workflowError(temporal.NewNonRetryableApplicationError("candidate 0 has no key", "CertificateInvalid", nil))
	require.Equal(t, http.StatusInternalServerError, e.Status)
}
