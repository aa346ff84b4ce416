package grpcx

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestPageTokens(t *testing.T) {
	if got, err := DecodeToken(EncodeToken("inc_01abc")); err != nil || got != "inc_01abc" {
		t.Fatalf("round trip = %q, %v", got, err)
	}
	if got, err := DecodeToken(""); err != nil || got != "" {
		t.Fatalf("empty token = %q, %v", got, err)
	}
	// "gA" is 0x80 (not UTF-8), "AA" a NUL, "!!" not base64.
	for _, bad := range []string{"gA", "AA", "!!"} {
		if _, err := DecodeToken(bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("DecodeToken(%q) = %v, want InvalidArgument", bad, err)
		}
	}
	rows, next := CutPage([]int{1, 2, 3}, 2, func(n int) string { return EncodeToken(string(rune('0' + n))) })
	if len(rows) != 2 || next != EncodeToken("2") {
		t.Fatalf("CutPage = %v, %q", rows, next)
	}
	if _, err := PageSize(MaxPageSize + 1); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("PageSize over the maximum = %v", err)
	}
}

type pageRequest struct {
	org   string
	size  int32
	token string
}

func (r pageRequest) GetOrgId() string     { return r.org }
func (r pageRequest) GetPageSize() int32   { return r.size }
func (r pageRequest) GetPageToken() string { return r.token }

func TestOrgPage(t *testing.T) {
	size, key, err := OrgPage(pageRequest{org: "org_1", token: EncodeToken("inc_9")})
	if err != nil || size != DefaultPageSize || key != "inc_9" {
		t.Fatalf("OrgPage = %d, %q, %v", size, key, err)
	}
	// Each field is checked, the organisation first.
	for _, tc := range []struct {
		req   pageRequest
		field string
	}{
		{pageRequest{size: -1, token: "!!"}, "org_id"},
		{pageRequest{org: "org_1", size: -1, token: "!!"}, "page_size"},
		{pageRequest{org: "org_1", size: 10, token: "!!"}, PageTokenField},
	} {
		_, _, err := OrgPage(tc.req)
		if v := FieldViolations(err); len(v) != 1 || v[0].Field != tc.field {
			t.Errorf("OrgPage(%+v) = %v, want a violation of %s", tc.req, err, tc.field)
		}
	}
}
