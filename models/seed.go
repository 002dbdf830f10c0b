package models

import (
	"context"
	"fmt"
	"time"
)

// DemoAccount is a seeded account, printed by `skillcert dev`.
type DemoAccount struct {
	Username, Role, Where string
}

type demoEnterprise struct {
	id, name, creditCode, jurisdiction, address string
}

// demoEnterprises are fictitious enterprises with valid unified social credit codes.
var demoEnterprises = []demoEnterprise{
	{"00000000-0000-7000-8000-000000000101", "呼和浩特乳业示范有限公司", "91150105MA0N00001B", "150105", "呼和浩特市赛罕区金桥开发区示范路1号"},
	{"00000000-0000-7000-8000-000000000102", "包头稀土冶炼示范股份有限公司", "91150203MA0N00002N", "150203", "包头市昆都仑区钢铁大街示范路2号"},
	{"00000000-0000-7000-8000-000000000103", "鄂尔多斯能源化工示范有限公司", "91150602MA0N000030", "150602", "鄂尔多斯市东胜区能源路3号"},
	{"00000000-0000-7000-8000-000000000104", "呼和浩特电力检修示范有限公司", "91150102MA0N000049", "150102", "呼和浩特市新城区电力路4号"},
}

var demoUsers = []struct {
	username, name, role, jurisdiction, enterprise string
}{
	{"admin", "系统管理员", RoleSysadmin, RegionCode, ""},
	{"secadmin", "安全管理员", RoleSecAdmin, RegionCode, ""},
	{"auditadmin", "审计管理员", RoleAuditAdmin, RegionCode, ""},
	{"region", "自治区人社厅 王处长", RoleRegionOfficial, RegionCode, ""},
	{"centre", "职业技能鉴定管理中心 李主任", RoleRegionCentre, RegionCode, ""},
	{"hohhot", "呼和浩特市人社局 张科长", RoleLeagueOfficial, "150100", ""},
	{"baotou", "包头市人社局 赵科长", RoleLeagueOfficial, "150200", ""},
	{"ordos", "鄂尔多斯市人社局 孙科长", RoleLeagueOfficial, "150600", ""},
	{"xincheng", "新城区人社局 刘干事", RoleCountyOfficial, "150102", ""},
	{"saihan", "赛罕区人社局 陈干事", RoleCountyOfficial, "150105", ""},
	{"kundulun", "昆都仑区人社局 周干事", RoleCountyOfficial, "150203", ""},
	{"expert1", "评估专家 吴教授", RoleExpert, RegionCode, ""},
	{"expert2", "评估专家 郑高工", RoleExpert, RegionCode, ""},
	{"expert3", "评估专家 冯高工", RoleExpert, RegionCode, ""},
	{"expert4", "评估专家 何教授", RoleExpert, RegionCode, ""},
	{"supervisor1", "质量督导员 马督导", RoleSupervisor, RegionCode, ""},
	{"supervisor2", "质量督导员 高督导", RoleSupervisor, RegionCode, ""},
	{"supervisor3", "质量督导员 林督导", RoleSupervisor, "150100", ""},
	{"dairy", "乳业公司 人力资源部", RoleEnterpriseUser, "", "00000000-0000-7000-8000-000000000101"},
	{"rare", "稀土公司 人力资源部", RoleEnterpriseUser, "", "00000000-0000-7000-8000-000000000102"},
	{"energy", "能源化工公司 人力资源部", RoleEnterpriseUser, "", "00000000-0000-7000-8000-000000000103"},
	{"power", "电力检修公司 人力资源部", RoleEnterpriseUser, "", "00000000-0000-7000-8000-000000000104"},
}

// SeedDemo creates the demo enterprises and accounts, all with the given password, unless the
// database already has users. It returns the accounts (also when they existed already).
func (db *DB) SeedDemo(ctx context.Context, password string) ([]DemoAccount, bool, error) {
	n, err := db.CountUsers(ctx)
	if err != nil {
		return nil, false, err
	}
	created := n == 0
	if created {
		now := time.Now().UTC()
		err = db.Tx(ctx, func(tx *DB) error {
			for _, e := range demoEnterprises {
				ent := Enterprise{ID: e.id, Name: e.name, CreditCode: e.creditCode, JurisdictionCode: e.jurisdiction,
					Address: e.address, CreatedAt: now, UpdatedAt: now}
				if err := tx.CreateEnterprise(ctx, &ent); err != nil {
					return fmt.Errorf("demo enterprise %s: %w", e.name, err)
				}
			}
			hash := ""
			for _, d := range demoUsers {
				u := User{Username: d.username, DisplayName: d.name, Role: d.role, Active: true}
				if hash == "" {
					if err := u.SetPassword(password); err != nil {
						return err
					}
					hash = u.PasswordHash
				}
				u.PasswordHash = hash
				if d.jurisdiction != "" {
					j := d.jurisdiction
					u.JurisdictionCode = &j
				}
				if d.enterprise != "" {
					e := d.enterprise
					u.EnterpriseID = &e
				}
				if err := tx.CreateUser(ctx, &u); err != nil {
					return fmt.Errorf("demo user %s: %w", d.username, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
	}
	if !created {
		// A demo database from before 三员分立 has only the system administrator: add the
		// security and audit administrators with the demo password (no change forced).
		if err := db.seedMissingDemoAdmins(ctx, password); err != nil {
			return nil, false, err
		}
	}
	var out []DemoAccount
	for _, d := range demoUsers {
		where := d.jurisdiction
		for _, e := range demoEnterprises {
			if e.id == d.enterprise {
				where = e.name
			}
		}
		for _, r := range referenceJurisdictions {
			if r.code == d.jurisdiction {
				where = r.name
			}
		}
		out = append(out, DemoAccount{Username: d.username, Role: RoleNames[d.role], Where: where})
	}
	return out, created, nil
}

// AdminAccounts are the three administrators' accounts (三员分立) that `skillcert seed`
// provisions, by role: the only way an account comes to hold an administrator role.
var AdminAccounts = []struct{ Username, DisplayName, Role string }{
	{"admin", "系统管理员", RoleSysadmin},
	{"secadmin", "安全管理员", RoleSecAdmin},
	{"auditadmin", "审计管理员", RoleAuditAdmin},
}

// SeedAdmins creates, for each administrator role that no account holds yet, its account with
// the password given for that role (passwords[role]); the account must change it at its
// first login. A role without a password is left out. It returns the usernames created.
// Existing `sysadmin` accounts stay system administrators; on an upgrade this adds the
// security and audit administrators.
func (db *DB) SeedAdmins(ctx context.Context, passwords map[string]string) ([]string, error) {
	var created []string
	for _, a := range AdminAccounts {
		var n int64
		if err := db.WithContext(ctx).Model(&User{}).Where("role = ?", a.Role).Count(&n).Error; err != nil {
			return created, err
		}
		if n > 0 || passwords[a.Role] == "" {
			continue
		}
		region := RegionCode
		now := time.Now().UTC()
		u := User{Username: a.Username, DisplayName: a.DisplayName, Role: a.Role, JurisdictionCode: &region, Active: true,
			MustChangePassword: true, PasswordChangedAt: &now}
		if err := u.SetPassword(passwords[a.Role]); err != nil {
			return created, err
		}
		if err := db.CreateUser(ctx, &u); err != nil {
			return created, fmt.Errorf("%s: %w", a.Username, err)
		}
		created = append(created, a.Username)
	}
	return created, nil
}

// MissingAdmins lists the administrator roles no account holds.
func (db *DB) MissingAdmins(ctx context.Context) ([]string, error) {
	var missing []string
	for _, a := range AdminAccounts {
		var n int64
		if err := db.WithContext(ctx).Model(&User{}).Where("role = ?", a.Role).Count(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			missing = append(missing, a.Role)
		}
	}
	return missing, nil
}

// seedMissingDemoAdmins adds the demo administrator accounts whose role no account holds.
func (db *DB) seedMissingDemoAdmins(ctx context.Context, password string) error {
	missing, err := db.MissingAdmins(ctx)
	if err != nil || len(missing) == 0 {
		return err
	}
	for _, d := range demoUsers {
		for _, role := range missing {
			if d.role != role {
				continue
			}
			j := d.jurisdiction
			u := User{Username: d.username, DisplayName: d.name, Role: d.role, JurisdictionCode: &j, Active: true}
			if err := u.SetPassword(password); err != nil {
				return err
			}
			if err := db.CreateUser(ctx, &u); err != nil {
				return fmt.Errorf("demo user %s: %w", d.username, err)
			}
		}
	}
	return nil
}
