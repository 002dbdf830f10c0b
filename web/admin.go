package web

import (
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/policies"
)

// adminRoutes registers the administrators' user, jurisdiction and audit log pages
// (admin_users.go, admin_jurisdictions.go, admin_audit.go). The
// lists that the API filters by scope (users, the audit log) and every write call the API's use
// cases directly, so the scope rules, checks and audit rows live in one place. The routes'
// authorize checks guard the pages; the use cases check again in the domain acted on.
func (p *Pages) adminRoutes(r *gin.Engine, login gin.HandlerFunc) {
	readUsers, manageUsers := p.api.Authorize("user", "read", api.OwnScope), p.api.Authorize("user", "manage", api.OwnScope)
	r.GET("/admin/users", login, readUsers, p.api.Page(p.usersPage))
	r.POST("/admin/users", login, p.api.CSRF, manageUsers, p.api.Page(p.createUserSubmit))
	r.GET("/admin/users/:id", login, readUsers, p.api.Page(p.userPage))
	r.GET("/admin/users/:id/disable", login, manageUsers, p.api.Page(p.userConfirmPage("disable")))
	r.POST("/admin/users/:id/disable", login, p.api.CSRF, manageUsers, p.api.Page(p.userSwitch("disable")))
	r.POST("/admin/users/:id/enable", login, p.api.CSRF, manageUsers, p.api.Page(p.userSwitch("enable")))
	credential, grant := p.api.Authorize("user", "credential", api.OwnScope), p.api.Authorize("user", "grant", api.OwnScope)
	r.GET("/admin/users/:id/password", login, credential, p.api.Page(p.userConfirmPage("password")))
	r.POST("/admin/users/:id/password", login, p.api.CSRF, credential, p.api.Page(p.resetPasswordSubmit))
	r.POST("/admin/users/:id/unlock", login, p.api.CSRF, credential, p.api.Page(p.unlockSubmit))
	r.POST("/admin/users/:id/grant", login, p.api.CSRF, grant, p.api.Page(p.changeGrant))

	// The tree is readable by everyone who may read jurisdictions, within their subtree; the
	// pre-check switch shows where the reader may configure it (league bureaus under the
	// current policy), user counts where the reader may read users (administrators).
	areas := p.api.Authorize("jurisdiction", "read", api.OwnScope)
	r.GET("/admin/jurisdictions", login, areas, p.api.Page(p.jurisdictionsPage))
	r.POST("/admin/jurisdictions/precheck", login, p.api.CSRF, areas, p.api.Page(p.precheckSubmit))
	r.POST("/admin/jurisdictions", login, p.api.CSRF, p.api.Authorize("jurisdiction", "manage", api.OwnScope), p.api.Page(p.createCountySubmit))

	r.GET("/admin/audit", login, p.api.Authorize("audit", "read", api.OwnScope), p.api.Page(p.auditPage))
	r.POST("/admin/audit/verify", login, p.api.CSRF, p.api.Authorize("audit", "verify", api.OwnScope), p.api.Page(p.verifyAuditSubmit))
}

// levelNames are the Chinese names of jurisdiction levels.
var levelNames = map[string]string{models.LevelRegion: "自治区", models.LevelLeague: "盟市", models.LevelCounty: "旗县（市、区）"}

// areaLine is a jurisdiction in tree order with its depth below the root.
type areaLine struct {
	models.Jurisdiction
	Depth int
}

// areaLines lists the subtree of root depth-first in display order.
func (p *Pages) areaLines(c *gin.Context, root string) ([]areaLine, error) {
	js, err := p.db.Jurisdictions(c.Request.Context())
	if err != nil {
		return nil, err
	}
	children := map[string][]models.Jurisdiction{}
	var top *models.Jurisdiction
	for i, j := range js {
		children[j.Parent()] = append(children[j.Parent()], j)
		if j.Code == root {
			top = &js[i]
		}
	}
	if top == nil {
		return nil, nil
	}
	var out []areaLine
	var walk func(j models.Jurisdiction, depth int)
	walk = func(j models.Jurisdiction, depth int) {
		out = append(out, areaLine{Jurisdiction: j, Depth: depth})
		for _, k := range children[j.Code] {
			walk(k, depth+1)
		}
	}
	walk(*top, 0)
	return out, nil
}

// areaOptions are select choices of the lines, indented by depth, after a first choice.
func areaOptions(lines []areaLine, first choice, selected string) []choice {
	out := []choice{first}
	out[0].Selected = selected == first.Value
	for _, l := range lines {
		out = append(out, choice{Value: l.Code, Label: strings.Repeat("　", l.Depth) + l.Name, Selected: l.Code == selected})
	}
	return out
}

// roleOptions are the roles as select choices, after a first choice.
func roleOptions(first choice, selected string) []choice {
	return roleChoices(first, selected, true)
}

// grantableRoleOptions are the roles an account can be created in or moved to: not the three
// administrators' (domain.CheckSeparation).
func grantableRoleOptions(first choice, selected string) []choice {
	return roleChoices(first, selected, false)
}

func roleChoices(first choice, selected string, admins bool) []choice {
	out := []choice{first}
	out[0].Selected = selected == first.Value
	for _, r := range policies.Roles {
		if !admins && domain.IsAdminRole(r) {
			continue
		}
		out = append(out, choice{Value: r, Label: models.RoleNames[r], Selected: r == selected})
	}
	return out
}

// enterpriseOptions are the enterprises as select choices, with their jurisdiction.
func enterpriseOptions(es []models.Enterprise, names map[string]string, selected string) []choice {
	out := []choice{{Value: "", Label: "（仅企业用户选择）", Selected: selected == ""}}
	for _, e := range es {
		out = append(out, choice{Value: e.ID, Label: e.Name + "（" + names[e.JurisdictionCode] + "）", Selected: e.ID == selected})
	}
	return out
}

// adminScope is what the administration pages need of the caller's subtree: the jurisdictions
// in tree order, their names and the enterprises registered in them.
type adminScope struct {
	lines       []areaLine
	in          map[string]bool
	names       map[string]string
	enterprises []models.Enterprise
	entNames    map[string]string
}

func (p *Pages) adminScope(c *gin.Context) (*adminScope, error) {
	a := api.ActorFrom(c)
	root, _ := policies.SplitDomain(a.Domain)
	lines, err := p.areaLines(c, root)
	if err != nil {
		return nil, err
	}
	sc := &adminScope{lines: lines, in: map[string]bool{}, names: p.names(c), entNames: map[string]string{}}
	var codes []string
	for _, l := range lines {
		sc.in[l.Code] = true
		codes = append(codes, l.Code)
	}
	if sc.enterprises, err = p.db.EnterprisesIn(c.Request.Context(), codes); err != nil {
		return nil, err
	}
	for _, e := range sc.enterprises {
		sc.entNames[e.ID] = e.Name
	}
	return sc, nil
}

// where describes the place an account is bound to.
func (sc *adminScope) where(u models.User) string {
	if u.Role == models.RoleEnterpriseUser {
		if n := sc.entNames[u.Enterprise()]; n != "" {
			return n
		}
		return "其他企业"
	}
	if n := sc.names[u.Jurisdiction()]; n != "" {
		return n
	}
	return u.Jurisdiction()
}
