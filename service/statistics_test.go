package service

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
)

// Demo enterprises (models/seed.go): 乳业 in 赛罕区 (呼和浩特), 稀土 in 昆都仑区 (包头), 能源化工 in
// 东胜区 (鄂尔多斯).
const (
	statsDairy  = "00000000-0000-7000-8000-000000000101"
	statsRare   = "00000000-0000-7000-8000-000000000102"
	statsEnergy = "00000000-0000-7000-8000-000000000103"
)

// statsID builds a valid resident ID number: division, birth date (20060102), a sequence whose
// last digit gives the gender, and the GB 11643 check character.
func statsID(division, birth string, male bool, n int) string {
	seq := n%50*2 + 10
	if male {
		seq++
	}
	first := fmt.Sprintf("%s%s%03d", division, birth, seq)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first[i]-'0') * weights[i]
	}
	return first + string("10X98765432"[sum%11])
}

type statsCandidate struct {
	birth  string
	male   bool
	result string
}

// seedStatistics writes sittings, candidates and certificates whose statistics are worked out by
// hand in TestStatisticsOnASeededDataSet. Candidates are stored as they were before migration
// 00015 (no derived columns), so the backfill has to derive them.
func seedStatistics(t *testing.T, e *testEnv) map[string]string {
	t.Helper()
	ctx := context.Background()
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	day := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02", s, sh)
		require.NoError(t, err)
		return d.UTC()
	}
	lookups := map[string]string{}
	n := 0
	sitting := func(id, ent, jur, occ, occName string, level int, exam string, cands ...statsCandidate) {
		now := time.Now().UTC()
		require.NoError(t, e.db.Create(&models.AssessmentSession{ID: id, WorkflowID: "session-" + id, CaseID: "case-" + id, EnterpriseID: ent,
			EnterpriseName: "企业", JurisdictionCode: jur, OccupationCode: occ, OccupationName: occName, Level: level,
			ExamDate: day(exam), Site: "考场", AssessorsJSON: "[]", Status: models.SessionIssued, CreatedAt: now, UpdatedAt: now}).Error)
		for _, c := range cands {
			n++
			sealed, err := e.s.apps.sealer.Seal(statsID(jur, c.birth, c.male, n))
			require.NoError(t, err)
			name := "考生" + strconv.Itoa(n)
			lookups[name] = sealed.Lookup
			cand := models.SessionCandidate{SessionID: id, Name: name, IDCipher: sealed.Cipher, IDLookup: sealed.Lookup, IDMasked: sealed.Masked,
				Employee: true, CreatedAt: now, UpdatedAt: now}
			require.NoError(t, e.db.AddCandidate(ctx, &cand))
			require.NoError(t, e.db.Model(&models.SessionCandidate{}).Where("id = ?", cand.ID).Update("result", c.result).Error)
		}
	}
	// 呼和浩特 (赛罕区): 四级 on 15 March, 三级 on 1 June (midnight in Shanghai is still 31 May in UTC).
	sitting("s1", statsDairy, "150105", "6-02-04-02", "乳品评鉴师", 4, "2026-03-15",
		statsCandidate{"20020316", true, "pass"},  // 23 on the exam day (birthday the next day): under 25
		statsCandidate{"20010315", false, "fail"}, // 25 that very day: 25–34
		statsCandidate{"19800101", true, "pending"})
	sitting("s2", statsDairy, "150105", "6-02-04-02", "乳品评鉴师", 3, "2026-06-01",
		statsCandidate{"19900601", false, "pass"}, // 36: 35–44
		statsCandidate{"19710602", true, "pass"})  // 54: 45–54
	// 包头 (昆都仑区): 二级 on 20 June.
	sitting("s3", statsRare, "150203", "6-11-01-01", "稀土冶炼工", 2, "2026-06-20",
		statsCandidate{"19700101", true, "pass"},  // 56: 55 and over
		statsCandidate{"19951231", false, "fail"}) // 30: 25–34
	// Outside 2026: not counted.
	sitting("s4", statsEnergy, "150602", "6-11-01-01", "稀土冶炼工", 5, "2027-01-10", statsCandidate{"19900101", true, "pass"})
	sitting("s5", statsRare, "150203", "6-11-01-01", "稀土冶炼工", 3, "2025-12-31", statsCandidate{"19900101", false, "pass"})

	serial := 0
	cert := func(ent, holder string, level int, issued, status string) {
		serial++
		d, err := time.Parse("2006-01-02", issued)
		require.NoError(t, err)
		require.NoError(t, e.db.Create(&models.Certificate{ID: models.NewID(), Number: fmt.Sprintf("Y0000150001232630%05d", serial),
			EnterpriseID: ent, CandidateKey: "k" + strconv.Itoa(serial), HolderName: holder, IDCipher: "x", IDLookup: lookups[holder],
			IDMasked: "x", OccupationCode: "6-02-04-02", OccupationName: "乳品评鉴师", WorkType: "--", Level: validate.Level(level),
			IssueDate: d, IssuerName: "企业", Status: status, Token: "t" + strconv.Itoa(serial), Signature: "s", CreatedAt: time.Now().UTC()}).Error)
	}
	cert(statsDairy, "考生4", 3, "2026-06-10", models.CertificateValid)
	cert(statsDairy, "考生5", 3, "2026-06-10", models.CertificateValid)
	cert(statsRare, "考生6", 2, "2026-07-01", models.CertificateValid)
	cert(statsRare, "考生6", 1, "2026-08-01", models.CertificateValid)   // the same holder again: one person
	cert(statsDairy, "考生1", 4, "2026-03-20", models.CertificateValid)  // 四级: not highly skilled
	cert(statsRare, "考生7", 3, "2026-07-01", models.CertificateRevoked) // revoked
	cert(statsDairy, "考生9", 3, "2025-12-31", models.CertificateValid)  // before the period
	return lookups
}

type statsWant struct{ cand, assessed, passed int64 }

func requireRow(t *testing.T, tab StatsTable, key string, want statsWant, rate float64) {
	t.Helper()
	for _, r := range tab.Rows {
		if r.Key == key {
			require.Equal(t, want, statsWant{r.Candidates, r.Assessed, r.Passed}, "%s %s", tab.Dimension, key)
			require.InDelta(t, rate, r.PassRate, 0.0001, "%s %s pass rate", tab.Dimension, key)
			return
		}
	}
	t.Fatalf("%s: no row %q in %+v", tab.Dimension, key, tab.Rows)
}

func TestStatisticsOnASeededDataSet(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			e := newTestEnv(t, dbtest.New(t, d))
			sh, _ := time.LoadLocation("Asia/Shanghai")
			e.s.cfg.Location = sh
			ctx := context.Background()
			seedStatistics(t, e)
			year := StatsQuery{From: "2026-01-01", To: "2026-12-31"}

			// Before the backfill nobody's gender or age is known; nothing is opened per request.
			st, err := e.s.Statistics(ctx, e.actor("region"), year)
			require.NoError(t, err)
			requireRow(t, st.Table(StatsByGender), "", statsWant{7, 6, 4}, 66.6)
			requireRow(t, st.Table(StatsByAgeBand), "unknown", statsWant{7, 6, 4}, 66.6)

			n, err := e.s.BackfillCandidateStats(ctx)
			require.NoError(t, err)
			require.Equal(t, 9, n)
			n, err = e.s.BackfillCandidateStats(ctx)
			require.NoError(t, err)
			require.Zero(t, n, "a second backfill has nothing left to do")

			st, err = e.s.Statistics(ctx, e.actor("region"), year)
			require.NoError(t, err)
			require.Equal(t, "2026-01-01", st.From)
			require.Equal(t, "2026-12-31", st.To)
			require.Equal(t, statsWant{7, 6, 4}, statsWant{st.Totals.Candidates, st.Totals.Assessed, st.Totals.Passed})
			require.InDelta(t, 66.6, st.Totals.PassRate, 0.0001)

			occ := st.Table(StatsByOccupation)
			require.Len(t, occ.Rows, 2)
			requireRow(t, occ, "6-02-04-02", statsWant{5, 4, 3}, 75)
			requireRow(t, occ, "6-11-01-01", statsWant{2, 2, 1}, 50)

			lvl := st.Table(StatsByLevel)
			require.Len(t, lvl.Rows, 5)
			require.Equal(t, "五级/初级工", lvl.Rows[0].Name)
			requireRow(t, lvl, "5", statsWant{0, 0, 0}, 0)
			requireRow(t, lvl, "4", statsWant{3, 2, 1}, 50)
			requireRow(t, lvl, "3", statsWant{2, 2, 2}, 100)
			requireRow(t, lvl, "2", statsWant{2, 2, 1}, 50)
			requireRow(t, lvl, "1", statsWant{0, 0, 0}, 0)

			lg := st.Table(StatsByLeague)
			require.Len(t, lg.Rows, 14, "every league and city under the region, with or without sittings")
			requireRow(t, lg, "150100", statsWant{5, 4, 3}, 75)
			requireRow(t, lg, "150200", statsWant{2, 2, 1}, 50)
			requireRow(t, lg, "150600", statsWant{0, 0, 0}, 0)

			gen := st.Table(StatsByGender)
			require.Len(t, gen.Rows, 2)
			requireRow(t, gen, "M", statsWant{4, 3, 3}, 100)
			requireRow(t, gen, "F", statsWant{3, 3, 1}, 33.3)

			age := st.Table(StatsByAgeBand)
			require.Len(t, age.Rows, 5)
			requireRow(t, age, "under25", statsWant{1, 1, 1}, 100)
			requireRow(t, age, "25-34", statsWant{2, 2, 0}, 0)
			requireRow(t, age, "35-44", statsWant{1, 1, 1}, 100)
			requireRow(t, age, "45-54", statsWant{2, 1, 1}, 100)
			requireRow(t, age, "55plus", statsWant{1, 1, 1}, 100)

			mon := st.Table(StatsByMonth)
			require.Len(t, mon.Rows, 12)
			requireRow(t, mon, "2026-03", statsWant{3, 2, 1}, 50)
			requireRow(t, mon, "2026-05", statsWant{0, 0, 0}, 0)
			requireRow(t, mon, "2026-06", statsWant{4, 4, 3}, 75)

			require.Equal(t, int64(4), st.HighSkill.Certificates)
			require.Equal(t, int64(3), st.HighSkill.Holders)
			require.Equal(t, []StatsCount{{"3", "三级/高级工", 2}, {"2", "二级/技师", 1}, {"1", "一级/高级技师", 1}}, st.HighSkill.ByLevel)
			hg := map[string]int64{}
			for _, c := range st.HighSkill.ByLeague {
				hg[c.Key] = c.Count
			}
			require.Equal(t, int64(2), hg["150100"])
			require.Equal(t, int64(2), hg["150200"])

			// The centre sees the region's figures too.
			cst, err := e.s.Statistics(ctx, e.actor("centre"), year)
			require.NoError(t, err)
			require.Equal(t, st.Totals, cst.Totals)

			// A league official sees its league only.
			hst, err := e.s.Statistics(ctx, e.actor("hohhot"), year)
			require.NoError(t, err)
			require.Equal(t, statsWant{5, 4, 3}, statsWant{hst.Totals.Candidates, hst.Totals.Assessed, hst.Totals.Passed})
			require.Len(t, hst.Table(StatsByLeague).Rows, 1)
			requireRow(t, hst.Table(StatsByLeague), "150100", statsWant{5, 4, 3}, 75)
			require.Len(t, hst.Table(StatsByOccupation).Rows, 1)
			requireRow(t, hst.Table(StatsByGender), "M", statsWant{3, 2, 2}, 100)
			requireRow(t, hst.Table(StatsByGender), "F", statsWant{2, 2, 1}, 50)
			require.Equal(t, int64(2), hst.HighSkill.Certificates)
			require.Equal(t, int64(2), hst.HighSkill.Holders)
			bst, err := e.s.Statistics(ctx, e.actor("baotou"), year)
			require.NoError(t, err)
			require.Equal(t, statsWant{2, 2, 1}, statsWant{bst.Totals.Candidates, bst.Totals.Assessed, bst.Totals.Passed})
			require.Equal(t, int64(2), bst.HighSkill.Certificates)
			require.Equal(t, int64(1), bst.HighSkill.Holders)

			// A county sees its county: 赛罕区 holds the dairy, 新城区 nothing.
			sst, err := e.s.Statistics(ctx, e.actor("saihan"), year)
			require.NoError(t, err)
			require.Equal(t, int64(5), sst.Totals.Candidates)
			requireRow(t, sst.Table(StatsByLeague), "150100", statsWant{5, 4, 3}, 75)
			xst, err := e.s.Statistics(ctx, e.actor("xincheng"), year)
			require.NoError(t, err)
			require.Zero(t, xst.Totals.Candidates)
			require.Zero(t, xst.HighSkill.Certificates)

			// A narrower period: June only.
			jst, err := e.s.Statistics(ctx, e.actor("region"), StatsQuery{From: "2026-06-01", To: "2026-06-30"})
			require.NoError(t, err)
			require.Equal(t, statsWant{4, 4, 3}, statsWant{jst.Totals.Candidates, jst.Totals.Assessed, jst.Totals.Passed})
			require.Len(t, jst.Table(StatsByMonth).Rows, 1)
			require.Equal(t, int64(2), jst.HighSkill.Certificates)

			// The workbook holds the same tables: read it back.
			b, name, err := e.s.StatisticsXLSX(ctx, e.actor("region"), year)
			require.NoError(t, err)
			require.Equal(t, "内蒙古自治区职业技能等级认定统计表（2026-01-01至2026-12-31）.xlsx", name)
			requireStatsWorkbook(t, b)

			// Enterprises, experts and supervisors have no statistics; bad periods are refused.
			for _, u := range []string{"dairy", "expert1", "supervisor1"} {
				_, err := e.s.Statistics(ctx, e.actor(u), year)
				require.Equal(t, http.StatusForbidden, ToError(err).Status, u)
			}
			_, err = e.s.Statistics(ctx, e.actor("region"), StatsQuery{From: "2026-12-01", To: "2026-01-01"})
			require.Equal(t, http.StatusUnprocessableEntity, ToError(err).Status)
			_, err = e.s.Statistics(ctx, e.actor("region"), StatsQuery{From: "2026-13-01"})
			require.Equal(t, http.StatusUnprocessableEntity, ToError(err).Status)
		})
	}
}

// requireStatsWorkbook reads the region's workbook of the seeded data set back.
func requireStatsWorkbook(t *testing.T, b []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{"概况", "按职业（工种）", "按等级", "按盟市", "按性别", "按年龄段（考核当日）", "按月份（考核日期）",
		"高技能人才按等级", "高技能人才按盟市"}, f.GetSheetList())
	rows, err := f.GetRows("概况")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"内蒙古自治区职业技能等级认定统计表"}, {"统计期间", "2026-01-01 至 2026-12-31"},
		{"统计范围", "内蒙古自治区"}, {"报名人数", "7"}, {"已出结果人数", "6"}, {"合格人数", "4"}, {"合格率（%）", "66.6"},
		{"高技能人才证书数（三级及以上）", "4"}, {"高技能人才人数（三级及以上）", "3"}}, rows)
	rows, err = f.GetRows("按性别")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"内蒙古自治区职业技能等级认定统计表（按性别）"}, {"分组", "报名人数", "已出结果人数", "合格人数", "合格率（%）"},
		{"男", "4", "3", "3", "100.0"}, {"女", "3", "3", "1", "33.3"}, {"合计", "7", "6", "4", "66.6"}}, rows)
	rows, err = f.GetRows("按年龄段（考核当日）")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"25岁以下", "1", "1", "1", "100.0"}, {"25—34岁", "2", "2", "0", "0.0"}, {"35—44岁", "1", "1", "1", "100.0"},
		{"45—54岁", "2", "1", "1", "100.0"}, {"55岁及以上", "1", "1", "1", "100.0"}, {"合计", "7", "6", "4", "66.6"}}, rows[2:])
	rows, err = f.GetRows("按等级")
	require.NoError(t, err)
	require.Equal(t, []string{"四级/中级工", "3", "2", "1", "50.0"}, rows[3])
	v, err := f.GetCellValue("按等级", "B4", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.Equal(t, "3", v, "counts are numbers")
	typ, err := f.GetCellType("按等级", "B4")
	require.NoError(t, err)
	require.NotEqual(t, excelize.CellTypeSharedString, typ)
	rows, err = f.GetRows("按盟市")
	require.NoError(t, err)
	require.Len(t, rows, 2+14+1)
	require.Equal(t, []string{"呼和浩特市", "5", "4", "3", "75.0"}, rows[2])
	rows, err = f.GetRows("高技能人才按等级")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"三级/高级工", "2"}, {"二级/技师", "1"}, {"一级/高级技师", "1"}, {"合计", "4"}}, rows[2:])
}
