package domain

import (
	"strings"
	"testing"
)

func TestRecordsRule(t *testing.T) {
	msg := RecordsRule([]string{RecordPapers, "rules"})
	for _, want := range []string{"签到表", "成绩登记表", "视频监控录像索引"} {
		if !strings.Contains(msg, want) {
			t.Errorf("RecordsRule = %q, want it to name %s", msg, want)
		}
	}
	if strings.Contains(msg, "试卷或答题记录") {
		t.Errorf("RecordsRule = %q names a record that is present", msg)
	}
	if msg := RecordsRule(RecordKinds); msg != "" {
		t.Errorf("RecordsRule(all) = %q, want none", msg)
	}
}
