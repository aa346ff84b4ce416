package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

// callContext is a request to the helpers, with its recorder.
func callContext(t testing.TB, method, target, body string) (echo.Context, *httptest.ResponseRecorder) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	rec := httptest.NewRecorder()
	return echo.New().NewContext(req, rec), rec
}

// wantStatus checks that err is the REST error of status.
func wantStatus(t testing.TB, err error, status int) {
	t.Helper()
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != status {
		t.Fatalf("err = %v, want a REST error %d", err, status)
	}
}

func TestInvokeBoundsTheCallAndMapsItsError(t *testing.T) {
	h := &Handler{callTimeout: time.Minute}
	c, _ := callContext(t, http.MethodGet, "/api/v1/users/u1", "")
	_, err := invoke(h, c, func(ctx context.Context, _ *notificationv1.GetUserRequest, _ ...grpc.CallOption) (*notificationv1.GetUserResponse, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the call has no deadline")
		}
		return nil, status.Error(codes.NotFound, "user u1 not found")
	}, &notificationv1.GetUserRequest{})
	wantStatus(t, err, http.StatusNotFound)
}

func TestListPage(t *testing.T) {
	h := &Handler{callTimeout: time.Minute}
	var got *notificationv1.ListUsersRequest
	list := func(_ context.Context, req *notificationv1.ListUsersRequest, _ ...grpc.CallOption) (*notificationv1.ListUsersResponse, error) {
		got = req
		return &notificationv1.ListUsersResponse{NextPageToken: "next"}, nil
	}
	query := func(_ echo.Context, size int32, token string) (*notificationv1.ListUsersRequest, error) {
		return &notificationv1.ListUsersRequest{PageSize: size, PageToken: token}, nil
	}

	t.Run("a bad limit is refused without a call", func(t *testing.T) {
		got = nil
		c, _ := callContext(t, http.MethodGet, "/api/v1/users?limit=0", "")
		wantStatus(t, listPage(h, c, list, query, (*notificationv1.ListUsersResponse).GetUsers, toUserJSON), http.StatusUnprocessableEntity)
		if got != nil {
			t.Fatal("the backing service was called")
		}
	})
	t.Run("an empty page is an empty list with the next cursor", func(t *testing.T) {
		c, rec := callContext(t, http.MethodGet, "/api/v1/users?limit=7&cursor=abc", "")
		if err := listPage(h, c, list, query, (*notificationv1.ListUsersResponse).GetUsers, toUserJSON); err != nil {
			t.Fatal(err)
		}
		if got.GetPageSize() != 7 || got.GetPageToken() != "abc" {
			t.Fatalf("request = %v, want page size 7 from abc", got)
		}
		if body := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || body != `{"data":[],"next_cursor":"next"}` {
			t.Fatalf("answer = %d %s", rec.Code, body)
		}
	})
}

func TestCreateAnswersWhereTheObjectIs(t *testing.T) {
	h := &Handler{callTimeout: time.Minute}
	build := func(b userBody) (*notificationv1.CreateUserRequest, error) {
		spec, _, err := b.spec()
		return &notificationv1.CreateUserRequest{Spec: spec}, err
	}
	createUser := func(_ context.Context, req *notificationv1.CreateUserRequest, _ ...grpc.CallOption) (*notificationv1.CreateUserResponse, error) {
		return &notificationv1.CreateUserResponse{User: &notificationv1.User{Id: "usr_1", Spec: req.GetSpec()}}, nil
	}
	c, rec := callContext(t, http.MethodPost, "/api/v1/users", `{"name":"Ada","email":"ada@example.com"}`)
	if err := create(h, c, "/api/v1/users/", createUser, build, (*notificationv1.CreateUserResponse).GetUser, toUserJSON); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusCreated || rec.Header().Get(echo.HeaderLocation) != "/api/v1/users/usr_1" {
		t.Fatalf("answer = %d at %q, want 201 at /api/v1/users/usr_1", rec.Code, rec.Header().Get(echo.HeaderLocation))
	}

	c, _ = callContext(t, http.MethodPost, "/api/v1/users", `{"nmae":"Ada"}`)
	wantStatus(t, create(h, c, "/api/v1/users/", createUser, build, (*notificationv1.CreateUserResponse).GetUser, toUserJSON), http.StatusBadRequest)
}

func TestListOfRowsCutsTheRowOverTheLimit(t *testing.T) {
	id := func(s string) string { return s }
	show := func(s string) string { return "<" + s + ">" }
	tests := []struct {
		rows     []string
		wantData string
		wantNext string
	}{
		{[]string{"a", "b", "c"}, "<a> <b>", grpcx.EncodeToken("b")},
		{[]string{"a", "b"}, "<a> <b>", ""},
		{nil, "", ""},
	}
	for _, tt := range tests {
		out := listOfRows(tt.rows, 2, id, show)
		if got := strings.Join(out.Data, " "); got != tt.wantData || out.NextCursor != tt.wantNext || out.Data == nil {
			t.Errorf("listOfRows(%q) = %q next %q, want %q next %q", tt.rows, out.Data, out.NextCursor, tt.wantData, tt.wantNext)
		}
	}
}
