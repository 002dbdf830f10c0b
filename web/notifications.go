package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/api"
)

// notificationsView is p_notifications.html's data: the user's latest notifications, unread
// ones marked.
type notificationsView struct {
	pageView
	Items []noteRow
}

type noteRow struct {
	ID, Subject, Body, At, CaseHref string
	Unread                          bool
}

// notificationsPage lists the caller's notifications, newest first: the same rows the outbox
// mails, so a user without e-mail learns of a new task or a return here.
func (p *Pages) notificationsPage(c *gin.Context) error {
	a := api.ActorFrom(c)
	ns, err := p.db.NotificationsFor(c.Request.Context(), a.User.ID, 100)
	if err != nil {
		return err
	}
	v := &notificationsView{pageView: pageView{pageData: pageData{Title: "通知"}}}
	for _, n := range ns {
		v.Items = append(v.Items, noteRow{ID: n.ID, Subject: n.Subject, Body: prettyReasons(n.Body), At: p.when(n.CreatedAt), Unread: n.ReadAt == nil})
	}
	return p.show(c, http.StatusOK, "p_notifications", v)
}

// notificationsRead marks one notification (id) or all of the caller's read; only the
// caller's own rows can change.
func (p *Pages) notificationsRead(c *gin.Context) error {
	a := api.ActorFrom(c)
	n, err := p.db.MarkNotificationsRead(c.Request.Context(), a.User.ID, c.PostForm("id"), p.now())
	if err != nil {
		return err
	}
	if n > 0 {
		p.flash(c, flashOK, "已标记为已读。")
	}
	return seeOther(c, "/notifications")
}
