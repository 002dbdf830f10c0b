package web

import (
	"errors"
	"html/template"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
	"skillcert/service"
)

// captchaField is a form's CAPTCHA (the layout's "captcha" template): the image, the hidden
// captcha_id and the answer field, with its error.
type captchaField struct {
	ID     string
	Image  template.URL
	Prompt string
	Error  string
}

// captchaFieldID is the answer field's element ID, for the error summaries' links.
const captchaFieldID = "f-captcha_answer"

// captchaGuard is the CAPTCHA a form sent, and the client address.
func captchaGuard(c *gin.Context) service.Guard {
	return service.Guard{Addr: c.ClientIP(), CaptchaID: c.PostForm("captcha_id"), CaptchaAnswer: c.PostForm("captcha_answer")}
}

// captchaFor is the CAPTCHA a form shows: one when err refused the submission for its CAPTCHA
// (with the reason by the field), or when the next submission from this address (for the
// account, on the login form) will need one; nil otherwise. Every CAPTCHA is fresh: an answered
// one is used up, right or wrong.
func (p *Pages) captchaFor(c *gin.Context, purpose domain.ThrottlePurpose, account string, err error) (*captchaField, error) {
	var e *service.Error
	refused := errors.As(err, &e) && (e.Code == service.ErrCaptchaRequired.Code || e.Code == service.ErrCaptchaInvalid.Code)
	if !refused {
		due, derr := p.svc.CaptchaDue(c.Request.Context(), purpose, c.ClientIP(), account)
		if derr != nil {
			return nil, derr
		}
		if !due {
			return nil, nil
		}
	}
	ch, nerr := p.svc.NewCaptcha(c.Request.Context())
	if nerr != nil {
		return nil, nerr
	}
	// Trusted: the data: URL is the PNG the service just drew (html/template would refuse it).
	f := &captchaField{ID: ch.ID, Image: template.URL(ch.Image), Prompt: ch.Prompt}
	if refused && len(e.Fields) > 0 {
		f.Error = e.Fields[0].Message
	}
	return f, nil
}
