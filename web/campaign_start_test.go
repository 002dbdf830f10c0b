package web

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The region starts a campaign from /campaign: a form with the year and optional deadlines,
// refused input answered field by field with the error summary and the typed values kept; other
// officials see no form and may not post it.
func TestCampaignStartPage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	year := time.Now().Year()

	body := e.pageOK(e.login("hohhot"), "/campaign", http.StatusOK)
	require.Contains(t, body, "尚未启动年度试点征集")
	require.NotContains(t, body, "启动年度试点征集</h2>", "a league starts no campaign")

	r := e.login("region")
	body = e.pageOK(r, "/campaign", http.StatusOK)
	require.Contains(t, body, "启动年度试点征集</h2>")
	require.Contains(t, body, `action="/campaign/start"`)
	require.Contains(t, body, strconv.Itoa(year+2)+" 年度")

	// A bad date and a missing partner date are both said at once; what was typed stays.
	resp, body := e.postForm(r, "/campaign/start", url.Values{"csrf_token": {csrfOf(t, body)}, "year": {strconv.Itoa(year + 1)},
		"collection_date": {"5月20日"}, "publication_date": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "日期格式应为 2027-05-20。")
	require.Contains(t, body, `value="5月20日"`)
	require.Contains(t, body, `<option value="`+strconv.Itoa(year+1)+`" selected`)
	requireTopSummary(t, body, "#f-collection_deadline")

	resp, body = e.postForm(r, "/campaign/start", url.Values{"csrf_token": {csrfOf(t, body)}, "year": {strconv.Itoa(year + 1)},
		"collection_date": {strconv.Itoa(year+1) + "-06-05"}, "publication_date": {strconv.Itoa(year+1) + "-05-20"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "目录公布时间应晚于汇总截止时间。")
	requireTopSummary(t, body, "#f-publication_target")

	resp, body = e.postForm(r, "/campaign/start", url.Values{"csrf_token": {csrfOf(t, body)}, "year": {strconv.Itoa(year + 1)},
		"collection_date": {strconv.Itoa(year+1) + "-05-20"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "自定义日程须同时给出汇总截止时间和目录公布时间。")

	resp, body = e.postForm(r, "/campaign/start", url.Values{"csrf_token": {csrfOf(t, body)}, "year": {"1999"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "年度应为 "+strconv.Itoa(year))
	requireTopSummary(t, body, "#f-year")
	_, err := e.db.LatestCampaign(t.Context())
	require.ErrorIs(t, err, models.ErrNotFound, "nothing started")

	// A league official's post is refused by the use case.
	h := e.login("hohhot")
	body = e.pageOK(h, "/campaign", http.StatusOK)
	resp, _ = e.postForm(h, "/campaign/start", url.Values{"csrf_token": {csrfOf(t, body)}, "year": {strconv.Itoa(year + 1)}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
