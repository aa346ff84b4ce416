package grpcx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/upstatehq/upstate/pkg/logging"
)

func TestFieldViolations(t *testing.T) {
	err := InvalidArgument(FieldViolation{"title", "is required"}, FieldViolation{"service_ids", "must name at most 20 services"})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("code = %v", status.Code(err))
	}
	if msg := status.Convert(err).Message(); msg != "title: is required; service_ids: must name at most 20 services" {
		t.Errorf("message = %q", msg)
	}
	got := FieldViolations(err)
	if len(got) != 2 || got[0] != (FieldViolation{"title", "is required"}) || got[1].Field != "service_ids" {
		t.Errorf("FieldViolations = %v", got)
	}
	if got := FieldViolations(ErrMalformedToken); len(got) != 1 || got[0].Field != PageTokenField {
		t.Errorf("FieldViolations(ErrMalformedToken) = %v", got)
	}
	for _, err := range []error{nil, errors.New("page_token: is malformed"), status.Error(codes.InvalidArgument, "page_token: is malformed")} {
		if got := FieldViolations(err); got != nil {
			t.Errorf("FieldViolations(%v) = %v, want none", err, got)
		}
	}
}

// failing is a gRPC service whose one method returns err.
func failing(err error) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "upstate.test.v1.FailingService",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Fail",
			Handler: func(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				var in emptypb.Empty
				if err := dec(&in); err != nil {
					return nil, err
				}
				info := &grpc.UnaryServerInfo{FullMethod: "/upstate.test.v1.FailingService/Fail"}
				return interceptor(ctx, &in, info, func(context.Context, any) (any, error) { return nil, err })
			},
		}},
	}
}

// serveFailing serves a service failing with err and returns a connection
// to it, and the server's log.
func serveFailing(t *testing.T, err error) (*grpc.ClientConn, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	srv := NewServer(logging.New(&log, logging.Options{Format: "json"}), prometheus.NewRegistry(), Auth{})
	srv.RegisterService(failing(err), struct{}{})
	lis, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(context.Background()) })
	conn, derr := Dial(lis.Addr().String(), Auth{})
	if derr != nil {
		t.Fatal(derr)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, &log
}

// A server fault reaches the caller as "internal error" only; its cause is
// logged once by the server, with the caller's request id.
func TestServerFaultsStayOnTheServer(t *testing.T) {
	const secret = `ERROR: relation "status.services" does not exist (SQLSTATE 42P01)`
	tests := []struct {
		name    string
		err     error
		code    codes.Code
		message string
	}{
		{"internal", Internal(fmt.Errorf("get service svc_1: %s", secret)), codes.Internal, "internal error"},
		{"unmapped error", fmt.Errorf("list services: %s", secret), codes.Internal, "internal error"},
		{"wrapped status", fmt.Errorf("list services: %w", status.Error(codes.Internal, secret)), codes.Internal, "internal error"},
		{"unavailable", Unavailable("the status service is unavailable; retry shortly", errors.New(secret)), codes.Unavailable, "the status service is unavailable; retry shortly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, log := serveFailing(t, tt.err)
			ctx := logging.WithRequestID(context.Background(), "req-"+strings.ReplaceAll(tt.name, " ", "-"))
			err := conn.Invoke(ctx, "/upstate.test.v1.FailingService/Fail", &emptypb.Empty{}, &emptypb.Empty{})
			if st := status.Convert(err); st.Code() != tt.code || st.Message() != tt.message {
				t.Fatalf("caller got %v, want %s %q", err, tt.code, tt.message)
			}
			lines := strings.Split(strings.TrimSpace(log.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "SQLSTATE 42P01") ||
				!strings.Contains(lines[0], `"request_id":"req-`+strings.ReplaceAll(tt.name, " ", "-")+`"`) {
				t.Errorf("server log = %s, want one line with the cause and the request id", log)
			}
		})
	}
}

// Client errors are the caller's: sent as they are, not logged.
func TestClientErrorsReachTheCaller(t *testing.T) {
	conn, log := serveFailing(t, InvalidField("name", "is required"))
	err := conn.Invoke(context.Background(), "/upstate.test.v1.FailingService/Fail", &emptypb.Empty{}, &emptypb.Empty{})
	if got := FieldViolations(err); status.Code(err) != codes.InvalidArgument || len(got) != 1 || got[0].Field != "name" {
		t.Fatalf("caller got %v with violations %v", err, got)
	}
	if log.Len() != 0 {
		t.Errorf("a client error was logged: %s", log)
	}
}

// A service that is not there, or too slow, is unavailable to its caller;
// what it answered on purpose is not.
func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	refusing, _ := serveFailing(t, InvalidField("name", "is required"))
	failing, _ := serveFailing(t, Internal(errors.New("bug")))
	// An address nothing listens on any more.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := lis.Addr().String()
	_ = lis.Close()
	down, err := Dial(gone, Auth{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = down.Close() })
	invoke := func(conn *grpc.ClientConn, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return conn.Invoke(ctx, "/upstate.test.v1.FailingService/Fail", &emptypb.Empty{}, &emptypb.Empty{})
	}

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no server", invoke(down, 5*time.Second), true},
		{"no answer in time", invoke(down, time.Nanosecond), true},
		{"wrapped", fmt.Errorf("get service svc_1: %w", invoke(down, 5*time.Second)), true},
		{"unavailable on purpose", Unavailable("busy; retry shortly", errors.New("lock held")), true},
		{"refused", invoke(refusing, 5*time.Second), false},
		{"server fault", invoke(failing, 5*time.Second), false},
		{"not a status", errors.New("decode: bad value"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsUnavailable(tt.err); got != tt.want {
				t.Errorf("IsUnavailable(%v) = %t, want %t", tt.err, got, tt.want)
			}
		})
	}
}
