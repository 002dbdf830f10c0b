package domain

import "strings"

// Roles of the pilot's people.
const (
	RoleRegionOfficial = "region_official" // 自治区人社厅
	RoleRegionCentre   = "region_centre"   // 自治区职业技能鉴定管理中心
	RoleLeagueOfficial = "league_official" // 盟市人社局
	RoleCountyOfficial = "county_official" // 旗县（市、区）人社局
	RoleEnterpriseUser = "enterprise_user" // 试点企业
	RoleExpert         = "expert"          // 评估专家
	RoleSupervisor     = "supervisor"      // 质量督导员
	RoleSysadmin       = "sysadmin"        // 系统管理员：账户与行政区划
	RoleSecAdmin       = "secadmin"        // 安全管理员：角色授予、安全策略、解锁、重置密码
	RoleAuditAdmin     = "auditadmin"      // 审计管理员：查阅、导出审计日志，核验哈希链
)

// Roles lists every role, in display order.
var Roles = []string{
	RoleRegionOfficial, RoleRegionCentre, RoleLeagueOfficial, RoleCountyOfficial,
	RoleEnterpriseUser, RoleExpert, RoleSupervisor, RoleSysadmin, RoleSecAdmin, RoleAuditAdmin,
}

// RoleNames are the roles as people call them.
var RoleNames = map[string]string{
	RoleRegionOfficial: "自治区人社厅",
	RoleRegionCentre:   "自治区职业技能鉴定管理中心",
	RoleLeagueOfficial: "盟市人社局",
	RoleCountyOfficial: "旗县（市、区）人社局",
	RoleEnterpriseUser: "企业用户",
	RoleExpert:         "评估专家",
	RoleSupervisor:     "质量督导员",
	RoleSysadmin:       "系统管理员",
	RoleSecAdmin:       "安全管理员",
	RoleAuditAdmin:     "审计管理员",
}

// RegionCode is the division code of the region (内蒙古自治区), the root of the tree.
const RegionCode = "150000"

// enterpriseSep separates the jurisdiction from the enterprise in an enterprise's domain.
const enterpriseSep = "/E/"

// EnterpriseDomain is the authorization domain of an enterprise registered in a jurisdiction:
// below that jurisdiction, so that the county, league and region above it reach it too.
func EnterpriseDomain(jurisdiction, enterpriseID string) string {
	return jurisdiction + enterpriseSep + enterpriseID
}

// SplitDomain returns the jurisdiction of a domain and, for an enterprise's domain, the
// enterprise's ID.
func SplitDomain(domain string) (jurisdiction, enterpriseID string) {
	j, e, _ := strings.Cut(domain, enterpriseSep)
	return j, e
}

// IsEnterpriseDomain reports whether a domain is an enterprise's rather than a jurisdiction's.
func IsEnterpriseDomain(domain string) bool { return strings.Contains(domain, enterpriseSep) }

// DirectoryDecider is the only role that may suspend a pilot or remove it from the directory
// (the region's department). A county or league verifying a complaint proposes such an outcome;
// the region decides it.
const DirectoryDecider = RoleRegionOfficial

// DecidesDirectory reports whether a complaint outcome changes the directory (and so is the
// region's to decide).
func DecidesDirectory(outcome string) bool { return outcome == "suspend" || outcome == "remove" }
