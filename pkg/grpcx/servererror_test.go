package grpcx

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestServerError(t *testing.T) {
	errDown := errors.New("connection refused")
	down := func(err error) bool { return errors.Is(err, errDown) }
	upstream := func(code codes.Code, err error) error { return UpstreamUnavailable("status", code, err) }
	for _, tc := range []struct {
		name     string
		err      error
		upstream func(codes.Code, error) error
		code     codes.Code
		msg      string
	}{
		{"cancelled", fmt.Errorf("load: %w", context.Canceled), upstream, codes.Canceled, "request cancelled"},
		{"deadline", fmt.Errorf("load: %w", context.DeadlineExceeded), upstream, codes.DeadlineExceeded, "deadline exceeded"},
		{"own infrastructure", fmt.Errorf("load: %w", errDown), upstream, codes.Unavailable, "the alerting service is temporarily unavailable; retry shortly"},
		{"upstream unavailable", fmt.Errorf("check: %w", status.Error(codes.Unavailable, "no route")), upstream, codes.Unavailable, "the status service is unavailable; retry shortly"},
		{"upstream overloaded", status.Error(codes.ResourceExhausted, "slow down"), upstream, codes.Unavailable, "the status service is unavailable; retry shortly"},
		{"upstream refusal", status.Error(codes.InvalidArgument, "org_id: is required"), upstream, codes.Internal, "internal error"},
		{"status without upstream", status.Error(codes.Unavailable, "no route"), nil, codes.Internal, "internal error"},
		{"fault", errors.New("boom"), upstream, codes.Internal, "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ServerError(tc.err, "alerting", down, tc.upstream)
			st := status.Convert(got)
			if st.Code() != tc.code || st.Message() != tc.msg {
				t.Errorf("ServerError = %v %q, want %v %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			// The cause stays for the server's log line where the caller
			// gets a message of its own.
			if tc.code == codes.Internal || tc.code == codes.Unavailable {
				if !errors.Is(got, tc.err) {
					t.Errorf("ServerError(%v) lost its cause", tc.err)
				}
			}
		})
	}
}
