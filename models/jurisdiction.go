package models

import (
	"context"
	"errors"
	"fmt"
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

// referenceJurisdictions is the region, the 12 leagues/cities, the two county-level cities the
// region addresses directly, and the seed counties of the domain reference (GB/T 2260 codes).
var referenceJurisdictions = []seedJurisdiction{
	{"150000", "内蒙古自治区", LevelRegion, "", "", false},
	{"150100", "呼和浩特市", LevelLeague, "150000", "0471", false},
	{"150200", "包头市", LevelLeague, "150000", "0472", false},
	{"150300", "乌海市", LevelLeague, "150000", "0473", false},
	{"150400", "赤峰市", LevelLeague, "150000", "0476", false},
	{"150500", "通辽市", LevelLeague, "150000", "0475", false},
	{"150600", "鄂尔多斯市", LevelLeague, "150000", "0477", false},
	{"150700", "呼伦贝尔市", LevelLeague, "150000", "0470", false},
	{"150800", "巴彦淖尔市", LevelLeague, "150000", "0478", false},
	{"150900", "乌兰察布市", LevelLeague, "150000", "0474", false},
	{"152200", "兴安盟", LevelLeague, "150000", "0482", false},
	{"152500", "锡林郭勒盟", LevelLeague, "150000", "0479", false},
	{"152900", "阿拉善盟", LevelLeague, "150000", "0483", false},
	{"150781", "满洲里市", LevelLeague, "150000", "0470", true},
	{"152501", "二连浩特市", LevelLeague, "150000", "0479", true},
	{"150102", "新城区", LevelCounty, "150100", "0471", false},
	{"150103", "回民区", LevelCounty, "150100", "0471", false},
	{"150104", "玉泉区", LevelCounty, "150100", "0471", false},
	{"150105", "赛罕区", LevelCounty, "150100", "0471", false},
	{"150121", "土默特左旗", LevelCounty, "150100", "0471", false},
	{"150122", "托克托县", LevelCounty, "150100", "0471", false},
	{"150123", "和林格尔县", LevelCounty, "150100", "0471", false},
	{"150124", "清水河县", LevelCounty, "150100", "0471", false},
	{"150125", "武川县", LevelCounty, "150100", "0471", false},
	{"150202", "东河区", LevelCounty, "150200", "0472", false},
	{"150203", "昆都仑区", LevelCounty, "150200", "0472", false},
	{"150204", "青山区", LevelCounty, "150200", "0472", false},
	{"150205", "石拐区", LevelCounty, "150200", "0472", false},
	{"150206", "白云鄂博矿区", LevelCounty, "150200", "0472", false},
	{"150207", "九原区", LevelCounty, "150200", "0472", false},
	{"150221", "土默特右旗", LevelCounty, "150200", "0472", false},
	{"150222", "固阳县", LevelCounty, "150200", "0472", false},
	{"150223", "达尔罕茂明安联合旗", LevelCounty, "150200", "0472", false},
	{"150602", "东胜区", LevelCounty, "150600", "0477", false},
	{"150603", "康巴什区", LevelCounty, "150600", "0477", false},
	{"150622", "准格尔旗", LevelCounty, "150600", "0477", false},
	{"150627", "伊金霍洛旗", LevelCounty, "150600", "0477", false},
	{"150702", "海拉尔区", LevelCounty, "150700", "0470", false},
	{"152502", "锡林浩特市", LevelCounty, "152500", "0479", false},
	{"152201", "乌兰浩特市", LevelCounty, "152200", "0482", false},
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
