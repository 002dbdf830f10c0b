package service

import (
	"context"

	"skillcert/models"
)

// LoginHistoryQuery asks for a page of the login history: the caller's own (UserID empty and
// All false), one account's (UserID) or everyone's (All). Another account's and everyone's
// need login:read (the audit administrator).
type LoginHistoryQuery struct {
	UserID        string
	All           bool
	Limit, Offset int
}

// LoginHistory lists login attempts (time, address, method, result), newest first.
func (s *Service) LoginHistory(ctx context.Context, a *Actor, in LoginHistoryQuery) (ListResponse[models.LoginAttempt], error) {
	if a == nil {
		return ListResponse[models.LoginAttempt]{}, ErrUnauthenticated
	}
	q := models.LoginQuery{UserID: in.UserID, Limit: in.Limit, Offset: in.Offset}
	switch {
	case in.All:
		q.UserID = ""
		if err := s.Require(ctx, a, "login", "read", a.Domain); err != nil {
			return ListResponse[models.LoginAttempt]{}, err
		}
	case in.UserID == "" || in.UserID == a.User.ID:
		q.UserID = a.User.ID
	default:
		u, err := s.db.UserByID(ctx, in.UserID)
		if err != nil {
			return ListResponse[models.LoginAttempt]{}, err
		}
		d, err := s.userDomain(ctx, u)
		if err != nil {
			return ListResponse[models.LoginAttempt]{}, err
		}
		if err := s.Require(ctx, a, "login", "read", d); err != nil {
			return ListResponse[models.LoginAttempt]{}, err
		}
	}
	rows, total, err := s.db.LoginAttempts(ctx, q)
	if err != nil {
		return ListResponse[models.LoginAttempt]{}, err
	}
	return ListResponse[models.LoginAttempt]{Items: rows, Total: total, Limit: in.Limit, Offset: in.Offset}, nil
}
