package models

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const jurisdictionMigration = "migrations/00013_jurisdictions_all.sql"

// jurisdictionMigrationSQL is migration 00013 as written from the reference CSV: it inserts
// the reference jurisdictions a database lacks and puts the reference rows in display order;
// rows an administrator added or renamed keep their names and area codes.
func jurisdictionMigrationSQL() string {
	var b strings.Builder
	b.WriteString("-- +goose Up\n")
	b.WriteString("-- Every county-level division of the reference tree (models/jurisdictions-150000.csv, a copy of\n")
	b.WriteString("-- shared/reference/jurisdictions-150000.csv). Written by TestJurisdictionMigrationMatchesReference\n")
	b.WriteString("-- (SKILLCERT_UPDATE_GOLDEN=1 rewrites it). Existing rows are left as they are, apart from their\n")
	b.WriteString("-- place in the display order; 满洲里市 and 二连浩特市 stay under the region.\n")
	b.WriteString("INSERT INTO jurisdictions (code, name, level, parent_code, reports_directly, area_code, precheck_enabled, sort_order, created_at, updated_at) VALUES\n")
	for i, s := range referenceJurisdictions {
		parent := "NULL"
		if s.parent != "" {
			parent = "'" + s.parent + "'"
		}
		sep := ","
		if i == len(referenceJurisdictions)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "('%s', '%s', '%s', %s, %t, '%s', FALSE, %d, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)%s\n",
			s.code, s.name, s.level, parent, s.direct, s.area, i, sep)
	}
	b.WriteString("ON CONFLICT (code) DO NOTHING;\n\n")
	b.WriteString("UPDATE jurisdictions SET sort_order = CASE code\n")
	codes := make([]string, len(referenceJurisdictions))
	for i, s := range referenceJurisdictions {
		fmt.Fprintf(&b, "    WHEN '%s' THEN %d\n", s.code, i)
		codes[i] = "'" + s.code + "'"
	}
	b.WriteString("    ELSE sort_order END\nWHERE code IN (")
	for i := 0; i < len(codes); i += 12 {
		end := min(i+12, len(codes))
		if i > 0 {
			b.WriteString(",\n    ")
		}
		b.WriteString(strings.Join(codes[i:end], ", "))
	}
	b.WriteString(");\n\n-- +goose Down\n-- The divisions stay: enterprises and accounts may refer to them.\nSELECT 1;\n")
	return b.String()
}

func TestJurisdictionMigrationMatchesReference(t *testing.T) {
	want := jurisdictionMigrationSQL()
	if os.Getenv("SKILLCERT_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(jurisdictionMigration, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(jurisdictionMigration)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s differs from the reference CSV; rerun with SKILLCERT_UPDATE_GOLDEN=1", jurisdictionMigration)
	}
}

func TestReferenceJurisdictionsAreTheCSV(t *testing.T) {
	// 1 region + 12 leagues + 2 direct cities + 101 counties (shared/reference/jurisdictions-150000.md).
	if len(referenceJurisdictions) != 116 {
		t.Fatalf("reference jurisdictions: %d, want 116", len(referenceJurisdictions))
	}
	levels := map[string]int{}
	for _, s := range referenceJurisdictions {
		levels[s.level]++
		if s.level != LevelRegion && s.area == "" {
			t.Errorf("%s %s has no area code", s.code, s.name)
		}
		if s.direct && s.parent != RegionCode {
			t.Errorf("%s reports directly but its parent is %s", s.code, s.parent)
		}
	}
	if levels[LevelRegion] != 1 || levels[LevelLeague] != 14 || levels[LevelCounty] != 101 {
		t.Fatalf("levels %v", levels)
	}
}
