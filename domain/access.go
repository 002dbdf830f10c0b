package domain

import (
	"fmt"
	"strings"
)

// Need-to-know: who may do what to which object, and by which relation to it. The table below
// is the one place this is declared; the Casbin rules (role, object, action) are derived from
// it, and the service layer checks the relation Casbin cannot see (a task held by the caller, a
// sitting the caller was drawn for).

// Relation is how a caller stands to an object.
type Relation string

const (
	// InJurisdiction: the object's jurisdiction (or its enterprise's) lies in the subtree of the
	// caller's grant. Officials and administrators act by this relation.
	InJurisdiction Relation = "jurisdiction"
	// Own: the object belongs to the caller's enterprise (enterprise users).
	Own Relation = "own"
	// Assigned: the caller holds the task, or an open task on the object's case (an expert on a
	// panel while the panel scores).
	Assigned Relation = "assigned"
	// Drawn: the caller was drawn to supervise the sitting (双随机).
	Drawn Relation = "drawn"
)

// Access is one row of the need-to-know table: Role may perform Action on objects of kind
// Object that stand to it in Relation.
type Access struct {
	Role, Object, Action string
	Relation             Relation
}

// official lists what an official role may do within its jurisdiction.
func official(role string, rules ...string) []Access {
	return rows(role, InJurisdiction, rules...)
}

// rows expands "object action" pairs into rows of one role and relation.
func rows(role string, rel Relation, rules ...string) []Access {
	out := make([]Access, 0, len(rules))
	for _, r := range rules {
		obj, act, ok := strings.Cut(r, " ")
		if !ok {
			panic("access rule without action: " + r)
		}
		out = append(out, Access{Role: role, Object: obj, Action: act, Relation: rel})
	}
	return out
}

// AccessTable is the need-to-know table.
var AccessTable = concat(
	// Regional department officials: the whole programme in their subtree.
	official(RoleRegionOfficial,
		"case read", "case decide", "case adjust", "task read", "task claim", "task decide", "task reassign",
		"campaign read", "campaign manage", "summary read", "summary export", "directory publish",
		"complaint read", "complaint decide", "finding read", "finding act", "application read", "application override",
		"personal_data read", "occupation manage", "supervision manage", "supervision read", "supervision review",
		"certificate read", "report read", "statistics read", "enterprise manage", "jurisdiction read", "audit read", "expert read",
		"calendar manage", "objection read"),
	// Appraisal management centre: evaluation, result audit, certificates.
	official(RoleRegionCentre,
		"case read", "task read", "task claim", "task decide", "summary read", "summary export", "application read",
		"personal_data read", "campaign read", "supervision manage", "supervision read", "certificate read",
		"certificate revoke", "report read", "statistics read", "jurisdiction read", "expert read", "expert manage", "case adjust", "objection read",
		"enterprise manage"), // the centre keeps the organisations' national filing codes (备案编码)
	// League / city bureaus: collect, review, summarise, supervise in their subtree.
	official(RoleLeagueOfficial,
		"case read", "task read", "task claim", "task decide", "task reassign", "summary read", "summary submit",
		"summary export", "application read", "personal_data read", "campaign read", "complaint read", "complaint decide",
		"supervision manage", "supervision read", "certificate read", "report read", "statistics read", "jurisdiction read", "jurisdiction configure"),
	// County bureaus: pre-check and complaint verification.
	official(RoleCountyOfficial,
		"case read", "task read", "task claim", "task decide", "application read", "campaign read", "complaint read",
		"complaint decide", "certificate read", "statistics read", "jurisdiction read"),
	// Enterprise users: their own enterprise only (their grant is the enterprise's node).
	rows(RoleEnterpriseUser, Own,
		"case read", "application read", "application edit", "application submit", "personal_data read", "task read",
		"task decide", "attachment upload", "assessment manage", "certificate read", "certificate issue", "campaign read"),
	// Experts: the tasks they were drawn for, and the application of a case while they hold
	// its open scoring task; nothing else of any enterprise.
	rows(RoleExpert, Assigned, "task read", "task decide", "application read"),
	rows(RoleExpert, InJurisdiction, "campaign read"),
	// Quality supervisors: their own tasks and the draws and sittings they were drawn for.
	rows(RoleSupervisor, Assigned, "task read", "task decide"),
	rows(RoleSupervisor, Drawn, "supervision read", "supervision report"),
	rows(RoleSupervisor, InJurisdiction, "campaign read"),
	// 三员分立 (separation.go). System administrators: accounts (create, disable, enable),
	// jurisdictions, operations; no business decisions, no application content, no grants,
	// credentials or audit log.
	official(RoleSysadmin,
		"user manage", "user read", "jurisdiction read", "jurisdiction manage",
		"finding read", "finding act", "case read", "task read", "task reassign", "campaign read"),
	// Security administrators: role grants, unlocks and password resets (credential), the
	// security policy; nothing of the programme.
	official(RoleSecAdmin, "user read", "user grant", "user credential", "policy read", "jurisdiction read"),
	// Audit administrators: read (the JSON list pages through it whole) and verify the audit
	// log, and read everyone's login history; they change nothing.
	official(RoleAuditAdmin, "audit read", "audit verify", "login read", "user read", "jurisdiction read"),
	// … and export it (CSV or XLSX of a filtered range, itself audited).
	official(RoleAuditAdmin, "audit export"),
)

func concat(parts ...[]Access) []Access {
	var out []Access
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// RelationFor returns the relation by which role may perform act on obj, and false when the
// table gives the role no such right.
func RelationFor(role, obj, act string) (Relation, bool) {
	for _, r := range AccessTable {
		if r.Role == role && r.Object == obj && r.Action == act {
			return r.Relation, true
		}
	}
	return "", false
}

// Permits reports whether a caller of role who stands to an object in rel may perform act on
// it. Own and InJurisdiction are one relation seen from two kinds of grant (an enterprise's
// node, a jurisdiction's subtree); the domain matcher tells them apart.
func Permits(role, obj, act string, rel Relation) bool {
	want, ok := RelationFor(role, obj, act)
	if !ok {
		return false
	}
	if want == Own || want == InJurisdiction {
		return rel == Own || rel == InJurisdiction
	}
	return want == rel
}

// NeedsRelation reports whether role's right to act on obj depends on a relation the domain
// cannot express (Assigned, Drawn), which the service checks on the object.
func NeedsRelation(role, obj, act string) bool {
	rel, ok := RelationFor(role, obj, act)
	return ok && (rel == Assigned || rel == Drawn)
}

// PolicyText renders the table as Casbin rules (p, role, object, action); the domain matcher
// adds the jurisdiction, the service the relation.
func PolicyText() string {
	var b strings.Builder
	seen := map[Access]bool{}
	for _, r := range AccessTable {
		k := Access{Role: r.Role, Object: r.Object, Action: r.Action}
		if seen[k] {
			panic(fmt.Sprintf("access table lists %s %s %s twice", r.Role, r.Object, r.Action))
		}
		seen[k] = true
		fmt.Fprintf(&b, "p, %s, %s, %s\n", r.Role, r.Object, r.Action)
	}
	return b.String()
}
