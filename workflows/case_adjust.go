package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/models"
)

// Signals and adjustments are queued for the main loop so that every change of state happens
// there, one at a time, in history order.

func (w *caseWF) listenSignals() {
	ctx := w.ctx
	sum := workflow.GetSignalChannel(ctx, SummarySubmittedSignal)
	pub := workflow.GetSignalChannel(ctx, PublishedSignal)
	comp := workflow.GetSignalChannel(ctx, ComplaintOutcomeSignal)
	pool := workflow.GetSignalChannel(ctx, ExpertPoolChangedSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(sum, func(c workflow.ReceiveChannel, _ bool) {
				var s SummarySubmitted
				c.Receive(ctx, &s)
				w.st.SummaryIn = true
			})
			sel.AddReceive(pub, func(c workflow.ReceiveChannel, _ bool) {
				var p Published
				c.Receive(ctx, &p)
				w.interrupt = append(w.interrupt, func() error { return w.onPublished(p) })
			})
			sel.AddReceive(comp, func(c workflow.ReceiveChannel, _ bool) {
				var o ComplaintOutcome
				c.Receive(ctx, &o)
				w.interrupt = append(w.interrupt, func() error { return w.onComplaint(o) })
			})
			sel.AddReceive(pool, func(c workflow.ReceiveChannel, _ bool) {
				var p ExpertPoolChanged
				c.Receive(ctx, &p)
				if w.panelRetry().IsZero() {
					return // not waiting for a draw: the signal is for cases that are
				}
				w.st.SummaryIn = true // draw again now, from the changed pool
			})
			sel.Select(ctx)
		}
	})
}

func (w *caseWF) onPublished(p Published) error {
	if w.st.Stage != StageAwaitingPublication || p.Batch != w.st.Batch {
		return nil
	}
	var facts activities.DirectoryFacts
	actx := workflow.WithActivityOptions(w.ctx, QuickActivityOptions)
	var a *activities.Activities
	if err := workflow.ExecuteActivity(actx, a.EnterpriseFacts, w.in.CaseID).Get(actx, &facts); err != nil {
		return err
	}
	occ, _ := json.Marshal(w.st.Approved)
	tr := models.Transition{Directory: []models.DirectoryEntry{{CaseID: w.in.CaseID, CampaignID: w.in.CampaignID,
		EnterpriseID: w.in.EnterpriseID, Batch: w.st.Batch, EnterpriseName: facts.Name, Address: facts.Address,
		ContactName: facts.ContactName, ContactPhone: facts.ContactPhone, JurisdictionCode: w.in.Jurisdiction,
		OccupationsJSON: string(occ), Status: "active"}}}
	w.st.Stage = StagePreparation
	w.event(&tr, "published", "已列入公布的试点企业目录，进入前期准备", nil, true, nil)
	w.openTask(&tr, KindWorkPlan, domain.RoleEnterpriseUser, w.enterpriseDomain(), "", w.in.Timing.WorkPlanDays, 0)
	tr.Notify = append(tr.Notify, w.notifyEnterprise("试点企业目录已公布", "您的企业已列入公布的试点企业目录。请制定工作方案和评价规范报自治区备案。"))
	return w.commit(tr)
}

func (w *caseWF) onComplaint(o ComplaintOutcome) error {
	tr := models.Transition{}
	switch o.Outcome {
	case "suspend":
		if w.st.Stage == StageClosed || w.st.Stage == StageSuspended {
			return nil
		}
		if w.st.Stage != StageActive && w.st.Stage != StagePreparation && w.st.Stage != StageFiling {
			// Not a pilot yet: nothing to suspend. Record the finding; the case goes on.
			w.event(&tr, "complaint_upheld", domain.Sentence("投诉核查属实（申报尚未列入目录，不暂停）", o.Reason), &o.Actor, false, nil)
			break
		}
		w.suspend(&tr, domain.Sentence("投诉核查：暂停试点", o.Reason), &o.Actor)
	case "remove":
		if w.st.Stage == StageClosed {
			return nil
		}
		w.remove(&tr, domain.Sentence("投诉核查：移出目录", o.Reason), &o.Actor)
	case "rectify":
		w.event(&tr, "rectification_ordered", domain.Sentence("投诉核查：责令整改", o.Reason), &o.Actor, true, nil)
		tr.Notify = append(tr.Notify, w.notifyEnterprise("责令整改通知", "经核查，请按要求整改："+o.Reason))
		// The order gets a deadline and a check: the enterprise reports its rectification, the
		// county verifies it.
		if version(w.ctx, "rectification-task", 1) >= 1 && domain.RectificationApplies(w.st.Stage) {
			w.openTask(&tr, KindRectify, domain.RoleEnterpriseUser, w.enterpriseDomain(), "", w.in.Timing.RectifyDays, 0)
		}
	default:
		w.event(&tr, "complaint_dismissed", "一件投诉经核查不予支持", &o.Actor, false, nil)
	}
	return w.commit(tr)
}

func (w *caseWF) cancelTasks(tr *models.Transition, why string) {
	for _, t := range w.Tasks {
		tr.CloseTasks = append(tr.CloseTasks, models.TaskClose{ID: t.ID, Status: models.TaskCancelled, Outcome: why})
	}
	w.Tasks = nil
}

func (w *caseWF) suspend(tr *models.Transition, summary string, actor *Actor) {
	w.st.PrevStage = w.st.Stage
	w.cancelTasks(tr, "suspended")
	w.st.Stage = StageSuspended
	tr.DirectoryStatus = map[string]string{w.in.CaseID: "suspended"}
	w.event(tr, "suspended", summary, actor, true, nil)
	tr.Notify = append(tr.Notify, w.notifyEnterprise("试点资格暂停", summary))
}

func (w *caseWF) remove(tr *models.Transition, summary string, actor *Actor) {
	w.cancelTasks(tr, "removed")
	w.st.Stage, w.st.Outcome = StageClosed, "removed"
	tr.DirectoryStatus = map[string]string{w.in.CaseID: "removed"}
	w.event(tr, "removed", summary, actor, true, nil)
	tr.Notify = append(tr.Notify, w.notifyEnterprise("移出试点企业目录", summary))
}

// Adjustments: validator first (no history on refusal), then the main loop applies them.

// notReturnable is the refusal of a "return" outside the stages it fits.
const notReturnable = "该阶段不能退回：只有处于旗县初审或盟市审核阶段的申报可以退回企业补正"

func (w *caseWF) validateAdjust(req AdjustRequest) error {
	if strings.TrimSpace(req.Reason) == "" {
		return refuse(ErrInvalidDecision, "请填写理由")
	}
	switch req.Action {
	case "withdraw":
		if req.Actor.Role != domain.RoleEnterpriseUser {
			return refuse(ErrNotCandidate, "只有申报企业可以撤回申报")
		}
		switch w.st.Stage {
		case StageActive, StageSuspended, StageClosed, StagePreparation, StageFiling:
			return refuse(ErrWrongState, "当前阶段不能撤回申报")
		}
	case "suspend":
		if req.Actor.Role != domain.RoleRegionOfficial {
			return refuse(ErrNotCandidate, "只有自治区人社厅可以暂停试点")
		}
		if w.st.Stage != StageActive && w.st.Stage != StagePreparation && w.st.Stage != StageFiling {
			return refuse(ErrWrongState, "只有已公布的试点企业可以暂停")
		}
	case "resume":
		if req.Actor.Role != domain.RoleRegionOfficial {
			return refuse(ErrNotCandidate, "只有自治区人社厅可以恢复试点")
		}
		if w.st.Stage != StageSuspended {
			return refuse(ErrWrongState, "该企业未处于暂停状态")
		}
	case "remove":
		if req.Actor.Role != domain.RoleRegionOfficial {
			return refuse(ErrNotCandidate, "只有自治区人社厅可以移出目录")
		}
		if w.st.Stage == StageClosed {
			return refuse(ErrWrongState, "该申报已结束")
		}
	case "return":
		if req.Actor.Role != domain.RoleRegionOfficial {
			return refuse(ErrNotCandidate, "只有自治区人社厅可以退回申报")
		}
		if !Returnable(w.st.Stage) {
			return refuse(ErrWrongState, notReturnable)
		}
	case "redraw":
		if req.Actor.Role != domain.RoleRegionOfficial {
			return refuse(ErrNotCandidate, "只有自治区人社厅可以重新抽取评估专家")
		}
		return w.redrawable(req)
	case "draw_panel":
		if req.Actor.Role != domain.RoleRegionOfficial && req.Actor.Role != domain.RoleRegionCentre {
			return refuse(ErrNotCandidate, "只有自治区人社厅或技能鉴定中心可以重新抽取专家组")
		}
		return w.panelDrawable()
	case "publish_late":
		if req.Actor.Role != domain.RoleRegionOfficial {
			return refuse(ErrNotCandidate, "只有自治区人社厅可以补充公布")
		}
		return w.latePublishable(req)
	default:
		return refuse(ErrInvalidDecision, "未知的调整操作")
	}
	return nil
}

func (w *caseWF) handleAdjust(ctx workflow.Context, req AdjustRequest) (AdjustResult, error) {
	done := false
	var err error
	w.interrupt = append(w.interrupt, func() error {
		defer func() { done = true }()
		if w.st.Stage == StageClosed {
			err = refuse(ErrWrongState, "该申报已结束")
			return nil
		}
		if req.Action == "return" && !Returnable(w.st.Stage) {
			// Validated in review; a decision handled before it moved the case on.
			err = refuse(ErrWrongState, notReturnable)
			return nil
		}
		if req.Action == "redraw" {
			if err = w.redrawable(req); err != nil {
				return nil // the panel moved on since validation
			}
		}
		if req.Action == "draw_panel" {
			if err = w.panelDrawable(); err != nil {
				return nil // drawn meanwhile (a pool change)
			}
		}
		if req.Action == "publish_late" {
			if err = w.latePublishable(req); err != nil {
				return nil // published meanwhile
			}
		}
		before := w.st.Stage
		tr := models.Transition{}
		switch req.Action {
		case "withdraw":
			w.cancelTasks(&tr, "withdrawn")
			w.st.Stage, w.st.Outcome = StageClosed, "withdrawn"
			w.event(&tr, "withdrawn", "企业撤回申报："+req.Reason, &req.Actor, true, nil)
			tr.Application = &models.ApplicationChange{ID: w.in.ApplicationID, Version: w.st.AppVersion, Status: models.ApplicationWithdrawn, By: req.Actor.UserID}
		case "suspend":
			w.suspend(&tr, "自治区暂停试点："+req.Reason, &req.Actor)
		case "resume":
			w.st.Stage = w.st.PrevStage
			tr.DirectoryStatus = map[string]string{w.in.CaseID: "active"}
			w.event(&tr, "resumed", "自治区恢复试点："+req.Reason, &req.Actor, true, nil)
			if w.st.Stage == StagePreparation {
				w.openTask(&tr, KindWorkPlan, domain.RoleEnterpriseUser, w.enterpriseDomain(), "", w.in.Timing.WorkPlanDays, 0)
			} else if w.st.Stage == StageFiling {
				w.openTask(&tr, KindFileWorkPlan, domain.RoleRegionOfficial, w.in.Region, "", w.in.Timing.FilingDays, 0)
			}
		case "remove":
			w.remove(&tr, "自治区移出试点企业目录："+req.Reason, &req.Actor)
		case "return":
			w.regionReturn(&tr, req)
		case "publish_late":
			// The directory entry and the preparation task, as the batch's publication would
			// have made them; committed by onPublished, the audit row below follows.
			if e := w.onPublished(Published{Batch: w.st.Batch}); e != nil {
				return e
			}
			w.event(&tr, "published_late", fmt.Sprintf("所在的第%d批目录公布时未列入，自治区补充公布：%s", w.st.Batch, req.Reason), &req.Actor, false, nil)
		case "draw_panel":
			if e := w.drawPanel(&tr); hasType(e, activities.ErrPoolTooSmall) {
				// Still too few: nothing changes, the case keeps waiting on the pool.
				err = refuse(ErrWrongState, poolTooSmallMessage(e))
				return nil
			} else if e != nil {
				return e
			}
		case "redraw":
			var e error
			if e = w.redrawExpert(&tr, req); IsRefusal(e) {
				err = e
				return nil
			}
			if e != nil {
				return e
			}
		}
		tr.Audit = append(tr.Audit, models.AuditEntry{ActorID: req.Actor.UserID, ActorName: req.Actor.Username, Role: req.Actor.Role,
			JurisdictionCode: truncate6(req.Actor.Jurisdiction), Action: "case." + req.Action, ObjectType: "case", ObjectID: w.in.CaseID,
			BeforeState: before, AfterState: w.st.Stage, Reason: req.Reason, Outcome: models.OutcomeOK})
		err = w.commit(tr)
		if err == nil && before == StageInSummary && w.st.Stage == StageClosed {
			err = w.signalLeague(CaseLeftSignal)
		}
		return err
	})
	if e := workflow.Await(ctx, func() bool { return done }); e != nil {
		return AdjustResult{}, e
	}
	return AdjustResult{Stage: w.st.Stage}, err
}

// panelRetry is when the next draw is due after one that found too few experts.
func (w *caseWF) panelRetry() time.Time {
	if w.st.Stage == StageInSummary && !w.st.SummaryIn {
		return w.st.PanelRetryAt
	}
	return time.Time{}
}

// panelDrawable checks a draw_panel adjustment: the case waits in the summary stage after a
// draw that found too few experts.
func (w *caseWF) panelDrawable() error {
	if w.panelRetry().IsZero() {
		return refuse(ErrWrongState, "只有专家组抽取失败、正在等待补充专家库的申报可以重新抽取专家组")
	}
	return nil
}

// poolTooSmallMessage tells the region how many experts a failed draw found and needed.
func poolTooSmallMessage(err error) string {
	var ae *temporal.ApplicationError
	var have, need int
	if errors.As(err, &ae) && ae.HasDetails() && ae.Details(&have, &need) == nil {
		return fmt.Sprintf("专家库中可抽取的专家仍不足：回避后可抽取 %d 人，专家组需要 %d 人。请先补充或启用专家。", have, need)
	}
	return "专家库中可抽取的专家仍不足，请先补充或启用专家。"
}

// redrawable checks a redraw: the panel is scoring and the task is an expert's open scoring task.
func (w *caseWF) redrawable(req AdjustRequest) error {
	t := w.task(req.TaskID)
	if w.st.Stage != StageExpertEvaluation || w.st.Panel == nil || t == nil || t.Kind != KindExpertScore {
		return refuse(ErrWrongState, "只能为专家评估阶段尚未打分的专家重新抽取")
	}
	return nil
}

// redrawExpert replaces the expert of an open scoring task by one drawn at random from the pool,
// excluding the panel's members and the enterprise's conflicts; the seed is recorded in the
// timeline and the audit log, so the draw can be re-run. The replaced expert's task is
// cancelled: a drawn task is never handed to someone chosen by hand (domain.DrawnTask).
func (w *caseWF) redrawExpert(tr *models.Transition, req AdjustRequest) error {
	t := w.task(req.TaskID)
	drawn, err := w.drawExperts(1, append(slices.Clone(w.st.Panel.Members), w.st.Replaced...))
	if hasType(err, activities.ErrPoolTooSmall) {
		return refuse(ErrWrongState, "回避后专家库中已没有可替换的专家，请先补充专家库")
	}
	if err != nil {
		return err
	}
	seed := drawn.Seed
	replaced, by := t.Assignee, drawn.Members[0]
	n := 0
	for i, m := range w.st.Panel.Members {
		if m == replaced {
			w.st.Panel.Members[i], n = by, i
		}
	}
	w.st.Replaced = append(w.st.Replaced, replaced)
	w.removeTask(t.ID)
	tr.CloseTasks = append(tr.CloseTasks, models.TaskClose{ID: t.ID, Status: models.TaskCancelled, Outcome: "redrawn"})
	w.openTask(tr, KindExpertScore, domain.RoleExpert, w.in.Region, by, w.in.Timing.ExpertDays, n)
	w.event(tr, "panel_redrawn", fmt.Sprintf("重新抽取一位评估专家（随机种子 %d，候选 %d 人）：%s", seed, len(drawn.Candidates), req.Reason),
		&req.Actor, false, drawn)
	tr.Audit = append(tr.Audit, models.AuditEntry{ActorName: "system", Action: "panel.redraw", ObjectType: "case", ObjectID: w.in.CaseID,
		BeforeState: replaced, AfterState: by, Reason: fmt.Sprintf("seed=%d candidates=%d", seed, len(drawn.Candidates)),
		Outcome: models.OutcomeOK, JurisdictionCode: w.in.Region})
	return nil
}

// latePublishable checks a late publication: the case waits for a batch that is published
// already, so nothing else would ever publish it (a case selected before the rule that a
// published batch takes no more cases, domain.BatchOpen).
func (w *caseWF) latePublishable(req AdjustRequest) error {
	if w.st.Stage != StageAwaitingPublication || !domain.PassedBy(w.st.Batch, req.Published) {
		return refuse(ErrWrongState, "只有等待已公布批次的案件需要补充公布；其他案件随所在批次公布")
	}
	return nil
}
