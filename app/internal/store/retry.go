package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// invalidPassword is SQLSTATE 28P01, the server refusing the password.
const invalidPassword = "28P01"

// IsPasswordRejected reports whether err is the server refusing the password
// while a connection was being opened.
func IsPasswordRejected(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == invalidPassword
}

// retryDelays space the attempts after a refused password. Rotations write
// the database and the secret one after the other, so for a moment neither
// the cached nor the freshly fetched password may work; about four seconds
// of retries, inside the request deadline, bridge that gap.
var retryDelays = []time.Duration{0, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// Retry runs fn, and runs it again while opening a connection fails with a
// refused password and the pool fetches its credentials per connection (see
// Open): each new connection then asks for the password again, and the
// refusal has already made the cached one be fetched anew. fn must not have
// done anything when it fails that way, which holds because the connection
// was never opened. Pools with fixed credentials fail at once, as before.
func Retry(ctx context.Context, pool *pgxpool.Pool, fn func(context.Context) error) error {
	err := fn(ctx)
	if err == nil || !IsPasswordRejected(err) || pool.Config().BeforeConnect == nil {
		return err
	}
	for _, d := range retryDelays {
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(d):
		}
		if err = fn(ctx); err == nil || !IsPasswordRejected(err) {
			return err
		}
	}
	return err
}
