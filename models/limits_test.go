package models_test

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// column is one column of the migrated schema: its size for a bounded VARCHAR(n), 0 for an
// unbounded one (TEXT).
type column struct {
	varchar bool
	size    int
}

var varcharSize = regexp.MustCompile(`(?i)^(?:VARCHAR|CHARACTER VARYING)\s*\((\d+)\)$`)

// textColumns reads every text column of the migrated schema, "table.column" → column:
// information_schema on PostgreSQL, the declared types on SQLite.
func textColumns(t *testing.T, db *models.DB) map[string]column {
	t.Helper()
	ctx := context.Background()
	out := map[string]column{}
	if db.Dialect == models.Postgres {
		var rows []struct {
			TableName, ColumnName, DataType string
			CharacterMaximumLength          *int
		}
		require.NoError(t, db.WithContext(ctx).Raw(`SELECT table_name, column_name, data_type, character_maximum_length
			FROM information_schema.columns WHERE table_schema = current_schema() AND data_type IN ('character varying', 'text')`).
			Scan(&rows).Error)
		for _, r := range rows {
			c := column{varchar: r.DataType == "character varying"}
			if r.CharacterMaximumLength != nil {
				c.size = *r.CharacterMaximumLength
			}
			out[r.TableName+"."+r.ColumnName] = c
		}
		return out
	}
	var tables []string
	require.NoError(t, db.WithContext(ctx).Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`).
		Scan(&tables).Error)
	for _, tbl := range tables {
		var cols []struct {
			Name, Type string
		}
		require.NoError(t, db.WithContext(ctx).Raw(`SELECT name, type FROM pragma_table_info(?)`, tbl).Scan(&cols).Error)
		for _, c := range cols {
			if m := varcharSize.FindStringSubmatch(strings.TrimSpace(c.Type)); m != nil {
				n, _ := strconv.Atoi(m[1])
				out[tbl+"."+c.Name] = column{varchar: true, size: n}
			} else if strings.EqualFold(c.Type, "TEXT") {
				out[tbl+"."+c.Name] = column{}
			}
		}
	}
	return out
}

// The input limits of package domain size the columns: every column a free-text field is
// stored in holds the field's longest value, and every bounded column is declared, either
// under a field or as a system column, so a new column cannot go unchecked.
func TestInputLimitsFitTheColumns(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		cols := textColumns(t, db)
		require.NotEmpty(t, cols)
		declared := map[string]string{}
		for _, f := range domain.Texts {
			for _, name := range f.Columns {
				c, ok := cols[name]
				if !ok {
					t.Errorf("%s: declared column %s is not in the schema", f.Label, name)
					continue
				}
				if c.varchar && c.size < f.Max {
					t.Errorf("%s holds %d characters, but %s allows %d: widen the column (migration) or lower the limit",
						name, c.size, f.Label, f.Max)
				}
				declared[name] = f.Label
			}
		}
		for _, name := range domain.SystemColumns {
			if _, ok := cols[name]; !ok {
				t.Errorf("system column %s is not in the schema", name)
			}
			if prev, ok := declared[name]; ok {
				t.Errorf("%s is declared both as system column and under %s", name, prev)
			}
			declared[name] = "system"
		}
		var missing []string
		for name, c := range cols {
			if c.varchar && declared[name] == "" {
				missing = append(missing, name+"("+strconv.Itoa(c.size)+")")
			}
		}
		sort.Strings(missing)
		require.Empty(t, missing, "bounded columns without an input limit or a system-column entry in package domain")
	})
}
