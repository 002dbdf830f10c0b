package policies

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// testTree is a slice of the real hierarchy: region → 呼和浩特 → 新城区/回民区, region → 包头 → 东河区,
// and 满洲里 directly under the region although its code sits in 呼伦贝尔's block.
func testTree(t *testing.T) *Tree {
	t.Helper()
	tree, err := NewTree(map[string]string{
		"150000": "",
		"150100": "150000", "150102": "150100", "150103": "150100",
		"150200": "150000", "150202": "150200",
		"150700": "150000", "150702": "150700",
		"150781": "150000",
	})
	require.NoError(t, err)
	return tree
}

func TestTreeRejectsCyclesAndOrphans(t *testing.T) {
	_, err := NewTree(map[string]string{"a": "b", "b": "a"})
	require.Error(t, err)
	_, err = NewTree(map[string]string{"a": "missing"})
	require.Error(t, err)
}

func TestWithinUsesParentLinksNotCodePrefixes(t *testing.T) {
	tree := testTree(t)
	cases := []struct {
		request, grant string
		want           bool
	}{
		{"150102", "150100", true},
		{"150102", "150000", true},
		{"150100", "150102", false},
		{"150202", "150100", false},
		{"150781", "150700", false}, // 满洲里 reports to the region, not to 呼伦贝尔
		{"150781", "150000", true},
		{EnterpriseDomain("150102", "e1"), "150102", true},
		{EnterpriseDomain("150102", "e1"), "150000", true},
		{EnterpriseDomain("150102", "e1"), "150103", false},
		{EnterpriseDomain("150102", "e1"), EnterpriseDomain("150102", "e1"), true},
		{EnterpriseDomain("150102", "e2"), EnterpriseDomain("150102", "e1"), false},
		{"150102", EnterpriseDomain("150102", "e1"), false},
		{"999999", "150000", false},
	}
	for _, c := range cases {
		if got := tree.Within(c.request, c.grant); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.request, c.grant, got, c.want)
		}
	}
}

// TestAuthorityMatrix checks every role in its own jurisdiction, a child, a sibling and the
// parent, for an action the role has and one it lacks: allowed only in own and child, never leaks.
func TestAuthorityMatrix(t *testing.T) {
	tree := testTree(t)
	type place struct{ own, child, sibling, parent string }
	places := map[string]place{
		"region_official": {own: "150000", child: "150102", sibling: "", parent: ""},
		"region_centre":   {own: "150000", child: "150202", sibling: "", parent: ""},
		"league_official": {own: "150100", child: "150102", sibling: "150200", parent: "150000"},
		"county_official": {own: "150102", child: EnterpriseDomain("150102", "e1"), sibling: "150103", parent: "150100"},
		"enterprise_user": {own: EnterpriseDomain("150102", "e1"), child: "", sibling: EnterpriseDomain("150102", "e2"), parent: "150102"},
		"expert":          {own: "150000", child: "150102", sibling: "", parent: ""},
		"supervisor":      {own: "150100", child: "150102", sibling: "150200", parent: "150000"},
		"sysadmin":        {own: "150000", child: "150781", sibling: "", parent: ""},
	}
	// granted is one action each role has; denied is one it must never have.
	granted := map[string][2]string{
		"region_official": {"directory", "publish"},
		"region_centre":   {"certificate", "revoke"},
		"league_official": {"summary", "submit"},
		"county_official": {"task", "decide"},
		"enterprise_user": {"application", "submit"},
		"expert":          {"task", "decide"},
		"supervisor":      {"supervision", "report"},
		"sysadmin":        {"user", "manage"},
	}
	denied := map[string][2]string{
		"region_official": {"user", "manage"},
		"region_centre":   {"directory", "publish"},
		"league_official": {"directory", "publish"},
		"county_official": {"summary", "submit"},
		"enterprise_user": {"task", "reassign"},
		"expert":          {"personal_data", "read"},
		"supervisor":      {"case", "decide"},
		"sysadmin":        {"task", "decide"},
	}
	var grants []Grant
	for _, role := range Roles {
		grants = append(grants, Grant{User: "u-" + role, Role: role, Domain: places[role].own})
	}
	enf, err := NewEnforcer(tree, grants)
	require.NoError(t, err)

	checked := 0
	for _, role := range Roles {
		p, ok := places[role]
		require.True(t, ok, "role %s has no places in the matrix", role)
		user := "u-" + role
		for _, where := range []struct {
			name, domain string
			inScope      bool
		}{
			{"own", p.own, true}, {"child", p.child, true}, {"sibling", p.sibling, false}, {"parent", p.parent, false},
		} {
			if where.domain == "" {
				continue
			}
			g, d := granted[role], denied[role]
			t.Run(fmt.Sprintf("%s/%s", role, where.name), func(t *testing.T) {
				if got := enf.Allowed(user, where.domain, g[0], g[1]); got != where.inScope {
					t.Errorf("%s %s:%s in %s = %v, want %v", role, g[0], g[1], where.domain, got, where.inScope)
				}
				if enf.Allowed(user, where.domain, d[0], d[1]) {
					t.Errorf("%s %s:%s in %s allowed: a permission the role lacks leaked", role, d[0], d[1], where.domain)
				}
			})
			checked++
		}
	}
	require.GreaterOrEqual(t, checked, 20)
}

func TestEveryRoleHasRules(t *testing.T) {
	enf, err := NewEnforcer(testTree(t), nil)
	require.NoError(t, err)
	for _, role := range Roles {
		rules, err := enf.e.GetFilteredPolicy(0, role)
		require.NoError(t, err)
		if len(rules) == 0 {
			t.Errorf("role %s has no rules in policy.csv", role)
		}
	}
}

func TestSetGrantReplacesAndRemoves(t *testing.T) {
	tree := testTree(t)
	enf, err := NewEnforcer(tree, []Grant{{User: "u", Role: "county_official", Domain: "150102"}})
	require.NoError(t, err)
	require.True(t, enf.Allowed("u", "150102", "task", "decide"))

	// Moved to a sibling county: the old jurisdiction is no longer reachable.
	require.NoError(t, enf.SetGrant(Grant{User: "u", Role: "county_official", Domain: "150103"}))
	require.False(t, enf.Allowed("u", "150102", "task", "decide"))
	require.True(t, enf.Allowed("u", "150103", "task", "decide"))

	// Deactivated: nothing at all.
	require.NoError(t, enf.SetGrant(Grant{User: "u"}))
	require.False(t, enf.Allowed("u", "150103", "task", "decide"))
}

func TestGrantInSameDomainAsAnotherUsersDoesNotHideAncestors(t *testing.T) {
	// A county grant creates the county's own role manager; a region grant must still reach it.
	enf, err := NewEnforcer(testTree(t), []Grant{
		{User: "county", Role: "county_official", Domain: "150102"},
		{User: "region", Role: "region_official", Domain: "150000"},
	})
	require.NoError(t, err)
	require.True(t, enf.Allowed("region", "150102", "case", "read"))
	require.NoError(t, enf.SetGrant(Grant{User: "league", Role: "league_official", Domain: "150100"}))
	require.True(t, enf.Allowed("league", "150102", "case", "read"))
	require.False(t, enf.Allowed("county", "150100", "case", "read"))
}

func TestSubtree(t *testing.T) {
	tree := testTree(t)
	got := tree.Subtree("150100")
	require.ElementsMatch(t, []string{"150100", "150102", "150103"}, got)
	require.Len(t, tree.Subtree("150000"), 9)
	require.Nil(t, tree.Subtree("nope"))
}
