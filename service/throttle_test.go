package service

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// TestCaptchaAnswersAreHashedAndSingleUse: the real drawing (five random digits, a PNG data:
// URL), only a hash kept, full-width digits accepted, each CAPTCHA checked once.
func TestCaptchaAnswersAreHashedAndSingleUse(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	var answer string
	e.s.thr.answer = func() string {
		_, _, answer = captchaDriver.GenerateIdQuestionAnswer()
		return answer
	}
	ch, err := e.s.NewCaptcha(ctx)
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^[0-9]{5}$`), answer)
	require.True(t, strings.HasPrefix(ch.Image, "data:image/png;base64,"))
	require.Equal(t, CaptchaPrompt, ch.Prompt)
	var rows []models.Captcha
	require.NoError(t, e.db.Find(&rows).Error)
	require.Len(t, rows, 1)
	require.NotContains(t, rows[0].AnswerHash, answer)

	fullWidth := strings.Map(func(r rune) rune { return r - '0' + '０' }, answer)
	require.NoError(t, e.s.checkCaptcha(ctx, Guard{CaptchaID: ch.ID, CaptchaAnswer: " " + fullWidth + " "}))
	require.ErrorIs(t, e.s.checkCaptcha(ctx, Guard{CaptchaID: ch.ID, CaptchaAnswer: answer}), ErrCaptchaInvalid, "used up")
	require.ErrorIs(t, e.s.checkCaptcha(ctx, Guard{}), ErrCaptchaRequired)

	ch, err = e.s.NewCaptcha(ctx)
	require.NoError(t, err)
	wrong := "00000"
	if answer == wrong {
		wrong = "11111"
	}
	require.ErrorIs(t, e.s.checkCaptcha(ctx, Guard{CaptchaID: ch.ID, CaptchaAnswer: wrong}), ErrCaptchaInvalid)
	require.ErrorIs(t, e.s.checkCaptcha(ctx, Guard{CaptchaID: ch.ID, CaptchaAnswer: answer}), ErrCaptchaInvalid, "a wrong answer uses it up too")
}
