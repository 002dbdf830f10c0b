package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// The larger-text option (适老化): the header's 大字 button keeps the choice in a cookie, and
// the layout then sets the class large-text on the root element, whose larger font size every
// size in app.css (in rem) follows. It works without JavaScript and for visitors.

// textSizeCookie holds "large" while the larger text is on.
const textSizeCookie = "skillcert_text"

// largeText reports whether the request asks for the larger text.
func largeText(c *gin.Context) bool {
	v, err := c.Cookie(textSizeCookie)
	return err == nil && v == "large"
}

// textSizeSubmit turns the larger text on (size=large) or off and returns to the page it came from.
func (p *Pages) textSizeSubmit(c *gin.Context) error {
	if c.PostForm("size") == "large" {
		p.api.SetCookie(c, textSizeCookie, "large", 365*24*3600)
	} else {
		p.api.ClearCookie(c, textSizeCookie)
	}
	c.Redirect(http.StatusSeeOther, localPath(c.PostForm("back"), "/"))
	return nil
}
