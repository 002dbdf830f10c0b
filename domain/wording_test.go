package domain_test

import (
	"testing"

	"skillcert/domain"
)

func TestJoinClauses(t *testing.T) {
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{[]string{"缺少租赁合同。", "场地证明不全"}, "缺少租赁合同；场地证明不全"},
		{[]string{"", "缺少租赁合同；", " "}, "缺少租赁合同"},
		{[]string{"责令整改", "责令整改。", "限期十日"}, "责令整改；限期十日"},
		{[]string{"材料齐全."}, "材料齐全"},
		{nil, ""},
	} {
		if got := domain.JoinClauses(tc.parts...); got != tc.want {
			t.Errorf("JoinClauses(%q) = %q, want %q", tc.parts, got, tc.want)
		}
	}
}

func TestSentence(t *testing.T) {
	for _, tc := range []struct{ head, detail, want string }{
		{"投诉核查：责令整改", "责令整改；限期十日内补齐考评员", "投诉核查：责令整改。限期十日内补齐考评员"},
		{"投诉核查：责令整改", "责令整改。", "投诉核查：责令整改"},
		{"投诉核查：暂停试点", "", "投诉核查：暂停试点"},
		{"投诉核查：移出目录", "超范围评价。", "投诉核查：移出目录。超范围评价"},
		{"盟市审核不予通过", "缺少租赁合同。；场地证明不全", "盟市审核不予通过。缺少租赁合同；场地证明不全"},
	} {
		if got := domain.Sentence(tc.head, tc.detail); got != tc.want {
			t.Errorf("Sentence(%q, %q) = %q, want %q", tc.head, tc.detail, got, tc.want)
		}
	}
}

func TestCheckStaffID(t *testing.T) {
	for _, ok := range []string{"NM-0042", "a_1", "12345678901234567890123456789012"} {
		if err := domain.CheckStaffID(ok); err != nil {
			t.Errorf("CheckStaffID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "NM 42", "工号42", "ＮＭ42", "123456789012345678901234567890123", "NM.42"} {
		if err := domain.CheckStaffID(bad); err == nil {
			t.Errorf("CheckStaffID(%q) accepted", bad)
		}
	}
}
