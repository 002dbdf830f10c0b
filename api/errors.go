package api

import (
	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// bindJSON decodes a JSON body into v, answering 400 with the vocabulary's message when it
// is not valid JSON for v.
func bindJSON(c *gin.Context, v any) error {
	if err := c.ShouldBindJSON(v); err != nil {
		return service.BadRequest("bad_json", "请求内容不是有效的 JSON。")
	}
	return nil
}
