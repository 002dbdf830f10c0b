package domain

import "strings"

// The Chinese names shown for the codes the system keeps, in one table (Names): a page, an
// export or a notification names a code through it and never prints the code itself.
// TestPagesShowNoEnglishIdentifiers finds a code that reaches a page unnamed, and
// TestEveryCodeHasAName the codes the workflows and the audit log use that the table lacks.

// OutcomeNames are the Chinese names of the outcomes of decisions.
var OutcomeNames = map[string]string{
	"pass": "初审通过", "return": "退回", "accept": "审核通过", "reject": "不予通过", "resubmit": "重新提交",
	"score": "已打分", "batch1": "列入第一批", "batch2": "列入第二批", OutcomeSupplementary: "补充公布（列入第二批）", "not_selected": "未入选",
	"submit": "已提交", "file": "准予备案", "acknowledge": "已督办", "publish": "已公布",
	"dismiss": "不予支持", "rectify": "责令整改", "suspend": "暂停试点", "remove": "移出目录",
	"approve": "审核通过",
	"sustain": "异议成立",
}

// SLANames are the Chinese names of a task's or case's deadline state.
var SLANames = map[string]string{"on_time": "正常", "due_soon": "即将到期", "overdue": "逾期"}

// CollectionStatusNames are the Chinese names of a league collection's states.
var CollectionStatusNames = map[string]string{"collecting": "汇总中", "submitted": "已报送", "overdue": "逾期未报送"}

// CampaignStatusNames are the Chinese names of a campaign's states.
var CampaignStatusNames = map[string]string{"collecting": "征集汇总中", "evaluating": "评估审定中", "published": "目录已公布"}

// CandidateResultNames name a candidate's result (its status: CandidateStatus).
var CandidateResultNames = map[string]string{"pending": "未录入成绩", "pass": "合格", "fail": "不合格"}

// CandidateAuditNames name the appraisal centre's audit of a candidate's result.
var CandidateAuditNames = map[string]string{"pending": "待审核", "approved": "审核通过", "rejected": "退回更正"}

// CertificateStatusNames name a certificate's state.
var CertificateStatusNames = map[string]string{"valid": "有效", "revoked": "已撤销"}

// CaseStatusNames are the Chinese names of a case's status.
var CaseStatusNames = map[string]string{"open": "办理中", "closed": "已结束"}

// ProcessStageNames name the stages of tasks outside an enterprise's case (a complaint's
// verification), which the inbox shows beside the case stages.
var ProcessStageNames = map[string]string{"complaint": "投诉核查"}

// RatingNames are the Chinese names of a supervision report's ratings.
var RatingNames = map[string]string{"good": "良好", "acceptable": "合格", "rectify": "需整改", "serious": "存在严重问题"}

// AuditActionNames are the Chinese names of the audited actions; a decision
// ("task.decide:league_review") is named by its task kind (TaskKindNames).
var AuditActionNames = map[string]string{
	"login": "登录", "logout": "退出登录", "token.create": "创建接口令牌", "token.revoke": "撤销接口令牌",
	"user.create": "新建用户", "user.disable": "停用用户", "user.enable": "启用用户", "user.password_reset": "重置密码",
	"user.grant": "调整角色", "user.manage": "管理用户", "user.password_change": "修改本人密码", "user.totp_enable": "启用双因素登录",
	"user.totp_disable": "停用双因素登录", "user.totp_reset": "重置双因素登录", "user.identity_link": "绑定统一身份认证", "user.staff_id": "登记工号",
	"user.credential": "重置密码或解除登录限制", "login.read": "查看登录记录", "audit.export": "导出审计日志", "policy.read": "查看安全策略", "user.read": "查看用户", "audit.verify": "校验哈希链",
	"audit.read": "查看审计日志", "jurisdiction.precheck": "设置旗县初审", "jurisdiction.read": "查看行政区划",
	"jurisdiction.create": "新增旗县（市、区）", "jurisdiction.update": "修改旗县（市、区）", "jurisdiction.manage": "管理行政区划",
	"task.claim": "认领待办", "task.unclaim": "释放待办", "task.reassign": "改派待办", "task.decide": "办理待办",
	"task.escalate": "逾期上报", "finding.remind": "督办提醒", "application.create": "创建申报表",
	"application.save_draft": "保存草稿", "application.submit": "提交申报", "attachment.upload": "上传附件",
	"attachment.download": "下载附件", "personal_data.read": "查看个人信息", "case.start": "案件开始",
	"case.suspend": "暂停试点", "case.resume": "恢复试点", "case.remove": "移出试点", "campaign.start": "启动年度计划",
	"campaign.move_collection": "调整汇总截止时间", "campaign.move_publication": "调整目录公布时间",
	"statistics.export": "导出统计表", "statistics.read": "查看统计",
	"complaint.file": "投诉举报", "certificate.revoke": "吊销证书", "summary.export": "导出汇总表",
	"case.return": "退回企业补正", "case.withdraw": "撤回申报", "case.redraw": "重新抽取评估专家", "case.publish_late": "补充公布",
	"case.draw_panel": "重新抽取专家组", "expert.save": "维护评估专家库", "expert.import": "导入评估专家库",
	"panel.draw": "抽取评估专家", "panel.redraw": "重新抽取评估专家", "session.plan": "制定认定场次计划",
	"session.candidate_add": "登记考生", "session.candidate_photo": "上传考生证件照", "session.scores": "录入成绩", "supervision.draw": "双随机抽取督导",
	"supervision.report": "提交督导报告", "supervision.refile": "重新提交督导报告", "supervision.review": "审核督导报告",
	"enterprise.register": "企业注册", "occupation.exclude": "排除职业（工种）", "occupation.unexclude": "恢复职业（工种）", "occupation.eligibility": "设置职业申报条件",
	"league.overdue": "盟市逾期未报送汇总表", "campaign.create": "创建年度计划", "user.unlock": "解除登录限制",
	"objection.file": "对认定结果公示提出异议", "objection.receive": "受理公示异议", "session.issue": "公示期满颁发证书",
	"calendar.set": "登记节假日或调休上班日", "calendar.remove": "删除节假日或调休上班日", "calendar.publicity_days": "设置公示期",
	"session.candidate_remove": "移除误登记的考生", "session.candidate_import": "导入考生", "session.scores_import": "导入成绩",
	"supervision.amend":  "修改督导报告",
	"case.paper_receipt": "登记纸质申报表接收", "document_number.allocate": "编发文号或备案号", "enterprise.filing_code": "设置备案编码",
	"keys.rotate": "轮换数据密钥", "ledger.export": "导出工作台账", "occupation.import": "导入职业（工种）目录",
}

// TaskKindNames are the titles of the kinds of task.
var TaskKindNames = map[string]string{
	"county_precheck":       "旗县初审申报材料",
	"league_review":         "盟市审核申报材料",
	"correct_application":   "按审核意见补正申报材料",
	"expert_score":          "专家评估打分",
	"region_decision":       "审定试点企业及批次",
	"submit_work_plan":      "提交工作方案和评价规范",
	"file_work_plan":        "工作方案备案",
	"submit_summary":        "填报并报送汇总表",
	"supplementary_summary": "补充报送汇总表（报送后审核通过的企业）",
	"league_overdue":        "督办逾期未报送汇总表的盟市",
	"publish_directory":     "公布试点企业目录",
	"verify_complaint":      "核查投诉举报",
	"complaint_decision":    "审定投诉核查处理建议（暂停或移出目录）",
	"submit_results":        "提交认定结果",
	"audit_results":         "审核认定结果",
	"correct_results":       "按审核意见更正认定结果",
	"rectify":               "按投诉核查意见整改并报告整改情况",
	"verify_rectification":  "核验企业整改情况",
	"review_objection":      "核查认定结果公示异议",
}

// Kinds of code in Names.
const (
	NameStage            = "stage"
	NameProcessStage     = "process_stage"
	NameTaskKind         = "task_kind"
	NameOutcome          = "outcome"
	NameAuditAction      = "audit_action"
	NameRole             = "role"
	NameSLA              = "sla"
	NameCollectionStatus = "collection_status"
	NameCampaignStatus   = "campaign_status"
	NameCandidateResult  = "candidate_result"
	NameCandidateStatus  = "candidate_status"
	NameCandidateAudit   = "candidate_audit"
	NameCertificate      = "certificate_status"
	NameCaseStatus       = "case_status"
	NameRating           = "rating"
	NameReportStatus     = "report_status"
	NameRecord           = "record"
	NameEducation        = "education"
	NameGender           = "gender"
	NameDocument         = "document"
)

// Names is the one table of the Chinese names of codes, by kind of code.
var Names = map[string]map[string]string{
	NameStage: StageNames, NameProcessStage: ProcessStageNames, NameTaskKind: TaskKindNames, NameOutcome: OutcomeNames,
	NameAuditAction: AuditActionNames, NameRole: RoleNames, NameSLA: SLANames, NameCollectionStatus: CollectionStatusNames,
	NameCampaignStatus: CampaignStatusNames, NameCandidateResult: CandidateResultNames, NameCandidateStatus: CandidateStatusNames,
	NameCandidateAudit: CandidateAuditNames, NameCertificate: CertificateStatusNames, NameCaseStatus: CaseStatusNames,
	NameRating: RatingNames, NameReportStatus: ReportStatusNames, NameRecord: RecordNames, NameEducation: EducationNames,
	NameGender: GenderNames, NameDocument: DocNames,
}

// Name is the Chinese name of a code of a kind; a decision's audit action is named by its task
// kind. ok is false for a code the table lacks.
func Name(kind, code string) (name string, ok bool) {
	if n, ok := Names[kind][code]; ok {
		return n, true
	}
	if kind == NameAuditAction {
		if k, found := strings.CutPrefix(code, "task.decide:"); found {
			if n, ok := TaskKindNames[k]; ok {
				return "办理：" + n, true
			}
		}
	}
	return "", false
}
