package domain

import "strings"

// Original records of a sitting (妥善保管原始文档，全程留痕): the documents an enterprise keeps of
// every sitting and uploads before it submits the results. Each is an attachment purpose; its
// versions are kept like every other attachment's.
const (
	RecordSignIn     = "sitting_sign_in"     // 签到表
	RecordPapers     = "sitting_papers"      // 试卷或答题记录
	RecordScoreSheet = "sitting_score_sheet" // 成绩登记表
	RecordVideoIndex = "sitting_video_index" // 视频监控录像索引
)

// RecordKinds are the original records every sitting needs, in the order they are shown.
var RecordKinds = []string{RecordSignIn, RecordPapers, RecordScoreSheet, RecordVideoIndex}

// RecordNames maps each original-record kind to its Chinese name.
var RecordNames = map[string]string{
	RecordSignIn:     "签到表",
	RecordPapers:     "试卷或答题记录",
	RecordScoreSheet: "成绩登记表",
	RecordVideoIndex: "视频监控录像索引",
}

// IsRecordKind says whether purpose is one of a sitting's original records.
func IsRecordKind(purpose string) bool { return RecordNames[purpose] != "" }

// MissingRecords are the record kinds, in RecordKinds order, of which present (the kinds
// uploaded for a sitting) has none.
func MissingRecords(present []string) []string {
	have := map[string]bool{}
	for _, p := range present {
		have[p] = true
	}
	var out []string
	for _, k := range RecordKinds {
		if !have[k] {
			out = append(out, k)
		}
	}
	return out
}

// RecordsRule checks that every original record of a sitting has been uploaded before its
// results are submitted, and names the missing ones. It answers the message of a refusal, or "".
func RecordsRule(present []string) string {
	missing := MissingRecords(present)
	if len(missing) == 0 {
		return ""
	}
	names := make([]string, len(missing))
	for i, k := range missing {
		names[i] = RecordNames[k]
	}
	return "报送认定结果前须上传本场次的原始记录，尚缺：" + strings.Join(names, "、") + "。请在考核批次页面“原始记录”中上传后再报送。"
}
