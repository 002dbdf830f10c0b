package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Jurisdiction levels.
const (
	LevelRegion = "region"
	LevelLeague = "league"
	LevelCounty = "county"
)

// RegionCode is the root of the jurisdiction tree, 内蒙古自治区.
const RegionCode = "150000"

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
