package web

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/validate"
	"skillcert/service"
)

// postedForm reads the application form's fields as posted. Rows are kept at their posted
// positions (blank ones too) so that uploads and removals, which name positions, apply to the
// right row; dropBlankRows then removes the rows nobody filled in.
type postedForm struct {
	v         url.Values
	removeRef map[string]bool
	removeRow map[string]bool
}

func (pf postedForm) get(k string) string { return pf.v.Get(k) }

// count is the number of rows of list in the post (the highest index + 1, at most limit).
func (pf postedForm) count(list string, limit int) int {
	n := 0
	prefix := list + "["
	for k := range pf.v {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, ok := strings.Cut(rest, "]")
		i, err := strconv.Atoi(num)
		if !ok || err != nil || i < 0 || i >= limit {
			continue
		}
		n = max(n, i+1)
	}
	return n
}

func (pf postedForm) refs(list string) []models.AttachmentRef {
	out := []models.AttachmentRef{}
	for i := 0; i < pf.count(list, appcheck.MaxAttachments); i++ {
		p := fmt.Sprintf("%s[%d]", list, i)
		if id := pf.get(p + ".id"); id != "" && !pf.removeRef[p] {
			out = append(out, models.AttachmentRef{ID: id, Name: pf.get(p + ".name"), SHA256: pf.get(p + ".sha256")})
		}
	}
	return out
}

// form reads the whole form. Removed rows are dropped at once; blank rows are kept for now.
func (pf postedForm) form() (appcheck.Form, map[string][]bool) {
	f := appcheck.Form{
		Applicant: models.Applicant{Name: pf.get("applicant.name"), Address: pf.get("applicant.address"), CreditCode: pf.get("applicant.credit_code")},
		Contact: models.Contact{Name: pf.get("contact.name"), Post: pf.get("contact.post"), Landline: pf.get("contact.landline"),
			Mobile: pf.get("contact.mobile"), Email: pf.get("contact.email")},
		Rules: pf.refs("rules"), Strengths: pf.get("strengths"), ExamSystem: pf.get("exam_system"),
		Site: models.Site{Description: pf.get("site.description"), Ownership: pf.refs("site.ownership"),
			EquipmentOwnership: pf.refs("site.equipment_ownership")},
		Occupations: []models.OccupationRow{}, Equipment: []models.EquipmentRow{},
		Staff: []appcheck.StaffRow{}, Assessors: []appcheck.ExpertRow{}, Supervisors: []appcheck.ExpertRow{},
	}
	// kept[list][i] is false for a removed row, so that positions can be mapped afterwards.
	kept := map[string][]bool{}
	rows := func(list string, limit int, read func(p string)) {
		n := pf.count(list, limit)
		kept[list] = make([]bool, n)
		for i := 0; i < n; i++ {
			p := fmt.Sprintf("%s[%d]", list, i)
			if pf.removeRow[p] {
				continue
			}
			kept[list][i] = true
			read(p)
		}
	}
	rows("occupations", appcheck.MaxOccupations, func(p string) {
		f.Occupations = append(f.Occupations, models.OccupationRow{Name: pf.get(p + ".name"), Code: pf.get(p + ".code"),
			WorkType: pf.get(p + ".work_type"), Fee: pf.get(p + ".fee"),
			Levels: validate.LevelRange{Low: parseLevel(pf.get(p + ".levels.low")), High: parseLevel(pf.get(p + ".levels.high"))}})
	})
	rows("equipment", appcheck.MaxRows, func(p string) {
		q, _ := strconv.Atoi(strings.TrimSpace(pf.get(p + ".quantity")))
		f.Equipment = append(f.Equipment, models.EquipmentRow{Name: pf.get(p + ".name"), Brand: pf.get(p + ".brand"),
			Model: pf.get(p + ".model"), Quantity: q, Ownership: pf.get(p + ".ownership")})
	})
	rows("staff", appcheck.MaxRows, func(p string) {
		f.Staff = append(f.Staff, appcheck.StaffRow{Name: pf.get(p + ".name"), IDNumber: pf.get(p + ".id_number"), Title: pf.get(p + ".title"),
			Education: pf.get(p + ".education"), Duties: pf.get(p + ".duties"), Employee: pf.get(p+".employee") != "",
			Agreement: pf.refs(p + ".agreement")})
	})
	expert := func(list string, to *[]appcheck.ExpertRow) {
		rows(list, appcheck.MaxRows, func(p string) {
			*to = append(*to, appcheck.ExpertRow{Name: pf.get(p + ".name"), IDNumber: pf.get(p + ".id_number"), Employer: pf.get(p + ".employer"),
				Title: pf.get(p + ".title"), Education: pf.get(p + ".education"), Occupation: pf.get(p + ".occupation"),
				Employee: pf.get(p+".employee") != "", Agreement: pf.refs(p + ".agreement")})
		})
	}
	expert("assessors", &f.Assessors)
	expert("supervisors", &f.Supervisors)
	for i := range f.Conditions {
		p := fmt.Sprintf("conditions[%d]", i)
		f.Conditions[i] = models.Condition{Explanation: pf.get(p + ".explanation"), Evidence: pf.refs(p + ".evidence")}
	}
	return f, kept
}

// position maps a posted row path ("staff[3]") to its index in the form read (removed rows
// gone); ok is false for a removed or unknown row.
func position(kept map[string][]bool, list string, i int) (int, bool) {
	k := kept[list]
	if i < 0 || i >= len(k) || !k[i] {
		return 0, false
	}
	n := 0
	for j := 0; j < i; j++ {
		if k[j] {
			n++
		}
	}
	return n, true
}

// slotRefs returns the attachment list of an upload slot (path as posted) in the form.
func slotRefs(f *appcheck.Form, kept map[string][]bool, slot string) *[]models.AttachmentRef {
	switch slot {
	case "rules":
		return &f.Rules
	case "site.ownership":
		return &f.Site.Ownership
	case "site.equipment_ownership":
		return &f.Site.EquipmentOwnership
	}
	list, rest, ok := strings.Cut(slot, "[")
	if !ok {
		return nil
	}
	num, tail, _ := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if err != nil {
		return nil
	}
	if list == "conditions" && tail == ".evidence" && i >= 0 && i < len(f.Conditions) {
		return &f.Conditions[i].Evidence
	}
	if tail != ".agreement" {
		return nil
	}
	n, ok := position(kept, list, i)
	if !ok {
		return nil
	}
	switch list {
	case "staff":
		return &f.Staff[n].Agreement
	case "assessors":
		return &f.Assessors[n].Agreement
	case "supervisors":
		return &f.Supervisors[n].Agreement
	}
	return nil
}

// dropBlankRows removes rows nobody filled in (a row offered for typing and left empty) and
// returns, for each list, the new index of every kept row, to move messages along.
func dropBlankRows(f *appcheck.Form) map[string]map[int]int {
	moved := map[string]map[int]int{}
	blankText := func(vs ...string) bool {
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				return false
			}
		}
		return true
	}
	keep := func(list string, n int, blank func(i int) bool) []int {
		moved[list] = map[int]int{}
		var idx []int
		for i := 0; i < n; i++ {
			if !blank(i) {
				moved[list][i] = len(idx)
				idx = append(idx, i)
			}
		}
		return idx
	}
	occ := keep("occupations", len(f.Occupations), func(i int) bool {
		o := f.Occupations[i]
		return blankText(o.Name, o.Code, o.WorkType, o.Fee) && o.Levels.IsZero()
	})
	f.Occupations = pick(f.Occupations, occ)
	eq := keep("equipment", len(f.Equipment), func(i int) bool {
		e := f.Equipment[i]
		return blankText(e.Name, e.Brand, e.Model, e.Ownership) && e.Quantity == 0
	})
	f.Equipment = pick(f.Equipment, eq)
	st := keep("staff", len(f.Staff), func(i int) bool {
		s := f.Staff[i]
		return blankText(s.Name, s.IDNumber, s.Title, s.Education, s.Duties) && len(s.Agreement) == 0
	})
	f.Staff = pick(f.Staff, st)
	expertBlank := func(rows []appcheck.ExpertRow) func(int) bool {
		return func(i int) bool {
			x := rows[i]
			return blankText(x.Name, x.IDNumber, x.Employer, x.Title, x.Education, x.Occupation) && len(x.Agreement) == 0
		}
	}
	f.Assessors = pick(f.Assessors, keep("assessors", len(f.Assessors), expertBlank(f.Assessors)))
	f.Supervisors = pick(f.Supervisors, keep("supervisors", len(f.Supervisors), expertBlank(f.Supervisors)))
	return moved
}

func pick[T any](rows []T, idx []int) []T {
	out := make([]T, 0, len(idx))
	for _, i := range idx {
		out = append(out, rows[i])
	}
	return out
}

// readMultipart reads a multipart post before the CSRF check does, so that a post over the
// size limit is answered on the page it came from instead of as an unreadable CSRF token.
// Nothing is changed by such a post.
func (p *Pages) readMultipart(c *gin.Context) {
	err := c.Request.ParseMultipartForm(service.MultipartMemory)
	if err == nil || errors.Is(err, http.ErrNotMultipart) {
		c.Next()
		if c.Request.MultipartForm != nil {
			_ = c.Request.MultipartForm.RemoveAll() // parts spooled to temporary files
		}
		return
	}
	msg := "提交的内容无法读取，未保存任何修改，请重试。"
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		msg = fmt.Sprintf("提交的内容（含所选文件）超过 %d MB，未保存任何修改。请减少一次上传的文件，或压缩后再上传。", max(tooBig.Limit>>20, 1))
	}
	p.flash(c, flashError, msg)
	back := "/application"
	if id := c.Param("id"); id != "" {
		back = taskHref(id)
	}
	c.Redirect(http.StatusSeeOther, back)
	c.Abort()
}

// applicationPost saves the typed form as the draft (uploading chosen files first) and, for
// a submission, submits it. What was typed is never lost: the draft is saved before anything
// is checked, and a refused submission shows the form as typed with every fault next to its
// field.
func (p *Pages) applicationPost(mode appMode) func(*gin.Context) error {
	return func(c *gin.Context) error {
		a := api.ActorFrom(c)
		if a.User.Role != models.RoleEnterpriseUser {
			return service.ErrNoEnterprise
		}
		appID := c.PostForm("application_id")
		draftVersion, _ := strconv.Atoi(c.PostForm("draft_version"))
		if appID == "" || draftVersion < 1 {
			p.flash(c, flashError, "页面已过期，请重新打开申报表。")
			return seeOther(c, "/application")
		}
		pf := postedForm{v: c.Request.PostForm, removeRef: map[string]bool{}, removeRow: map[string]bool{}}
		anchor := ""
		if r := c.PostForm("remove"); r != "" {
			pf.removeRef[r], anchor = true, fieldID(parentPath(r))
		}
		if r := c.PostForm("remove_row"); r != "" {
			pf.removeRow[r], anchor = true, fieldID(parentPath(r))
		}
		add := c.PostForm("add_row")
		if add != "" {
			anchor = fieldID(add)
		}
		if s := c.PostForm("slot"); s != "" {
			anchor = fieldID(s)
		}
		form, kept := pf.form()

		// Files chosen anywhere on the form are uploaded, whichever button was pressed.
		var uploadErrs validate.Errors
		uploaded := 0
		if mf := c.Request.MultipartForm; mf != nil {
			for key, fhs := range mf.File {
				slot, ok := strings.CutPrefix(key, "file:")
				if !ok || len(fhs) == 0 || fhs[0].Filename == "" {
					continue
				}
				purpose, refs := appPurpose(slot), slotRefs(&form, kept, slot)
				if purpose == "" || refs == nil {
					continue
				}
				ref, err := p.uploadFile(c, purpose, fhs[0])
				if e := service.UserError(err); e != nil {
					for _, m := range uploadMessages(e) {
						uploadErrs = append(uploadErrs, validate.FieldError{Field: slot, Code: e.Code, Message: fieldLabel(slot) + "：" + m})
					}
					continue
				} else if err != nil {
					return err
				}
				*refs = append(*refs, ref)
				uploaded++
			}
		}
		moved := dropBlankRows(&form)
		uploadErrs = moveRowErrors(uploadErrs, kept, moved)

		ctx := c.Request.Context()
		saved, err := p.svc.SaveDraft(ctx, a, service.SaveDraftInput{ApplicationID: appID, DraftRequest: service.DraftRequest{DraftVersion: draftVersion, Form: form}})
		if err != nil {
			e := service.UserError(service.ToError(err))
			if e == nil {
				return err
			}
			return p.rerenderApplication(c, e.Status, form, nil, e.Message, 0)
		}
		if len(uploadErrs) > 0 {
			return p.rerenderApplication(c, http.StatusUnprocessableEntity, form, uploadErrs, "", saved.DraftVersion)
		}
		if mode != modeSubmit {
			msg := fmt.Sprintf("草稿已保存（第 %d 稿）。", saved.DraftVersion)
			if uploaded > 0 {
				msg = fmt.Sprintf("已上传 %d 个文件，草稿已保存（第 %d 稿）。", uploaded, saved.DraftVersion)
			}
			p.flash(c, flashOK, msg)
			to := "/application"
			if add != "" {
				to += "?add=" + url.QueryEscape(add)
			}
			if anchor != "" {
				to += "#" + anchor
			}
			return seeOther(c, to)
		}

		sub, err := p.svc.SubmitApplication(ctx, a, service.SubmitInput{ApplicationID: appID, SubmitRequest: service.SubmitRequest{DraftVersion: saved.DraftVersion}})
		if err != nil {
			e := service.UserError(service.ToError(err))
			if e == nil {
				return err
			}
			if len(e.Fields) > 0 {
				return p.rerenderApplication(c, e.Status, form, e.Fields, "", saved.DraftVersion)
			}
			return p.rerenderApplication(c, e.Status, form, nil, e.Message, saved.DraftVersion)
		}
		p.flash(c, flashOK, fmt.Sprintf("申报表已提交（第 %d 版）。请在本页查看审核进度。", sub.Version))
		return seeOther(c, "/status")
	}
}

// rerenderApplication shows the form as typed with errors or a message. draftVersion is the
// draft the page now edits (0: unchanged, because the save was refused).
func (p *Pages) rerenderApplication(c *gin.Context, status int, form appcheck.Form, errs validate.Errors, alert string, draftVersion int) error {
	av, err := p.svc.MyApplication(c.Request.Context(), api.ActorFrom(c))
	if err != nil {
		return err
	}
	if draftVersion == 0 {
		draftVersion, _ = strconv.Atoi(c.PostForm("draft_version"))
	}
	av.DraftVersion = draftVersion
	av.Warnings = nil
	if !av.Editable {
		// Submitted meanwhile (another window): show where it stands.
		v := p.applicationFormView(&av, appcheck.Form{}, nil, nil, "")
		v.Alert = alert
		return p.show(c, status, "p_application", v)
	}
	v := p.applicationFormView(&av, form, errs, nil, "")
	v.Alert = alert
	return p.show(c, status, "p_application", v)
}

// moveRowErrors moves messages about posted rows to the rows' places after blank rows went.
func moveRowErrors(errs validate.Errors, kept map[string][]bool, moved map[string]map[int]int) validate.Errors {
	for i, e := range errs {
		list, rest, ok := strings.Cut(e.Field, "[")
		if !ok || list == "conditions" {
			continue
		}
		num, tail, _ := strings.Cut(rest, "]")
		n, err := strconv.Atoi(num)
		if err != nil {
			continue
		}
		pos, ok := position(kept, list, n)
		if !ok {
			continue
		}
		if to, ok := moved[list][pos]; ok {
			errs[i].Field = fmt.Sprintf("%s[%d]%s", list, to, tail)
		} else {
			errs[i].Field = list
		}
	}
	return errs
}

// uploadFile stores one uploaded file as an attachment of the caller's enterprise. A refusal
// comes back as *Error (UserError), with the file's faults as its fields.
func (p *Pages) uploadFile(c *gin.Context, purpose string, fh *multipart.FileHeader) (models.AttachmentRef, error) {
	f, err := fh.Open()
	if err != nil {
		return models.AttachmentRef{}, fmt.Errorf("open uploaded part: %w", err)
	}
	defer f.Close()
	att, err := p.svc.UploadAttachment(c.Request.Context(), api.ActorFrom(c),
		service.UploadInput{Purpose: purpose, Files: 1, Name: api.RawFileName(fh), Size: fh.Size, Content: f})
	if err != nil {
		return models.AttachmentRef{}, service.ToError(err)
	}
	return models.AttachmentRef{ID: att.ID, Name: att.Name, SHA256: att.SHA256}, nil
}

// uploadMessages are the messages of a refused upload.
func uploadMessages(e *service.Error) []string {
	if len(e.Fields) == 0 {
		return []string{e.Message}
	}
	out := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		out = append(out, f.Message)
	}
	return out
}
