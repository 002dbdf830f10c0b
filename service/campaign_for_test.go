package service

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// The running campaign's calendar decides which campaign takes an application: after the region
// moved the 2027 collection deadline from 20 May to 10 June, an enterprise opening its form on
// 25 May applies in 2027 (before, the default 20 May put it in 2028, whose case then signalled a
// league collection that does not exist).
func TestCampaignForFollowsTheRunningCalendar(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, domain.Shanghai)
		require.NoError(t, err)
		return v
	}
	collection, publication := domain.DefaultCalendar(2027)
	require.NoError(t, e.db.Create(&models.Campaign{ID: "2027", Year: 2027, CollectionDeadline: collection, PublicationTarget: publication, Status: "collecting"}).Error)

	got, err := e.s.CampaignFor(ctx, at("2027-05-25 10:00"))
	require.NoError(t, err)
	require.Equal(t, "2028", got, "the default deadline passed")

	moved := at("2027-06-10 23:59")
	require.NoError(t, e.db.Model(&models.Campaign{}).Where("id = ?", "2027").Update("collection_deadline", moved.UTC()).Error)
	got, err = e.s.CampaignFor(ctx, at("2027-05-25 10:00"))
	require.NoError(t, err)
	require.Equal(t, "2027", got, "the moved deadline has not passed")

	got, err = e.s.CampaignFor(ctx, at("2027-06-11 09:00"))
	require.NoError(t, err)
	require.Equal(t, "2028", got)

	got, err = e.s.CampaignFor(ctx, at("2027-03-01 09:00"))
	require.NoError(t, err)
	require.Equal(t, "2027", got)
}
