package models_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// referenceRows reads the reference CSV the models package embeds: code → row.
func referenceRows(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("jurisdictions-150000.csv")
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"code", "name", "level", "parent_code", "parent_name"}, recs[0])
	out := map[string][]string{}
	for _, r := range recs[1:] {
		out[r[0]] = r
	}
	return out
}

// The embedded copy must be the shared reference file, when that is at hand.
func TestJurisdictionCSVIsTheSharedReference(t *testing.T) {
	shared := filepath.Join("..", "..", "shared", "reference", "jurisdictions-150000.csv")
	want, err := os.ReadFile(shared)
	if err != nil {
		t.Skipf("shared reference not at hand: %v", err)
	}
	got, err := os.ReadFile("jurisdictions-150000.csv")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func requireTreeIsReference(t *testing.T, db *models.DB, ref map[string][]string) []models.Jurisdiction {
	t.Helper()
	ctx := context.Background()
	js, err := db.Jurisdictions(ctx)
	require.NoError(t, err)
	got := map[string]models.Jurisdiction{}
	for _, j := range js {
		got[j.Code] = j
	}
	for code, r := range ref {
		j, ok := got[code]
		require.True(t, ok, "reference jurisdiction %s %s missing", code, r[1])
		require.Equal(t, r[3], j.Parent(), "parent of %s", code)
		switch r[2] {
		case "region":
			require.Equal(t, models.LevelRegion, j.Level)
		case "league":
			require.Equal(t, models.LevelLeague, j.Level, code)
			require.False(t, j.ReportsDirectly, code)
		case "league_direct":
			require.Equal(t, models.LevelLeague, j.Level, code)
			require.True(t, j.ReportsDirectly, code)
		case "county":
			require.Equal(t, models.LevelCounty, j.Level, code)
		}
		if code != models.RegionCode {
			require.Regexp(t, `^04[78]\d$`, j.AreaCode, "area code of %s", code)
		}
	}
	return js
}

func TestSeededJurisdictionsEqualTheReferenceCSV(t *testing.T) {
	ref := referenceRows(t)
	require.Len(t, ref, 116)
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		js := requireTreeIsReference(t, db, ref)
		require.Len(t, js, len(ref), "count")
		counties := 0
		for _, j := range js {
			require.Equal(t, ref[j.Code][1], j.Name, "name of %s", j.Code)
			if j.Level == models.LevelCounty || j.ReportsDirectly {
				counties++
			}
		}
		require.Equal(t, 103, counties, "county-level divisions incl. the two direct cities")
		// Display order: the region, the leagues, the direct cities, then the counties by code.
		require.Equal(t, models.ReferenceJurisdictionCodes(), codesOf(js))
		// Leagues that had no county before now have theirs.
		for _, league := range []string{"150300", "150400", "150500", "150800", "150900", "152900"} {
			parents, err := db.JurisdictionParents(context.Background())
			require.NoError(t, err)
			require.Greater(t, len(models.SubtreeCodes(parents, league)), 1, league)
		}
	})
}

func codesOf(js []models.Jurisdiction) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.Code
	}
	return out
}

// oldSeed is the tree the seed held before migration 00013: the region, the leagues, the two
// direct cities and 25 counties.
var oldSeed = []struct{ code, name, level, parent string }{
	{"150000", "内蒙古自治区", "region", ""},
	{"150100", "呼和浩特市", "league", "150000"}, {"150200", "包头市", "league", "150000"},
	{"150300", "乌海市", "league", "150000"}, {"150400", "赤峰市", "league", "150000"},
	{"150500", "通辽市", "league", "150000"}, {"150600", "鄂尔多斯市", "league", "150000"},
	{"150700", "呼伦贝尔市", "league", "150000"}, {"150800", "巴彦淖尔市", "league", "150000"},
	{"150900", "乌兰察布市", "league", "150000"}, {"152200", "兴安盟", "league", "150000"},
	{"152500", "锡林郭勒盟", "league", "150000"}, {"152900", "阿拉善盟", "league", "150000"},
	{"150781", "满洲里市", "league", "150000"}, {"152501", "二连浩特市", "league", "150000"},
	{"150102", "新城区", "county", "150100"}, {"150103", "回民区", "county", "150100"},
	{"150105", "赛罕区", "county", "150100"}, {"150202", "东河区", "county", "150200"},
	{"150602", "东胜区", "county", "150600"}, {"152201", "乌兰浩特市", "county", "152200"},
}

// An existing database (schema 12, the old partial seed, an administrator's edits) gets the
// missing divisions from the migration, and keeps what the administrator did.
func TestJurisdictionMigrationUpgradesAnExistingDatabase(t *testing.T) {
	ref := referenceRows(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "app.db")
			if d == models.Postgres {
				dsn = dbtest.PostgresSchema(t)
			}
			db, err := models.Open(ctx, dsn)
			require.NoError(t, err)
			defer db.Close()
			require.NoError(t, db.MigrateTo(ctx, 12))
			now := time.Now().UTC()
			for i, s := range oldSeed {
				j := models.Jurisdiction{Code: s.code, Name: s.name, Level: s.level, ReportsDirectly: s.code == "150781" || s.code == "152501",
					AreaCode: "0471", SortOrder: i, CreatedAt: now, UpdatedAt: now}
				if s.parent != "" {
					p := s.parent
					j.ParentCode = &p
				}
				require.NoError(t, db.WithContext(ctx).Create(&j).Error)
			}
			// An administrator renamed one county and typed in one the seed lacked.
			newName := "新城区（改）"
			_, _, err = db.UpdateCounty(ctx, "150102", models.CountyChange{Name: &newName}, nil)
			require.NoError(t, err)
			p := "150300"
			require.NoError(t, db.CreateCounty(ctx, &models.Jurisdiction{Code: "150302", Name: "海勃湾区", ParentCode: &p, AreaCode: "0473"}, nil))
			p2 := "150300"
			require.NoError(t, db.CreateCounty(ctx, &models.Jurisdiction{Code: "150399", Name: "乌海试验区", ParentCode: &p2, AreaCode: "0473"}, nil))

			applied, err := db.Migrate(ctx)
			require.NoError(t, err)
			require.Contains(t, applied, int64(13))

			js := requireTreeIsReference(t, db, ref)
			require.Len(t, js, len(ref)+1, "the reference tree and the administrator's own county")
			byCode := map[string]models.Jurisdiction{}
			for _, j := range js {
				byCode[j.Code] = j
			}
			require.Equal(t, "新城区（改）", byCode["150102"].Name, "an administrator's rename stays")
			require.Equal(t, "150300", byCode["150399"].Parent())
			require.Equal(t, "0471", byCode["150105"].AreaCode, "existing rows keep their area codes")
			require.Equal(t, "0473", byCode["150303"].AreaCode, "new counties take their league's area code")
			// Seeding afterwards inserts nothing more.
			n, err := db.SeedJurisdictions(ctx)
			require.NoError(t, err)
			require.Zero(t, n)
			require.True(t, strings.HasPrefix(js[0].Code, "1500"))
		})
	}
}
