package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	dom "skillcert/domain"
	"skillcert/models"
)

// What the supervision pages show: the draws of a jurisdiction with their sittings, drawn
// supervisors and reports (for those who organise draws), and a supervisor's assigned sittings
// with their own report on each (the supervisor's work list).

// DrawnSitting is a drawn sitting as the pages show it, with its drawn supervisors.
type DrawnSitting struct {
	SessionID      string                     `json:"session_id"`
	EnterpriseName string                     `json:"enterprise_name"`
	OccupationName string                     `json:"occupation_name"`
	Level          int                        `json:"level"`
	ExamDate       *time.Time                 `json:"exam_date,omitempty"`
	Site           string                     `json:"site"`
	Supervisors    []DrawnPerson              `json:"supervisors"`
	Reports        []models.SupervisionReport `json:"-"`
}

// DrawnPerson is a drawn supervisor with their report on the sitting, if filed.
type DrawnPerson struct {
	UserID string                    `json:"user_id"`
	Name   string                    `json:"name"`
	Report *models.SupervisionReport `json:"report,omitempty"`
}

// DrawDetail is a draw with its drawn sittings.
type DrawDetail struct {
	Draw
	Sittings []DrawnSitting `json:"sittings"`
}

// SupervisionDraws lists the draws of the caller's jurisdiction, newest first (supervision:manage).
func (s *Service) SupervisionDraws(ctx context.Context, a *Actor) ([]models.SupervisionDraw, error) {
	if a == nil {
		return nil, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "supervision", "manage", a.Domain); err != nil {
		return nil, err
	}
	return s.db.DrawsIn(ctx, s.SubtreeOf(a.Domain), 100)
}

// ReadDrawDetail is ReadDraw with each drawn sitting's enterprise, occupation, level and date,
// the supervisors' names and the reports filed: a supervisor sees only their own sittings and
// reports, as ReadDraw allows.
func (s *Service) ReadDrawDetail(ctx context.Context, a *Actor, id string) (DrawDetail, error) {
	d, err := s.ReadDraw(ctx, a, id)
	if err != nil {
		return DrawDetail{}, err
	}
	sittings, err := s.drawnSittings(ctx, []Draw{d})
	if err != nil {
		return DrawDetail{}, err
	}
	out := DrawDetail{Draw: d, Sittings: sittings[d.ID]}
	if dom.NeedsRelation(a.User.Role, "supervision", "read") {
		for i := range out.Sittings {
			out.Sittings[i].Supervisors = slices.DeleteFunc(out.Sittings[i].Supervisors, func(p DrawnPerson) bool { return p.UserID != a.User.ID })
		}
	}
	return out, nil
}

// drawnSittings lays out the assignments of draws, by draw ID.
func (s *Service) drawnSittings(ctx context.Context, draws []Draw) (map[string][]DrawnSitting, error) {
	var sessionIDs, userIDs, drawIDs []string
	for _, d := range draws {
		drawIDs = append(drawIDs, d.ID)
		for _, x := range d.Assignments {
			sessionIDs = append(sessionIDs, x.SessionID)
			userIDs = append(userIDs, x.Supervisors...)
		}
	}
	sessions, err := s.db.SessionsByIDs(ctx, sessionIDs)
	if err != nil {
		return nil, err
	}
	names, err := s.db.DisplayNames(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	reports, err := s.db.ReportsOfDraws(ctx, drawIDs)
	if err != nil {
		return nil, err
	}
	byKey := map[string]models.SupervisionReport{}
	for _, r := range reports {
		byKey[r.DrawID+"/"+r.SessionID+"/"+r.SupervisorID] = r
	}
	out := map[string][]DrawnSitting{}
	for _, d := range draws {
		for _, x := range d.Assignments {
			ss := sessions[x.SessionID]
			row := DrawnSitting{SessionID: x.SessionID, EnterpriseName: ss.EnterpriseName, OccupationName: occupationLabel(ss), Level: ss.Level,
				Site: ss.Site, Supervisors: []DrawnPerson{}}
			if !ss.ExamDate.IsZero() {
				t := ss.ExamDate
				row.ExamDate = &t
			}
			for _, u := range x.Supervisors {
				p := DrawnPerson{UserID: u, Name: names[u]}
				if r, ok := byKey[d.ID+"/"+x.SessionID+"/"+u]; ok {
					p.Report = &r
				}
				row.Supervisors = append(row.Supervisors, p)
			}
			out[d.ID] = append(out[d.ID], row)
		}
	}
	return out, nil
}

func occupationLabel(ss models.AssessmentSession) string {
	if ss.WorkType != "" {
		return ss.OccupationName + "（" + ss.WorkType + "）"
	}
	return ss.OccupationName
}

// Assignment is a sitting a supervisor was drawn for, with their report on it.
type Assignment struct {
	DrawID    string    `json:"draw_id"`
	DrawTitle string    `json:"draw_title"`
	DrawnAt   time.Time `json:"drawn_at"`
	DrawnSitting
	// Report is the caller's report (nil before filing); CanFile says whether the caller may file
	// it now (not filed, awaiting review — amended — or returned — refiled).
	Report  *models.SupervisionReport `json:"report,omitempty"`
	CanFile bool                      `json:"can_file"`
}

// SupervisionAssignments lists the sittings the caller (a supervisor) was drawn for, newest draw
// first, each with the caller's report and whether it may be filed or amended now.
func (s *Service) SupervisionAssignments(ctx context.Context, a *Actor) ([]Assignment, error) {
	if a == nil {
		return nil, ErrUnauthenticated
	}
	if !s.enf.RoleAllows(a.User.Role, "supervision", "report") {
		return nil, s.Forbid(ctx, a, "supervision", "report", a.Jurisdiction)
	}
	rows, err := s.db.DrawsOfSupervisor(ctx, a.User.ID, 200)
	if err != nil {
		return nil, err
	}
	var draws []Draw
	for _, d := range rows {
		as, err := d.Assignments()
		if err != nil {
			return nil, fmt.Errorf("draw %s: %w", d.ID, err)
		}
		var mine []models.DrawAssignment
		for _, x := range as {
			if slices.Contains(x.Supervisors, a.User.ID) {
				mine = append(mine, models.DrawAssignment{SessionID: x.SessionID, Supervisors: []string{a.User.ID}})
			}
		}
		if len(mine) > 0 {
			draws = append(draws, Draw{SupervisionDraw: d, Assignments: mine})
		}
	}
	sittings, err := s.drawnSittings(ctx, draws)
	if err != nil {
		return nil, err
	}
	out := []Assignment{}
	for _, d := range draws {
		for _, st := range sittings[d.ID] {
			as := Assignment{DrawID: d.ID, DrawTitle: d.Title, DrawnAt: d.CreatedAt, DrawnSitting: st, CanFile: true}
			if len(st.Supervisors) == 1 && st.Supervisors[0].Report != nil {
				as.Report = st.Supervisors[0].Report
				_, amend := dom.NextReportStatus(as.Report.Status, dom.ReportAmend)
				_, refile := dom.NextReportStatus(as.Report.Status, dom.ReportRefile)
				as.CanFile = amend || refile
			}
			as.Supervisors = nil
			out = append(out, as)
		}
	}
	return out, nil
}

// SupervisionAssignment is one of the caller's assignments (SupervisionAssignments), or not found.
func (s *Service) SupervisionAssignment(ctx context.Context, a *Actor, drawID, sessionID string) (Assignment, error) {
	all, err := s.SupervisionAssignments(ctx, a)
	if err != nil {
		return Assignment{}, err
	}
	for _, x := range all {
		if x.DrawID == drawID && x.SessionID == sessionID {
			return x, nil
		}
	}
	return Assignment{}, ErrNotFound
}
