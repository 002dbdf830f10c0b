package policies

import (
	"fmt"
	"sync"
	"testing"
	"time"

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
		"secadmin":        {own: "150000", child: "150781", sibling: "", parent: ""},
		"auditadmin":      {own: "150000", child: "150781", sibling: "", parent: ""},
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
		"secadmin":        {"user", "grant"},
		"auditadmin":      {"audit", "read"},
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
		"secadmin":        {"audit", "read"},
		"auditadmin":      {"user", "manage"},
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
			t.Errorf("role %s has no rules in the need-to-know table", role)
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

// withCounty is testTree's links plus 150104 玉泉区 under 呼和浩特.
func withCounty() map[string]string {
	return map[string]string{
		"150000": "",
		"150100": "150000", "150102": "150100", "150103": "150100", "150104": "150100",
		"150200": "150000", "150202": "150200",
		"150700": "150000", "150702": "150700",
		"150781": "150000",
	}
}

func TestSetTreeReachesGrantsMadeBeforeTheTreeKnewTheirJurisdiction(t *testing.T) {
	// A county official of 150104 is granted while the tree does not know 150104 yet (as on a
	// replica that has not reloaded since another created the county): its domain's role
	// manager is built without the league's and the region's grants.
	enf, err := NewEnforcer(testTree(t), []Grant{
		{User: "league", Role: "league_official", Domain: "150100"},
		{User: "region", Role: "region_official", Domain: "150000"},
		{User: "county", Role: "county_official", Domain: "150104"},
		{User: "baotou", Role: "league_official", Domain: "150200"},
	})
	require.NoError(t, err)
	require.False(t, enf.Allowed("league", "150104", "case", "read"), "unknown jurisdiction")

	tree, err := NewTree(withCounty())
	require.NoError(t, err)
	require.NoError(t, enf.SetTree(tree))
	cases := []struct {
		user, domain string
		want         bool
	}{
		{"league", "150104", true},
		{"league", EnterpriseDomain("150104", "e9"), true},
		{"region", "150104", true},
		{"county", "150104", true},
		{"county", EnterpriseDomain("150104", "e9"), true},
		{"county", "150100", false},
		{"baotou", "150104", false},
	}
	for _, c := range cases {
		if got := enf.Allowed(c.user, c.domain, "case", "read"); got != c.want {
			t.Errorf("Allowed(%s, %s, case, read) = %v, want %v", c.user, c.domain, got, c.want)
		}
	}
	require.ElementsMatch(t, []string{"150100", "150102", "150103", "150104"}, enf.Tree().Subtree("150100"))
}

// fakeTable is a jurisdictions table the refresh reads, counting the reads.
type fakeTable struct {
	mu    sync.Mutex
	links map[string]string
	reads int
}

func (f *fakeTable) load() (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	out := make(map[string]string, len(f.links))
	for c, p := range f.links {
		out[c] = p
	}
	return out, nil
}

func (f *fakeTable) add(code, parent string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.links[code] = parent
}

func (f *fakeTable) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func TestRefreshTreeLearnsJurisdictionsAddedElsewhere(t *testing.T) {
	table := &fakeTable{links: testTree(t).parent}
	enf, err := NewEnforcer(testTree(t), []Grant{{User: "league", Role: "league_official", Domain: "150100"}})
	require.NoError(t, err)
	enf.RefreshTree(TreeRefresh{Load: table.load, MinGap: 0, MaxAge: time.Hour, OnError: func(err error) { t.Error(err) }})

	// Another replica adds 150104: the first question about it reloads the tree.
	table.add("150104", "150100")
	require.True(t, enf.Allowed("league", "150104", "case", "read"))
	require.Equal(t, 1, table.readCount())
	// A grant in it is reached from above at once.
	require.NoError(t, enf.SetGrant(Grant{User: "county", Role: "county_official", Domain: "150104"}))
	require.True(t, enf.Allowed("county", "150104", "task", "decide"))
	// Known jurisdictions cost no read while the tree is young.
	require.True(t, enf.Allowed("league", "150102", "case", "read"))
	require.Equal(t, 1, table.readCount())
}

func TestRefreshTreeBoundsReloadsForMadeUpCodes(t *testing.T) {
	table := &fakeTable{links: testTree(t).parent}
	enf, err := NewEnforcer(testTree(t), []Grant{{User: "region", Role: "region_official", Domain: "150000"}})
	require.NoError(t, err)
	enf.RefreshTree(TreeRefresh{Load: table.load, MinGap: time.Hour, MaxAge: time.Hour})
	for i := 0; i < 100; i++ {
		require.False(t, enf.Allowed("region", fmt.Sprintf("99%04d", i), "case", "read"))
	}
	require.Zero(t, table.readCount(), "the tree was loaded when built; unknown codes wait for MinGap")
}

func TestRefreshTreeReloadsAnOldTreeForSubtreeLists(t *testing.T) {
	table := &fakeTable{links: testTree(t).parent}
	enf, err := NewEnforcer(testTree(t), []Grant{{User: "league", Role: "league_official", Domain: "150100"}})
	require.NoError(t, err)
	enf.RefreshTree(TreeRefresh{Load: table.load, MinGap: time.Hour, MaxAge: 0})
	table.add("150104", "150100")
	// A question about a known jurisdiction reloads the over-age tree, so lists by subtree
	// include the new county even if nobody has asked about it here.
	require.True(t, enf.Allowed("league", "150100", "case", "read"))
	require.Contains(t, enf.Tree().Subtree("150100"), "150104")
}
