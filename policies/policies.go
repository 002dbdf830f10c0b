// Package policies holds the authorization model: the Casbin model and rules (embedded), the
// jurisdiction tree the domain matcher walks, and the enforcer that answers "may this user do
// this action on this kind of object in this jurisdiction?".
//
// Domains are jurisdiction codes ("150102") or enterprise nodes ("150102/E/<enterprise id>"): an
// enterprise node lies under its jurisdiction, so an official of the county, its league or the region
// reaches it while an enterprise user reaches nothing but its own node.
//
// The tree is not fixed: an administrator may add a county at runtime. SetTree installs a new
// tree at once; RefreshTree lets an enforcer reload it by itself, so other replicas follow.
package policies

import (
	_ "embed"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"

	"skillcert/domain"
)

//go:embed model.conf
var modelText string

// policyText is the Casbin rules, derived from the need-to-know table (domain.AccessTable).
var policyText = domain.PolicyText()

// Roles lists every role the rules know, in display order.
var Roles = domain.Roles

// EnterpriseDomain is the domain of an enterprise registered in the given jurisdiction.
func EnterpriseDomain(jurisdiction, enterpriseID string) string {
	return domain.EnterpriseDomain(jurisdiction, enterpriseID)
}

// SplitDomain returns the jurisdiction and, for an enterprise node, the enterprise ID.
func SplitDomain(d string) (jurisdiction, enterpriseID string) { return domain.SplitDomain(d) }

// Tree is the jurisdiction hierarchy as explicit parent links (满洲里 and 二连浩特 sit inside
// another league's code block but report to the region, so codes alone cannot tell).
type Tree struct {
	parent map[string]string
}

// NewTree builds a tree from child → parent links; the root has an empty parent.
func NewTree(parents map[string]string) (*Tree, error) {
	t := &Tree{parent: make(map[string]string, len(parents))}
	for c, p := range parents {
		t.parent[c] = p
	}
	for c := range t.parent {
		seen := map[string]bool{}
		for n := c; n != ""; n = t.parent[n] {
			if seen[n] {
				return nil, fmt.Errorf("jurisdiction tree has a cycle through %s", c)
			}
			seen[n] = true
			if _, ok := t.parent[n]; !ok {
				return nil, fmt.Errorf("jurisdiction %s has unknown parent %s", c, n)
			}
		}
	}
	return t, nil
}

// sameLinks reports whether the tree has exactly these child → parent links.
func (t *Tree) sameLinks(parents map[string]string) bool {
	if len(parents) != len(t.parent) {
		return false
	}
	for c, p := range parents {
		if q, ok := t.parent[c]; !ok || q != p {
			return false
		}
	}
	return true
}

// Known reports whether code is a jurisdiction of the tree.
func (t *Tree) Known(code string) bool {
	_, ok := t.parent[code]
	return ok
}

// Subtree returns code and every jurisdiction below it; nil for an unknown code.
func (t *Tree) Subtree(code string) []string {
	if !t.Known(code) {
		return nil
	}
	out := []string{code}
	for i := 0; i < len(out); i++ {
		for c, p := range t.parent {
			if p == out[i] {
				out = append(out, c)
			}
		}
	}
	return out
}

// Within reports whether the request domain lies in the subtree of the grant domain.
func (t *Tree) Within(request, grant string) bool {
	rj, re := SplitDomain(request)
	gj, ge := SplitDomain(grant)
	if ge != "" {
		return re == ge && rj == gj
	}
	if _, ok := t.parent[rj]; !ok {
		return false
	}
	for n := rj; n != ""; n = t.parent[n] {
		if n == gj {
			return true
		}
	}
	return false
}

// Grant binds a user to one role in one domain.
type Grant struct {
	User   string
	Role   string
	Domain string
}

// Enforcer answers authorization questions; it is safe for concurrent use.
type Enforcer struct {
	mu      sync.Mutex // serialises grant and tree changes
	e       *casbin.SyncedEnforcer
	tree    atomic.Pointer[Tree]
	grants  map[string]Grant // user → current grant
	refresh atomic.Pointer[treeRefresh]
}

// Model returns the embedded Casbin model text.
func Model() string { return modelText }

// NewEnforcer builds an enforcer over the embedded model and rules, the tree and the grants.
func NewEnforcer(tree *Tree, grants []Grant) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("load casbin model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, stringadapter.NewAdapter(policyText))
	if err != nil {
		return nil, fmt.Errorf("load casbin policy: %w", err)
	}
	enf := &Enforcer{e: e, grants: map[string]Grant{}}
	enf.tree.Store(tree)
	e.AddNamedDomainMatchingFunc("g", "inSubtree", func(request, grant string) bool {
		return enf.tree.Load().Within(request, grant)
	})
	for _, g := range grants {
		if err := enf.SetGrant(g); err != nil {
			return nil, err
		}
	}
	return enf, nil
}

// SetTree replaces the jurisdiction tree (after an administrator adds a jurisdiction) and
// rebuilds the grants' domain links under it.
//
// Swapping the tree alone is not enough: Casbin keeps a role manager per granted domain, filled
// when the grant is added with the grants of the domains the tree then placed above it. A grant
// in a jurisdiction the old tree did not know (a county another replica has just created) would
// keep lacking its league's and the region's grants until the links are rebuilt.
func (enf *Enforcer) SetTree(t *Tree) error {
	enf.mu.Lock()
	defer enf.mu.Unlock()
	enf.tree.Store(t)
	if err := enf.e.BuildRoleLinks(); err != nil {
		return fmt.Errorf("rebuild grants under the new jurisdiction tree: %w", err)
	}
	return nil
}

// TreeRefresh says where and how often an enforcer re-reads the jurisdiction tree by itself,
// so that a jurisdiction added on one replica reaches the others without a restart.
type TreeRefresh struct {
	// Load reads the current child → parent links (the jurisdictions table).
	Load func() (map[string]string, error)
	// MinGap bounds the reloads caused by questions about unknown jurisdictions, which a
	// made-up code in a query can ask as often as it likes.
	MinGap time.Duration
	// MaxAge is how old the tree may grow before the next question reloads it; it bounds how
	// long a new county's cases stay out of the subtree lists of a replica nobody has asked
	// about that county.
	MaxAge time.Duration
	// OnError, if set, hears failed reloads; the old tree stays in use.
	OnError func(error)
}

type treeRefresh struct {
	TreeRefresh
	mu       sync.Mutex   // one reload at a time
	loadedAt atomic.Int64 // UnixNano of the last reload attempt
}

// RefreshTree makes the enforcer reload its tree through r.Load: before answering about a
// jurisdiction it does not know (at most once per r.MinGap), and when the tree is older than
// r.MaxAge (by one caller while the others carry on with the current tree). The tree it was
// built with counts as loaded now.
func (enf *Enforcer) RefreshTree(r TreeRefresh) {
	tr := &treeRefresh{TreeRefresh: r}
	tr.loadedAt.Store(time.Now().UnixNano())
	enf.refresh.Store(tr)
}

// maybeRefresh reloads the tree when jurisdiction is unknown to it or it is too old.
func (enf *Enforcer) maybeRefresh(jurisdiction string) {
	r := enf.refresh.Load()
	if r == nil {
		return
	}
	age := func() time.Duration { return time.Duration(time.Now().UnixNano() - r.loadedAt.Load()) }
	switch {
	case jurisdiction != "" && !enf.Tree().Known(jurisdiction) && age() >= r.MinGap:
		// The answer depends on the reload: wait for it.
		r.mu.Lock()
		defer r.mu.Unlock()
		if enf.Tree().Known(jurisdiction) || age() < r.MinGap {
			return // another caller has just reloaded
		}
		enf.reload(r)
	case age() >= r.MaxAge && r.mu.TryLock():
		defer r.mu.Unlock()
		if age() < r.MaxAge {
			return
		}
		enf.reload(r)
	}
}

// reload reads the tree and installs it if it changed; r.mu is held.
func (enf *Enforcer) reload(r *treeRefresh) {
	r.loadedAt.Store(time.Now().UnixNano())
	err := func() error {
		parents, err := r.Load()
		if err != nil {
			return fmt.Errorf("load jurisdiction tree: %w", err)
		}
		if enf.Tree().sameLinks(parents) {
			return nil
		}
		t, err := NewTree(parents)
		if err != nil {
			return err
		}
		return enf.SetTree(t)
	}()
	if err != nil && r.OnError != nil {
		r.OnError(err)
	}
}

// Tree returns the current jurisdiction tree.
func (enf *Enforcer) Tree() *Tree { return enf.tree.Load() }

// SetGrant makes g the user's only grant, replacing any earlier one; an empty role removes it.
// It is cheap when the grant is unchanged, so callers may call it on every request with the
// user row they just read, which keeps every replica in step with the users table. With
// RefreshTree, a grant in a jurisdiction the tree does not know reloads the tree first.
func (enf *Enforcer) SetGrant(g Grant) error {
	if g.Role != "" {
		j, _ := SplitDomain(g.Domain)
		enf.maybeRefresh(j)
	}
	enf.mu.Lock()
	defer enf.mu.Unlock()
	old, had := enf.grants[g.User]
	if had && old == g {
		return nil
	}
	if had {
		if _, err := enf.e.RemoveGroupingPolicy(old.User, old.Role, old.Domain); err != nil {
			return fmt.Errorf("remove grant: %w", err)
		}
		delete(enf.grants, g.User)
	}
	if g.Role == "" {
		return nil
	}
	if _, err := enf.e.AddGroupingPolicy(g.User, g.Role, g.Domain); err != nil {
		return fmt.Errorf("add grant: %w", err)
	}
	enf.grants[g.User] = g
	return nil
}

// Allowed reports whether user may perform act on obj within domain.
func (enf *Enforcer) Allowed(user, dom, obj, act string) bool {
	j, _ := SplitDomain(dom)
	enf.maybeRefresh(j)
	ok, err := enf.e.Enforce(user, dom, obj, act)
	return err == nil && ok
}

// RoleAllows reports whether the rules give role the action on obj at all, whatever the domain.
func (enf *Enforcer) RoleAllows(role, obj, act string) bool {
	ok, _ := enf.e.HasPolicy(role, obj, act)
	return ok
}
