package grpcx

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"unicode/utf8"
)

// Page sizes of every list RPC.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// PageSize validates a request's page_size: 0 means DefaultPageSize.
func PageSize(n int32) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, InvalidField("page_size", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	return int(n), nil
}

// CutPage drops the extra row fetched to learn whether another page
// follows, and returns the token that continues after the last row kept
// ("" on the last page).
func CutPage[T any](rows []T, size int, token func(T) string) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, token(rows[size-1])
}

// Page tokens are opaque to clients: base64 of the last key seen.

// PageTokenField is the request field of page tokens. A field violation
// naming it tells callers the token is bad, not a value in the request.
const PageTokenField = "page_token"

// ErrMalformedToken is the InvalidArgument of a page token that no listing
// handed out.
var ErrMalformedToken = InvalidField(PageTokenField, "is malformed")

// EncodeToken turns the key of the last row of a page into a page token.
func EncodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// DecodeToken returns the key a page token carries ("" for "").
func DecodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	// Keys are ids or numbers: anything else did not come from EncodeToken.
	if err != nil || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", ErrMalformedToken
	}
	return string(b), nil
}

// PageRequest is a request for a page of an organisation's records.
type PageRequest interface {
	GetOrgId() string
	GetPageSize() int32
	GetPageToken() string
}

// OrgPage validates a PageRequest, in the order every list RPC checks
// them: the organisation (RequireOrg), the page size (PageSize) and the
// page token. It returns the size and the key the page continues from
// ("" for the first page).
func OrgPage(req PageRequest) (size int, key string, err error) {
	if err := RequireOrg(req.GetOrgId()); err != nil {
		return 0, "", err
	}
	if size, err = PageSize(req.GetPageSize()); err != nil {
		return 0, "", err
	}
	if key, err = DecodeToken(req.GetPageToken()); err != nil {
		return 0, "", err
	}
	return size, key, nil
}
