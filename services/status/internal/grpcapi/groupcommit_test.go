package grpcapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// Concurrent status changes over gRPC, gathered into shared commits, each
// answer their own caller: every change is applied once, each service's
// versions are contiguous, and a caller reporting on another
// organisation's service alone is refused.
func TestConcurrentSetStatusAnswersEachCaller(t *testing.T) {
	t.Parallel()
	s := serve(t)
	ctx := context.Background()
	const services, rounds = 16, 10
	ids := make([]string, services)
	for i := range ids {
		created, err := s.services.CreateService(ctx, &statusv1.CreateServiceRequest{OrgId: "org_a", Name: fmt.Sprintf("svc-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = created.GetService().GetId()
	}
	statuses := []statusv1.Status{statusv1.Status_STATUS_DOWN, statusv1.Status_STATUS_OPERATIONAL}
	var wg sync.WaitGroup
	errs := make(chan error, services+1)
	for _, id := range ids {
		wg.Add(1)
		go func() { // one caller per service, each change after the last answer
			defer wg.Done()
			for r := range rounds {
				resp, err := s.services.SetStatus(ctx, &statusv1.SetStatusRequest{OrgId: "org_a", ServiceId: id, Status: statuses[r%2]})
				if err != nil || !resp.GetChanged() || resp.GetService().GetStatus() != statuses[r%2] || resp.GetService().GetVersion() != int64(r+2) {
					errs <- fmt.Errorf("%s round %d: %v, %v", id, r, resp, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := s.services.SetStatus(ctx, &statusv1.SetStatusRequest{OrgId: "org_b", ServiceId: ids[0], Status: statusv1.Status_STATUS_DOWN}); err == nil {
			errs <- fmt.Errorf("another organisation changed %s", ids[0])
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		h, err := s.services.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{OrgId: "org_a", ServiceId: id, PageSize: 100})
		if err != nil || len(h.GetChanges()) != rounds {
			t.Errorf("%s history: %d changes, %v; want %d", id, len(h.GetChanges()), err, rounds)
		}
	}
}
