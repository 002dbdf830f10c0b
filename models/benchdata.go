package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"skillcert/models/validate"
)

// SeedBenchTasks fills the tasks table with open and closed tasks spread evenly over the
// counties, a third each waiting on the county, its league and the region, due over the next
// and past 90 days. It generates rows inside PostgreSQL (generate_series), for benchmarks only.
func (db *DB) SeedBenchTasks(ctx context.Context, counties []string, parents map[string]string, open, closed int) error {
	if db.Dialect != Postgres {
		return errors.New("bench data needs PostgreSQL")
	}
	quote := func(xs []string) string {
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = "'" + strings.ReplaceAll(x, "'", "") + "'"
		}
		return "ARRAY[" + strings.Join(q, ",") + "]"
	}
	leagues := make([]string, len(counties))
	for i, c := range counties {
		leagues[i] = parents[c]
	}
	insert := func(from, n int, status string) error {
		sql := fmt.Sprintf(`
WITH c AS (SELECT %s AS counties, %s AS leagues)
INSERT INTO tasks (id, workflow_id, case_id, kind, title, stage, candidate_role, candidate_domain, jurisdiction_code, league_code,
  enterprise_name, campaign_id, batch, assignee_id, status, sla_state, due_at, escalated, outcome, reasons, decided_by, request_key,
  version, created_at, updated_at)
SELECT 'bench-' || g, 'case-bench-' || (g / 3), 'bench-' || (g / 3),
  (ARRAY['county_precheck','league_review','region_decision'])[1 + g %% 3], '基准测试待办 ' || g, 'league_review',
  (ARRAY['county_official','league_official','region_official'])[1 + g %% 3],
  CASE g %% 3 WHEN 0 THEN c.counties[1 + (g / 3) %% cardinality(c.counties)] WHEN 1 THEN c.leagues[1 + (g / 3) %% cardinality(c.counties)] ELSE '150000' END,
  c.counties[1 + (g / 3) %% cardinality(c.counties)], c.leagues[1 + (g / 3) %% cardinality(c.counties)],
  '基准企业 ' || (g / 3), '2027', 1 + g %% 2, '', ?, 'on_time',
  now() AT TIME ZONE 'UTC' + ((g %% 180) - 90) * interval '1 day' + (g %% 86400) * interval '1 second', 0, '', '', '', '', 1,
  now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
FROM generate_series(?::bigint, ?::bigint) AS g, c`, quote(counties), quote(leagues))
		return db.WithContext(ctx).Exec(sql, status, from, from+n-1).Error
	}
	return db.bulkLoad(ctx, "tasks", func() error {
		for from := 1; from <= open; from += benchChunk {
			if err := insert(from, min(benchChunk, open-from+1), TaskOpen); err != nil {
				return fmt.Errorf("seed open tasks: %w", err)
			}
		}
		for from := open + 1; from <= open+closed; from += benchChunk {
			if err := insert(from, min(benchChunk, open+closed-from+1), TaskDone); err != nil {
				return fmt.Errorf("seed closed tasks: %w", err)
			}
		}
		return nil
	})
}

// benchChunk is how many rows one INSERT … SELECT generate_series of the bench data writes.
const benchChunk = 1_000_000

// bulkLoad runs load with table's secondary indexes and constraints out of the way (dropped
// before, rebuilt after from their saved definitions: one sorted build per index instead of
// one index insertion per row), then VACUUM ANALYZEs the table so that index-only scans see
// an all-visible map. The primary key stays when another table references it.
func (db *DB) bulkLoad(ctx context.Context, table string, load func() error) error {
	g := db.WithContext(ctx)
	type def struct{ Name, Def string }
	var constraints, indexes []def
	// Constraints first (unique, foreign key, primary key when unreferenced); then the plain
	// indexes, which no constraint owns.
	if err := g.Raw(`SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
		WHERE c.conrelid = ?::regclass AND c.contype IN ('u', 'f', 'p')
		  AND NOT (c.contype = 'p' AND EXISTS (SELECT 1 FROM pg_constraint r WHERE r.confrelid = c.conrelid))
		ORDER BY c.contype DESC`, table).Scan(&constraints).Error; err != nil {
		return err
	}
	if err := g.Raw(`SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = ?::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`, table).Scan(&indexes).Error; err != nil {
		return err
	}
	for _, c := range constraints {
		if err := g.Exec(fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %q`, table, c.Name)).Error; err != nil {
			return err
		}
	}
	for _, i := range indexes {
		if err := g.Exec(fmt.Sprintf(`DROP INDEX %q`, i.Name)).Error; err != nil {
			return err
		}
	}
	if err := load(); err != nil {
		return err
	}
	// One connection for the rebuild, so that its session settings hold for every statement.
	return g.Connection(func(c *gorm.DB) error {
		if err := c.Exec(`SET maintenance_work_mem = '512MB'`).Error; err != nil {
			return err
		}
		// Primary key, unique constraints, then foreign keys (the reverse of the drop).
		for k := len(constraints) - 1; k >= 0; k-- {
			if err := c.Exec(fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %q %s`, table, constraints[k].Name, constraints[k].Def)).Error; err != nil {
				return fmt.Errorf("rebuild %s: %w", constraints[k].Name, err)
			}
		}
		for _, i := range indexes {
			if err := c.Exec(i.Def).Error; err != nil {
				return fmt.Errorf("rebuild %s: %w", i.Name, err)
			}
		}
		return c.Exec("VACUUM ANALYZE " + table).Error
	})
}

// BenchCertificateNumber is the number SeedBenchCertificates gives certificate g: 100 sites,
// five levels and serials, so every g below 500 million has its own well-formed number.
func BenchCertificateNumber(g int) string {
	return fmt.Sprintf("Y000015%06d26%d%06d", g%100, (g/100)%5+1, g/500)
}

// BenchHolderName is the holder's name SeedBenchCertificates gives certificate g; the public
// query takes it with the number.
func BenchHolderName(g int) string { return fmt.Sprintf("考生%d", g) }

// SeedBenchCertificates inserts n valid certificates of one enterprise, numbered by
// BenchCertificateNumber, inside PostgreSQL (generate_series), for benchmarks only.
func (db *DB) SeedBenchCertificates(ctx context.Context, enterpriseID string, n int) error {
	if db.Dialect != Postgres {
		return errors.New("bench data needs PostgreSQL")
	}
	return db.bulkLoad(ctx, "certificates", func() error {
		for from := 0; from < n; from += benchChunk {
			if err := db.seedBenchCertificates(ctx, enterpriseID, from, min(from+benchChunk, n)-1); err != nil {
				return err
			}
		}
		return nil
	})
}

// seedBenchCertificates inserts the certificates from..to (inclusive).
func (db *DB) seedBenchCertificates(ctx context.Context, enterpriseID string, from, to int) error {
	err := db.WithContext(ctx).Exec(`
INSERT INTO certificates (id, number, enterprise_id, case_id, session_id, candidate_key, holder_name, id_cipher, id_lookup, id_masked,
  occupation_code, occupation_name, work_type, level, issue_date, issuer_name, status, revoke_reason, token, signature, created_at)
SELECT 'bench-' || g, 'Y000015' || lpad((g % 100)::text, 6, '0') || '26' || ((g / 100) % 5 + 1)::text || lpad((g / 500)::text, 6, '0'),
  ?, '', 'bench', 'bench-' || g, '考生' || g, 'sealed', md5(g::text), '150102********000X', '6-31-01-03', '电工', '--',
  (g / 100) % 5 + 1, now() AT TIME ZONE 'UTC', '基准企业', 'valid', '', 'tok' || g, 'sig', now() AT TIME ZONE 'UTC'
FROM generate_series(?::bigint, ?::bigint) AS g`, enterpriseID, from, to).Error
	if err != nil {
		return fmt.Errorf("seed certificates: %w", err)
	}
	return nil
}

// BenchEnterprise is an enterprise account created for the lifecycle benchmark.
type BenchEnterprise struct {
	// Seq is the enterprise's number (1, 2, …; 0 for a demo enterprise taken the same way).
	Seq                                                 int
	Username, Name, CreditCode, County, League, Address string
}

// benchCounties are the counties the lifecycle benchmark's enterprises are spread over, one
// in each league that has a demo official (呼和浩特, 包头, 鄂尔多斯).
var benchCounties = []struct{ county, league, city, short string }{
	{"150105", "150100", "呼和浩特市赛罕区", "呼和浩特"}, {"150203", "150200", "包头市昆都仑区", "包头"}, {"150602", "150600", "鄂尔多斯市东胜区", "鄂尔多斯"},
}

// BenchEnterprises describes the first n benchmark enterprises: names, valid unified social
// credit codes and counties, spread round-robin over three leagues.
func BenchEnterprises(n int) []BenchEnterprise { return BenchEnterprisesFrom(1, n) }

// BenchEnterprisesFrom describes n benchmark enterprises numbered from first on (1 ≤ first,
// first+n ≤ 100,000): a benchmark against a deployment that has earlier ones starts past them.
func BenchEnterprisesFrom(first, n int) []BenchEnterprise {
	out := make([]BenchEnterprise, n)
	for k := range out {
		i := first - 1 + k
		c := benchCounties[i%len(benchCounties)]
		code := fmt.Sprintf("91%sMA0B%05d", c.county, i+1)
		check, err := validate.CreditCodeCheckChar(code)
		if err != nil {
			panic(err) // the pattern above is always well formed
		}
		out[k] = BenchEnterprise{Seq: i + 1, Username: fmt.Sprintf("bench%04d", i+1), Name: fmt.Sprintf("%s基准测试%04d有限公司", c.short, i+1),
			CreditCode: code + string(check), County: c.county, League: c.league, Address: fmt.Sprintf("%s基准路%d号", c.city, i+1)}
	}
	return out
}

// SeedBenchEnterprises creates the first n benchmark enterprises and their enterprise-user
// accounts (username benchNNNN) with one password; those that exist are left as they are.
func (db *DB) SeedBenchEnterprises(ctx context.Context, n int, password string) ([]BenchEnterprise, error) {
	es := BenchEnterprises(n)
	probe := User{}
	if err := probe.SetPassword(password); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	err := db.Tx(ctx, func(tx *DB) error {
		for _, e := range es {
			if _, err := tx.UserByUsername(ctx, e.Username); err == nil {
				continue
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			ent := Enterprise{Name: e.Name, CreditCode: e.CreditCode, JurisdictionCode: e.County, Address: e.Address, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateEnterprise(ctx, &ent); err != nil {
				return fmt.Errorf("bench enterprise %s: %w", e.Name, err)
			}
			u := User{Username: e.Username, DisplayName: e.Name + " 人力资源部", Role: RoleEnterpriseUser, Active: true,
				PasswordHash: probe.PasswordHash, EnterpriseID: &ent.ID}
			if err := tx.CreateUser(ctx, &u); err != nil {
				return fmt.Errorf("bench user %s: %w", e.Username, err)
			}
		}
		return nil
	})
	return es, err
}
