package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
)

// The security administrator's policy page: the effective security policy as configured
// (read-only; service.SecurityPolicy).

func (p *Pages) securityPolicyRoutes(r *gin.Engine, login gin.HandlerFunc) {
	r.GET("/admin/security-policy", login, p.api.Authorize("policy", "read", api.OwnScope), p.api.Page(p.securityPolicyPage))
}

// policyRow is one line of the policy page: what, and how it is set.
type policyRow struct{ Label, Value, Source string }

// policySection is one part of the policy page.
type policySection struct {
	ID, Title string
	Rows      []policyRow
}

type securityPolicyView struct {
	pageView
	Sections []policySection
}

// cnDuration says a duration in Chinese (days, hours, minutes or seconds).
func cnDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "不限"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d 小时", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	}
	return fmt.Sprintf("%d 秒", d/time.Second)
}

func roleList(roles []string) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = models.RoleNames[r]
	}
	return strings.Join(names, "、")
}

func throttleText(b domain.ThrottleBudget) string {
	parts := []string{fmt.Sprintf("%s 内", cnDuration(b.Window))}
	if b.CaptchaAfter > 0 {
		parts = append(parts, fmt.Sprintf("失败 %d 次后须输入验证码", b.CaptchaAfter))
	}
	if b.DelayAfter > 0 {
		parts = append(parts, fmt.Sprintf("失败 %d 次后每次须等待（%s 起逐次加倍，最长 %s）", b.DelayAfter, cnDuration(b.FirstDelay), cnDuration(b.MaxDelay)))
	}
	return strings.Join(parts, "，")
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func (p *Pages) securityPolicyPage(c *gin.Context) error {
	sp, err := p.svc.SecurityPolicy(c.Request.Context(), api.ActorFrom(c))
	if err != nil {
		return err
	}
	v := &securityPolicyView{pageView: pageView{pageData: pageData{Title: "安全策略"}}}
	code, deploy := "系统规定", "部署配置"
	v.Sections = append(v.Sections, policySection{ID: "password", Title: "口令", Rows: []policyRow{
		{"口令强度", fmt.Sprintf("至少 %d 个字符且含大写字母、小写字母、数字、其他符号中的三类；或至少 %d 个字符、三个以上词语的口令短语；不得包含用户名", sp.MinPasswordLen, sp.MinPassphraseLen), code},
		{"口令有效期", cnDuration(sp.PasswordMaxAge) + "（适用于：" + roleList(sp.ExpiringRoles) + "；到期后登录须先修改）", deploy},
		{"禁止重复使用", fmt.Sprintf("最近 %d 次用过的口令", sp.PasswordHistoryDepth), code},
		{"首次登录和重置后", "须先修改口令才能使用其他功能", code},
		{"一次性重置码", cnDuration(sp.ResetCodeTTL) + "内有效，只能登录一次", code},
		{"不得由管理员设定口令的账户", roleList(sp.GeneratedPasswordRoles) + "（由系统生成一次性口令）", code},
	}})
	v.Sections = append(v.Sections, policySection{ID: "twofactor", Title: "双因素登录（动态口令）", Rows: []policyRow{
		{"强制启用", yesNo(sp.TwoFactorRequired, "是：", "否（可自愿启用）：") + roleList(sp.SecondFactorRoles) + yesNo(sp.TwoFactorRequired, " 须启用后才能使用系统", " 未被强制"), deploy},
		{"其他账户", "可自愿启用，也可凭当前动态口令自行停用", code},
		{"手机丢失或更换", "由安全管理员重置；须强制启用的账户下次使用前重新启用", code},
	}})
	login := []policyRow{{"账户锁定", "不设硬锁定（防止他人故意锁死账户）；以验证码和逐次加长的等待限制猜测，安全管理员可解除", code}}
	if sp.LoginThrottled {
		login = append(login, policyRow{"按账户", throttleText(sp.LoginAccount), code}, policyRow{"按来源地址", throttleText(sp.LoginAddress), code})
	} else {
		login = append(login, policyRow{"登录限制", "未启用", deploy})
	}
	v.Sections = append(v.Sections, policySection{ID: "login", Title: "登录失败处理", Rows: login})
	var idRows []policyRow
	for _, o := range sp.OIDC {
		if !o.Configured {
			idRows = append(idRows, policyRow{o.Name + "统一身份认证登录", "未配置（使用用户名和密码登录）", deploy})
			continue
		}
		key := "统一社会信用代码"
		if o.Audience == models.AudienceOfficial {
			key = "工号"
		}
		idRows = append(idRows, policyRow{o.Name + "统一身份认证登录", fmt.Sprintf("已配置：平台 %s，客户端标识 %s，回调地址 %s；首次登录按声明 %s（%s）绑定已有账户；%s",
			o.Issuer, o.ClientID, o.RedirectURL, o.Claim, key, yesNo(o.SecondFactor, "平台登录视为第二因素", "已启用动态口令的账户仍须输入动态口令")), deploy})
	}
	v.Sections = append(v.Sections, policySection{ID: "oidc", Title: "统一身份认证", Rows: idRows})
	v.Sections = append(v.Sections, policySection{ID: "crypto", Title: "密码算法", Rows: []policyRow{
		{"身份证件号码加密、证书签名", yesNo(sp.CryptoSuite == "gm", "国密算法（SM4-GCM、HMAC-SM3、SM2、SM3）", "国际算法（AES-256-GCM、HMAC-SHA256、Ed25519、SHA-256）"), deploy},
	}})
	return p.show(c, http.StatusOK, "p_security_policy", v)
}
