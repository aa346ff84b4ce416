package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// FailuresBucket is the JetStream key-value bucket in which consumers count,
// per message, the deliveries that failed on the message itself (see
// Handler). EnsureStreams creates it.
const FailuresBucket = "upstate_consumer_failures"

// failuresTTL is how long a message's failure count is kept after its last
// failure. A count that expires only gives its message more attempts;
// failures come at most Backoff's cap apart unless an outage intervenes.
const failuresTTL = 24 * time.Hour

// failuresConfig is the definition of FailuresBucket.
func failuresConfig(replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      FailuresBucket,
		Description: "Per consumer and message, how many deliveries failed on the message itself.",
		History:     1,
		TTL:         failuresTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
}

// failures counts the failures of a consumer's messages in FailuresBucket.
//
// JetStream's own count of deliveries cannot tell whether a message is at
// fault: it also counts the deliveries that failed because a dependency was
// down, and those that left no result (a nak lost with the connection, a
// message that waited in the client's buffer past AckWait). Kept in the
// bucket rather than in memory, the count is shared by the consumer's
// replicas and survives restarts, so a message is dead-lettered after
// MaxDeliver failures of its own wherever they happened. Only failures are
// written; a message that succeeds costs nothing.
type failures struct {
	js jetstream.JetStream

	mu sync.Mutex
	kv jetstream.KeyValue // nil until found
}

// add records one more failure of the message md describes and returns how
// many it has had.
func (f *failures) add(ctx context.Context, md *jetstream.MsgMetadata) (int, error) {
	kv, err := f.bucket(ctx)
	if err != nil {
		return 0, err
	}
	key := fmt.Sprintf("%s.%s.%d", md.Stream, md.Consumer, md.Sequence.Stream)
	n := 0
	// A first delivery has no failures behind it, whatever a consumer of
	// the same name that was deleted since may have left.
	if md.NumDelivered > 1 {
		e, err := kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return 0, fmt.Errorf("read failure count %s: %w", key, err)
		default:
			if n, err = strconv.Atoi(string(e.Value())); err != nil {
				return 0, fmt.Errorf("read failure count %s: %w", key, err)
			}
		}
	}
	n++
	if _, err := kv.Put(ctx, key, []byte(strconv.Itoa(n))); err != nil {
		return 0, fmt.Errorf("record failure count %s: %w", key, err)
	}
	return n, nil
}

// bucket returns the bucket, looking it up the first time it is needed.
func (f *failures) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kv != nil {
		return f.kv, nil
	}
	kv, err := f.js.KeyValue(ctx, FailuresBucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", FailuresBucket, err)
	}
	f.kv = kv
	return kv, nil
}
