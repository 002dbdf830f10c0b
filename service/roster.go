package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// The officials' roster (人员名单) brings a region's officials in at bootstrap: one account a
// row — 用户名, 姓名, 角色, 辖区代码, 手机号, 工号 — from an XLSX workbook (first sheet) or a
// UTF-8 CSV file. Every row is checked before anything is written: one faulty row refuses the
// whole file, every fault named by its row. A row whose account exists already with the same
// role and jurisdiction is left unchanged, so a roster can be imported again.

// rosterColumns are the roster's columns, in order.
var rosterColumns = []string{"用户名", "姓名", "角色", "辖区代码", "手机号", "工号"}

// maxRosterRows bounds a roster.
const maxRosterRows = 5000

// rosterRoles are the roles a roster may create (not the 三员, which seed creates, nor
// enterprise accounts, which enterprises register themselves).
var rosterRoles = []string{models.RoleRegionOfficial, models.RoleRegionCentre, models.RoleLeagueOfficial,
	models.RoleCountyOfficial, models.RoleExpert, models.RoleSupervisor}

// RosterAccount is an account the roster created, with its one-time initial code (valid for one
// login within domain.ResetCodeTTL, then changed by its holder). The code is shown once and
// never stored in the clear or logged.
type RosterAccount struct {
	Row           int
	Username      string
	Role          string
	Jurisdiction  string
	InitialCode   string
	CodeExpiresAt time.Time
}

// RosterResult is what an import did.
type RosterResult struct {
	Created   []RosterAccount
	Unchanged []string
}

type rosterRow struct {
	n                                                           int
	username, name, role, roleText, jurisdiction, mobile, staff string
}

// ImportOfficials creates the roster's accounts (user:manage, as CreateUser). All rows are
// checked first; any fault refuses the file and nothing is created. Each new account gets a
// one-time initial code and must set its own password at its first login.
func (s *Service) ImportOfficials(ctx context.Context, a *Actor, filename string, data []byte) (RosterResult, error) {
	if err := s.mayManageUsers(ctx, a); err != nil {
		return RosterResult{}, err
	}
	rows, ferr := readRoster(filename, data)
	if ferr != nil {
		return RosterResult{}, Invalid(validate.Errors{*ferr})
	}
	var errs validate.Errors
	var res RosterResult
	var create []rosterRow
	seen, seenStaff := map[string]int{}, map[string]int{}
	for _, r := range rows {
		prefix := fmt.Sprintf("rows[%d].", r.n)
		var rowErrs validate.Errors
		checkUsername(&rowErrs, "username", r.username)
		if r.name == "" {
			rowErrs.Add("display_name", "required", "请填写姓名。")
		} else {
			domain.PersonName.Add(&rowErrs, "display_name", r.name)
		}
		if err := validate.CheckMobile(r.mobile); err != nil {
			rowErrs.Add("phone", validate.CodeOf(err), err.Error()+"。")
		}
		if r.staff != "" {
			if err := domain.CheckStaffID(r.staff); err != nil {
				rowErrs.Add("staff_id", "invalid_staff_id", err.Error()+"。")
			}
		}
		switch {
		case r.role == "":
			rowErrs.Add("role", "required", "请填写角色。")
		case !slices.Contains(rosterRoles, r.role):
			rowErrs.Add("role", "unknown_role", "角色“"+clipRunes(r.roleText, 16)+"”不能由名单导入，应为"+rosterRoleNames()+"之一。")
		default:
			s.grantFor(ctx, r.role, r.jurisdiction, "", &rowErrs)
		}
		if first, dup := seen[r.username]; dup && r.username != "" {
			rowErrs.Add("username", "duplicate", fmt.Sprintf("用户名 %s 与第 %d 行重复。", r.username, first))
		} else {
			seen[r.username] = r.n
		}
		if first, dup := seenStaff[r.staff]; dup && r.staff != "" {
			rowErrs.Add("staff_id", "duplicate", fmt.Sprintf("工号 %s 与第 %d 行重复。", r.staff, first))
		} else {
			seenStaff[r.staff] = r.n
		}
		unchanged := false
		if len(rowErrs) == 0 {
			u, err := s.db.UserByUsername(ctx, r.username)
			switch {
			case err == nil && u.Role == r.role && u.Jurisdiction() == r.jurisdiction:
				unchanged = true
			case err == nil:
				rowErrs.Add("username", "taken", fmt.Sprintf("用户名 %s 已被另一账户使用（%s，%s），与名单不符；请改用其他用户名或先核对该账户。",
					r.username, models.RoleNames[u.Role], u.Jurisdiction()))
			case !isNotFound(err):
				return RosterResult{}, err
			}
			if r.staff != "" && !unchanged {
				// The staff ID links a platform login to one account (users.staff_id is unique).
				switch other, err := s.db.UserByStaffID(ctx, r.staff); {
				case err == nil:
					rowErrs.Add("staff_id", "taken", fmt.Sprintf("工号 %s 已登记在账户 %s 上；一个工号只对应一个账户。", r.staff, other.Username))
				case !isNotFound(err):
					return RosterResult{}, err
				}
			}
		}
		for _, e := range rowErrs {
			errs.Add(prefix+e.Field, e.Code, fmt.Sprintf("第 %d 行：%s", r.n, e.Message))
		}
		switch {
		case len(rowErrs) > 0:
		case unchanged:
			res.Unchanged = append(res.Unchanged, r.username)
		default:
			create = append(create, r)
		}
	}
	if len(errs) > 0 {
		return RosterResult{}, Invalid(errs)
	}
	for _, r := range create {
		in := CreateUserRequest{Username: r.username, DisplayName: r.name, Role: r.role, JurisdictionCode: r.jurisdiction, Phone: r.mobile}
		code := ""
		if domain.ChosenPasswordAllowed(r.role) {
			// A generated first password, made one-time below like the code of the region's roles.
			code = newResetCode()
			in.Password = code
		}
		cu, err := s.CreateUser(ctx, a, in)
		if err != nil {
			return res, fmt.Errorf("roster row %d (%s): %w", r.n, r.username, err)
		}
		acc := RosterAccount{Row: r.n, Username: r.username, Role: r.role, Jurisdiction: r.jurisdiction, InitialCode: cu.InitialCode}
		if cu.CodeExpiresAt != nil {
			acc.CodeExpiresAt = *cu.CodeExpiresAt
		}
		upd := map[string]any{}
		if code != "" {
			acc.InitialCode, acc.CodeExpiresAt = code, s.now().UTC().Add(domain.ResetCodeTTL)
			upd["reset_expires_at"] = acc.CodeExpiresAt
		}
		if r.staff != "" {
			upd["staff_id"] = r.staff
		}
		if len(upd) > 0 {
			if err := s.db.WithContext(ctx).Model(&models.User{}).Where("id = ?", cu.ID).Updates(upd).Error; err != nil {
				return res, fmt.Errorf("roster row %d (%s): %w", r.n, r.username, err)
			}
		}
		res.Created = append(res.Created, acc)
	}
	return res, nil
}

func isNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }

func rosterRoleNames() string {
	var names []string
	for _, r := range rosterRoles {
		names = append(names, "“"+models.RoleNames[r]+"”")
	}
	return strings.Join(names, "、")
}

// rosterRole reads a role cell: the role's Chinese name or its code.
func rosterRole(v string) string {
	v = strings.TrimSpace(v)
	for code, name := range models.RoleNames {
		if v == name {
			return code
		}
	}
	return v
}

// readRoster reads the roster's rows from an XLSX workbook or a CSV file; a file it cannot read
// answers one error.
func readRoster(filename string, data []byte) ([]rosterRow, *validate.FieldError) {
	fail := func(msg string) *validate.FieldError {
		return &validate.FieldError{Field: "file", Code: "bad_file", Message: msg}
	}
	if len(data) > 10<<20 {
		return nil, fail("名单文件超过 10 MB。")
	}
	var all [][]string
	if bytes.HasPrefix(data, []byte("PK")) || strings.HasSuffix(strings.ToLower(filename), ".xlsx") {
		book, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, fail("名单文件不是有效的 Excel（.xlsx）工作簿。")
		}
		defer book.Close()
		sheets := book.GetSheetList()
		if len(sheets) == 0 {
			return nil, fail("工作簿中没有工作表。")
		}
		if all, err = book.GetRows(sheets[0]); err != nil {
			return nil, fail("无法读取名单的第一个工作表。")
		}
	} else {
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
		cr.FieldsPerRecord = -1
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fail(fmt.Sprintf("名单不是有效的 CSV 文件（UTF-8，逗号分隔）：第 %d 行无法读取。", len(all)+1))
			}
			all = append(all, rec)
		}
	}
	if len(all) == 0 || cell(all[0], 0) != rosterColumns[0] {
		return nil, fail("第 1 行应为表头：" + strings.Join(rosterColumns, "、") + "。")
	}
	var out []rosterRow
	for i, rec := range all[1:] {
		n := i + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		if len(out) == maxRosterRows {
			return nil, fail(fmt.Sprintf("一份名单最多 %d 人，请分批导入。", maxRosterRows))
		}
		out = append(out, rosterRow{n: n, username: cell(rec, 0), name: cell(rec, 1), role: rosterRole(cell(rec, 2)), roleText: cell(rec, 2),
			jurisdiction: cell(rec, 3), mobile: cell(rec, 4), staff: cell(rec, 5)})
	}
	if len(out) == 0 {
		return nil, fail("名单中没有人员（表头以下为空）。")
	}
	return out, nil
}

// ExpertImportResult says what an idempotent import of the expert pool did.
type ExpertImportResult struct {
	// Changed counts the entries added or changed; zero means the pool already matched.
	Changed   int
	Unchanged int
	Signalled int
}

// ImportExpertsIfChanged imports the pool workbook (as ImportExperts) unless every row already
// matches its entry: importing the same workbook again changes (and audits) nothing.
func (s *Service) ImportExpertsIfChanged(ctx context.Context, a *Actor, data []byte) (ExpertImportResult, error) {
	if err := s.Require(ctx, a, "expert", "manage", models.RegionCode); err != nil {
		return ExpertImportResult{}, err
	}
	rows, ferr := readExpertSheet(bytes.NewReader(data))
	if ferr != nil {
		return ExpertImportResult{}, Invalid(validate.Errors{*ferr})
	}
	accounts, err := s.db.ExpertAccounts(ctx)
	if err != nil {
		return ExpertImportResult{}, err
	}
	roster, err := s.db.ExpertRoster(ctx)
	if err != nil {
		return ExpertImportResult{}, err
	}
	have := map[string]models.PoolEntry{}
	for _, r := range roster {
		have[r.UserID] = r
	}
	var res ExpertImportResult
	for _, row := range rows {
		e, errs := s.checkExpert(row.in, "", accounts)
		if len(errs) > 0 {
			res.Changed++ // a faulty row: ImportExperts names it
			continue
		}
		h, ok := have[e.UserID]
		if ok && h.InPool && h.Field == e.Field && h.Employer == e.Employer && h.Occupations == e.Occupations && h.Active == e.Active {
			res.Unchanged++
		} else {
			res.Changed++
		}
	}
	if res.Changed == 0 {
		return res, nil
	}
	out, err := s.ImportExperts(ctx, a, bytes.NewReader(data))
	if err != nil {
		return ExpertImportResult{}, err
	}
	res.Signalled = out.Signalled
	return res, nil
}
