package pgdb

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports whether err says the database could not be used
// right now, not that the statement was wrong: no connection could be made
// (refused, not accepting connections, too many clients), the connection
// was lost or closed, the server is shutting down or starting up (57P01,
// 57P02, 57P03, or any connection exception, class 08), or it did not
// answer before the context's deadline. Such a failure is worth retrying
// later, as is: consumers retry the message without counting it against
// it, APIs answer Unavailable.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return isUnavailableCode(pgErr.Code)
	}
	if errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The server closed the connection without saying why.
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// isUnavailableCode reports whether a SQLSTATE says the server cannot serve
// the session now.
func isUnavailableCode(code string) bool {
	switch code {
	case "57P01", // admin_shutdown: terminated by an administrator or a fast shutdown
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now: starting up, shutting down, in recovery
		"53300": // too_many_connections
		return true
	}
	return strings.HasPrefix(code, "08") // connection_exception
}
