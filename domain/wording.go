package domain

import "strings"

// clauseEnd is the punctuation a typed clause may end with; a joined text supplies its own.
const clauseEnd = "。；;，,、.！!？? \t\n"

// JoinClauses joins a decision's comment and reasons into one text of clauses separated by
// "；": each part's own closing punctuation is dropped (a reason typed as "缺少租赁合同。" gave
// "缺少租赁合同。；…"), empty parts are skipped and a clause equal to the one before it is
// written once.
func JoinClauses(parts ...string) string {
	var out []string
	for _, p := range parts {
		p = strings.TrimRight(strings.TrimSpace(p), clauseEnd)
		if p == "" || (len(out) > 0 && out[len(out)-1] == p) {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, "；")
}

// Sentence is a head such as "投诉核查：责令整改" followed by its detail: "head。detail", or
// the head alone when there is no detail. A detail whose first clause repeats the head's last
// phrase (the decision's own name typed again as its reason) does not say it twice, and the
// detail's own closing punctuation is dropped.
func Sentence(head, detail string) string {
	clauses := strings.Split(JoinClauses(strings.Split(detail, "；")...), "；")
	last := head
	if i := strings.LastIndex(head, "："); i >= 0 {
		last = head[i+len("："):]
	}
	for len(clauses) > 0 && (clauses[0] == "" || clauses[0] == last || clauses[0] == head) {
		clauses = clauses[1:]
	}
	if len(clauses) == 0 {
		return head
	}
	return head + "。" + strings.Join(clauses, "；")
}
