package domain

// 三员分立 (separation of the three administrators, 等保2.0): the system administrator keeps
// accounts and jurisdictions, the security administrator grants roles, sets the security
// policy, unlocks accounts and resets passwords, and the audit administrator reads, exports and
// verifies the audit log. Each is a role of its own, and no account holds two of them: the
// administrator roles are provisioned by the deployment (`skillcert seed`, the demo), never
// given to an account or taken from one through a grant, and an account is never created in
// one through the pages or the API. So no administrator can give themselves, or an account they
// control, another administrator's powers, and each one's actions are audited under their own
// account for the audit administrator to read.

// AdminRoles are the three administrator roles.
var AdminRoles = []string{RoleSysadmin, RoleSecAdmin, RoleAuditAdmin}

// IsAdminRole reports whether role is one of the three administrator roles.
func IsAdminRole(role string) bool {
	for _, r := range AdminRoles {
		if r == role {
			return true
		}
	}
	return false
}

// SeparationViolation says why a grant or an account would break the separation of the three
// administrators, or is empty when it does not.
type SeparationViolation string

const (
	// GrantsAdminRole: the new role is an administrator role.
	GrantsAdminRole SeparationViolation = "admin_role_not_grantable"
	// MovesAdmin: the account holds an administrator role, which a grant cannot change.
	MovesAdmin SeparationViolation = "admin_account_fixed"
)

// Message is the violation as the pages and the API say it.
func (v SeparationViolation) Message() string {
	switch v {
	case GrantsAdminRole:
		return "三员分立：系统管理员、安全管理员、审计管理员账户只能由部署命令建立，不能通过授予或新建账户取得。"
	case MovesAdmin:
		return "三员分立：管理员账户的角色不能更改，一个账户只能担任一种管理员。"
	}
	return ""
}

// CheckSeparation checks a change of an account's role from current ("" for a new account) to
// next against the separation of the three administrators.
func CheckSeparation(current, next string) SeparationViolation {
	switch {
	case IsAdminRole(current) && current != next:
		return MovesAdmin
	case IsAdminRole(next) && current != next:
		return GrantsAdminRole
	}
	return ""
}
