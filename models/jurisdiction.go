package models

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"skillcert/domain"
)

// Jurisdiction levels.
const (
	LevelRegion = "region"
	LevelLeague = "league"
	LevelCounty = "county"
)

// RegionCode is the root of the jurisdiction tree, 内蒙古自治区.
const RegionCode = domain.RegionCode

// Jurisdiction is one administrative division in the explicit tree.
type Jurisdiction struct {
	Code            string    `gorm:"primaryKey" json:"code"`
	Name            string    `json:"name"`
	Level           string    `json:"level"`
	ParentCode      *string   `json:"parent_code,omitempty"`
	ReportsDirectly bool      `json:"reports_directly"`
	AreaCode        string    `json:"area_code,omitempty"`
	PrecheckEnabled bool      `json:"precheck_enabled"`
	SortOrder       int       `json:"sort_order"`
	CreatedAt       time.Time `json:"-"`
	UpdatedAt       time.Time `json:"-"`
}

// Parent returns the parent code, empty for the root.
func (j Jurisdiction) Parent() string {
	if j.ParentCode == nil {
		return ""
	}
	return *j.ParentCode
}

type seedJurisdiction struct {
	code, name, level, parent, area string
	direct                          bool
}

// jurisdictionsCSV is the programme's jurisdiction tree (a copy of
// shared/reference/jurisdictions-150000.csv: the region, the 12 leagues/cities, the two
// county-level cities the region addresses directly and all 101 other county-level divisions;
// columns code,name,level,parent_code,parent_name). Migration 00013 inserts the same rows.
//
//go:embed jurisdictions-150000.csv
var jurisdictionsCSV string

// leagueAreaCodes are the landline area codes of the leagues and of the two direct cities; a
// county takes its league's.
var leagueAreaCodes = map[string]string{
	"150100": "0471", "150200": "0472", "150300": "0473", "150400": "0476", "150500": "0475",
	"150600": "0477", "150700": "0470", "150800": "0478", "150900": "0474", "152200": "0482",
	"152500": "0479", "152900": "0483", "150781": "0470", "152501": "0479",
}

// referenceJurisdictions is the reference tree in display order: the region, the 12 leagues
// and cities, the two direct cities, then every county in code order (which groups them by
// league). A county-level city addressed directly (level league_direct in the CSV) is a
// league-level node with ReportsDirectly set, as the rest of the code treats it.
var referenceJurisdictions = parseReferenceJurisdictions(jurisdictionsCSV)

func parseReferenceJurisdictions(text string) []seedJurisdiction {
	var region, leagues, direct, counties []seedJurisdiction
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(strings.TrimRight(line, "\r"), ",")
		if len(f) != 5 {
			panic(fmt.Sprintf("jurisdictions-150000.csv line %d: %d fields", i+1, len(f)))
		}
		s := seedJurisdiction{code: f[0], name: f[1], parent: f[3]}
		switch f[2] {
		case "region":
			s.level = LevelRegion
			region = append(region, s)
		case "league":
			s.level, s.area = LevelLeague, leagueAreaCodes[s.code]
			leagues = append(leagues, s)
		case "league_direct":
			s.level, s.area, s.direct = LevelLeague, leagueAreaCodes[s.code], true
			direct = append(direct, s)
		case "county":
			s.level, s.area = LevelCounty, leagueAreaCodes[s.parent]
			counties = append(counties, s)
		default:
			panic(fmt.Sprintf("jurisdictions-150000.csv line %d: level %q", i+1, f[2]))
		}
	}
	out := append(region, leagues...)
	out = append(out, direct...)
	return append(out, counties...)
}

// ReferenceJurisdictionCodes returns the codes of the reference tree in display order.
func ReferenceJurisdictionCodes() []string {
	out := make([]string, len(referenceJurisdictions))
	for i, s := range referenceJurisdictions {
		out[i] = s.code
	}
	return out
}

// SeedJurisdictions inserts the reference jurisdictions that are missing; existing rows (which
// an administrator may have edited) are left alone. It returns how many rows it inserted.
func (db *DB) SeedJurisdictions(ctx context.Context) (int, error) {
	now := time.Now().UTC()
	rows := make([]Jurisdiction, 0, len(referenceJurisdictions))
	for i, s := range referenceJurisdictions {
		j := Jurisdiction{Code: s.code, Name: s.name, Level: s.level, ReportsDirectly: s.direct,
			AreaCode: s.area, SortOrder: i, CreatedAt: now, UpdatedAt: now}
		if s.parent != "" {
			p := s.parent
			j.ParentCode = &p
		}
		rows = append(rows, j)
	}
	res := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
	if res.Error != nil {
		return 0, fmt.Errorf("seed jurisdictions: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// Jurisdictions returns every jurisdiction in display order.
func (db *DB) Jurisdictions(ctx context.Context) ([]Jurisdiction, error) {
	var js []Jurisdiction
	err := db.WithContext(ctx).Order("sort_order, code").Find(&js).Error
	return js, err
}

// JurisdictionByCode returns one jurisdiction.
func (db *DB) JurisdictionByCode(ctx context.Context, code string) (Jurisdiction, error) {
	var j Jurisdiction
	err := db.WithContext(ctx).First(&j, "code = ?", code).Error
	return j, notFound(err)
}

// JurisdictionParents returns child → parent links for the whole tree (root → "").
func (db *DB) JurisdictionParents(ctx context.Context) (map[string]string, error) {
	js, err := db.Jurisdictions(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(js))
	for _, j := range js {
		m[j.Code] = j.Parent()
	}
	return m, nil
}

// SubtreeCodes returns code and every jurisdiction below it, following parent links.
func SubtreeCodes(parents map[string]string, code string) []string {
	children := map[string][]string{}
	for c, p := range parents {
		children[p] = append(children[p], c)
	}
	if _, ok := parents[code]; !ok {
		return nil
	}
	out := []string{code}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// SetPrecheck turns the county pre-check of a league's applications on or off.
func (db *DB) SetPrecheck(ctx context.Context, league string, enabled bool) error {
	res := db.WithContext(ctx).Model(&Jurisdiction{}).Where("code = ? AND level = ?", league, LevelLeague).
		Updates(map[string]any{"precheck_enabled": enabled, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Refusals of CreateCounty and UpdateCounty; each matches ErrConflict.
var (
	// ErrJurisdictionCodeTaken is a code that is already a jurisdiction's.
	ErrJurisdictionCodeTaken = fmt.Errorf("%w: jurisdiction code taken", ErrConflict)
	// ErrJurisdictionNameTaken is a name that another jurisdiction under the same parent has.
	ErrJurisdictionNameTaken = fmt.Errorf("%w: jurisdiction name taken under its parent", ErrConflict)
)

// jurisdictionLockKey is the PostgreSQL advisory lock that serialises administrators' changes
// to jurisdictions, so that two of them cannot both take one name under one parent (the schema
// has no unique key for it). SQLite's immediate write transactions serialise them already.
const jurisdictionLockKey = 7_201_150_001

// lockJurisdictions takes jurisdictionLockKey for the rest of the transaction on PostgreSQL.
func (db *DB) lockJurisdictions() error {
	if db.Dialect != Postgres {
		return nil
	}
	if err := db.Exec("SELECT pg_advisory_xact_lock(?)", jurisdictionLockKey).Error; err != nil {
		return fmt.Errorf("lock jurisdictions: %w", err)
	}
	return nil
}

// nameTakenUnder reports whether another jurisdiction than except under parent is called name.
func (db *DB) nameTakenUnder(ctx context.Context, parent, name, except string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Jurisdiction{}).Where("parent_code = ? AND name = ? AND code <> ?", parent, name, except).Count(&n).Error
	return n > 0, err
}

// CreateCounty inserts j as a county-level jurisdiction under j.ParentCode, sorted after the
// parent's other children, and appends audit (when not nil, its object set to the new row) in
// the same transaction. The caller has checked the code's form and block and the parent's
// level; what a concurrent request could break is checked here, under a lock: a code already
// in use is ErrJurisdictionCodeTaken, a name already used under the parent
// ErrJurisdictionNameTaken, a parent that does not exist ErrNotFound.
func (db *DB) CreateCounty(ctx context.Context, j *Jurisdiction, audit *AuditEntry) error {
	parent := j.Parent()
	return db.Tx(ctx, func(tx *DB) error {
		if err := tx.lockJurisdictions(); err != nil {
			return err
		}
		if _, err := tx.JurisdictionByCode(ctx, j.Code); err == nil {
			return ErrJurisdictionCodeTaken
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if _, err := tx.JurisdictionByCode(ctx, parent); err != nil {
			return err
		}
		taken, err := tx.nameTakenUnder(ctx, parent, j.Name, j.Code)
		if err != nil {
			return err
		}
		if taken {
			return ErrJurisdictionNameTaken
		}
		// After the last of the parent's children, or right after the parent when it has none.
		var last int
		if err := tx.WithContext(ctx).Model(&Jurisdiction{}).Select("COALESCE(MAX(sort_order), 0)").
			Where("code = ? OR parent_code = ?", parent, parent).Scan(&last).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		j.Level, j.ReportsDirectly, j.PrecheckEnabled = LevelCounty, false, false
		j.SortOrder, j.CreatedAt, j.UpdatedAt = last+1, now, now
		if err := tx.WithContext(ctx).Create(j).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fmt.Errorf("%w (%v)", ErrJurisdictionCodeTaken, err)
			}
			return err
		}
		if audit == nil {
			return nil
		}
		audit.ObjectType, audit.ObjectID = "jurisdiction", j.Code
		return tx.AppendAudit(ctx, audit)
	})
}

// CountyChange is what UpdateCounty may change: the name and the landline area code; a nil
// field stays as it is.
type CountyChange struct {
	Name, AreaCode *string
}

// UpdateCounty renames a county-level jurisdiction and/or changes its area code, appending
// audit (when not nil, with the object and the states before and after) in the same
// transaction, and returns the row before and after. A code that is not a county is
// ErrNotFound; a name another jurisdiction under the same parent has is ErrJurisdictionNameTaken.
// A change that changes nothing writes nothing.
func (db *DB) UpdateCounty(ctx context.Context, code string, ch CountyChange, audit *AuditEntry) (before, after Jurisdiction, err error) {
	err = db.Tx(ctx, func(tx *DB) error {
		if err := tx.lockJurisdictions(); err != nil {
			return err
		}
		var err error
		if before, err = tx.JurisdictionByCode(ctx, code); err != nil {
			return err
		}
		if before.Level != LevelCounty {
			return ErrNotFound
		}
		after = before
		if ch.Name != nil {
			after.Name = *ch.Name
		}
		if ch.AreaCode != nil {
			after.AreaCode = *ch.AreaCode
		}
		if after.Name == before.Name && after.AreaCode == before.AreaCode {
			return nil
		}
		if after.Name != before.Name {
			taken, err := tx.nameTakenUnder(ctx, before.Parent(), after.Name, code)
			if err != nil {
				return err
			}
			if taken {
				return ErrJurisdictionNameTaken
			}
		}
		after.UpdatedAt = time.Now().UTC()
		if err := tx.WithContext(ctx).Model(&Jurisdiction{}).Where("code = ?", code).
			Updates(map[string]any{"name": after.Name, "area_code": after.AreaCode, "updated_at": after.UpdatedAt}).Error; err != nil {
			return err
		}
		if audit == nil {
			return nil
		}
		audit.ObjectType, audit.ObjectID = "jurisdiction", code
		audit.BeforeState = countyState(before)
		audit.AfterState = countyState(after)
		return tx.AppendAudit(ctx, audit)
	})
	return before, after, err
}

// countyState is a county's editable fields as the audit log records them.
func countyState(j Jurisdiction) string {
	return "name=" + j.Name + " area_code=" + j.AreaCode
}
