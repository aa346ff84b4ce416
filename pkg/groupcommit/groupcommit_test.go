package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/upstatehq/upstate/pkg/groupcommit"
)

// Concurrent callers are gathered into batches while a commit is in
// flight, and each gets its own result.
func TestGroupGathersConcurrentRequests(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var sizes []int
	release := make(chan struct{})
	g := groupcommit.New(func(_ context.Context, reqs []int) []groupcommit.Result[int] {
		<-release // the first batch holds the only slot while the others queue
		mu.Lock()
		sizes = append(sizes, len(reqs))
		mu.Unlock()
		out := make([]groupcommit.Result[int], len(reqs))
		for i, r := range reqs {
			out[i].Value = r * 10
		}
		return out
	}, groupcommit.Options{Concurrency: 1, MaxBatch: 64})

	const callers = 50
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := g.Do(context.Background(), i)
			if err != nil || v != i*10 {
				errs <- fmt.Errorf("caller %d got %d, %v", i, v, err)
			}
		}()
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range sizes {
		total += n
	}
	if total != callers || len(sizes) >= callers || slices.Max(sizes) < 2 {
		t.Errorf("batch sizes %v: want all %d requests in fewer, larger batches", sizes, callers)
	}
}

// A request that fails the batch fails only its caller: Isolate applies
// the others again one by one.
func TestIsolateFailsOnlyTheBadRequest(t *testing.T) {
	t.Parallel()
	bad := errors.New("bad request")
	applied := map[int]int{}
	var mu sync.Mutex
	apply := groupcommit.Isolate(
		func(_ context.Context, reqs []int) ([]groupcommit.Result[int], error) {
			if slices.Contains(reqs, 13) {
				return nil, bad // the whole transaction rolls back
			}
			mu.Lock()
			defer mu.Unlock()
			out := make([]groupcommit.Result[int], len(reqs))
			for i, r := range reqs {
				applied[r]++
				out[i].Value = r
			}
			return out, nil
		},
		func(_ context.Context, r int) (int, error) {
			if r == 13 {
				return 0, bad
			}
			mu.Lock()
			defer mu.Unlock()
			applied[r]++
			return r, nil
		})
	out := apply(context.Background(), []int{11, 12, 13, 14})
	for i, r := range []int{11, 12, 13, 14} {
		wantErr := r == 13
		if (out[i].Err != nil) != wantErr || (!wantErr && out[i].Value != r) {
			t.Errorf("request %d: %+v", r, out[i])
		}
		if n := applied[r]; !wantErr && n != 1 {
			t.Errorf("request %d applied %d times, want once", r, n)
		}
	}
}

// A caller that waits for each answer before its next request sees its
// requests applied in order.
func TestGroupKeepsASequentialCallersOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var order []int
	g := groupcommit.New(func(_ context.Context, reqs []int) []groupcommit.Result[struct{}] {
		mu.Lock()
		order = append(order, reqs...)
		mu.Unlock()
		return make([]groupcommit.Result[struct{}], len(reqs))
	}, groupcommit.Options{})
	for i := range 100 {
		if _, err := g.Do(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.IsSorted(order) || len(order) != 100 {
		t.Errorf("applied in order %v", order)
	}
}

// A caller that has gone is answered with its context's error, and its
// request is not applied once it is.
func TestGroupDropsRequestsOfCallersGone(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	var applied []int
	g := groupcommit.New(func(_ context.Context, reqs []int) []groupcommit.Result[int] {
		<-release
		mu.Lock()
		applied = append(applied, reqs...)
		mu.Unlock()
		return make([]groupcommit.Result[int], len(reqs))
	}, groupcommit.Options{Concurrency: 1})
	first := make(chan error)
	go func() { _, err := g.Do(context.Background(), 1); first <- err }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Do(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// The next request goes through; the cancelled ones never did.
	if _, err := g.Do(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(applied, 2) {
		t.Errorf("applied %v: a gone caller's request was applied", applied)
	}
}
