package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// lagTimeout bounds the reads of one scrape, well within a Prometheus
// scrape timeout, so that a slow or unreachable server leaves the other
// metrics of the scrape intact.
const lagTimeout = 2 * time.Second

// LagCollector is a Prometheus collector reporting how far a durable
// consumer is behind its stream, read from the server at each scrape:
//
//   - upstate_consumer_pending_messages: messages not delivered yet;
//   - upstate_consumer_ack_pending_messages: delivered, not acknowledged;
//   - upstate_consumer_redelivered_messages: delivered more than once and
//     not acknowledged yet;
//   - upstate_consumer_oldest_unacked_age_seconds: the age of the oldest
//     message not acknowledged, delivered or not (0 when there is none);
//   - upstate_consumer_lag_errors_total: scrapes that could not read the
//     consumer's state, which then leave the four gauges out.
//
// Every series is labelled with the stream and the consumer. The values
// are the server's, so every replica of a service reports the same ones;
// they are what an autoscaler (KEDA) or an operator watches.
type LagCollector struct {
	js              jetstream.JetStream
	stream, durable string
	logger          *slog.Logger
	// now is the clock the age is measured with: the wall clock, against
	// which the server stamped the messages.
	now func() time.Time

	mu sync.Mutex
	st jetstream.Stream // looked up once, at the first scrape that needs it

	failures atomic.Uint64

	pending, ackPending, redelivered, age, errorsTotal *prometheus.Desc
}

// NewLagCollector returns a collector of the lag of the durable consumer
// on stream, which logs to logger why a scrape could not read it. The
// NATS user needs, besides what the consumer uses, the stream's
// STREAM.INFO and STREAM.MSG.GET API subjects: the age is that of the
// first message after the consumer's acknowledgement floor.
func NewLagCollector(js jetstream.JetStream, stream, durable string, logger *slog.Logger) *LagCollector {
	labels := prometheus.Labels{"stream": stream, "consumer": durable}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("upstate_consumer_"+name, help, nil, labels)
	}
	return &LagCollector{
		js: js, stream: stream, durable: durable, logger: logger, now: time.Now,
		pending:     desc("pending_messages", "Messages of the stream the durable consumer has not delivered yet."),
		ackPending:  desc("ack_pending_messages", "Messages the durable consumer delivered that are not acknowledged yet."),
		redelivered: desc("redelivered_messages", "Messages the durable consumer delivered more than once that are not acknowledged yet."),
		age:         desc("oldest_unacked_age_seconds", "Age of the oldest message the durable consumer has not acknowledged, delivered or not; 0 when there is none."),
		errorsTotal: desc("lag_errors_total", "Scrapes that could not read the durable consumer's state."),
	}
}

// Describe implements prometheus.Collector.
func (c *LagCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pending, c.ackPending, c.redelivered, c.age, c.errorsTotal} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *LagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), lagTimeout)
	defer cancel()
	info, age, err := c.read(ctx)
	if err != nil {
		c.failures.Add(1)
		if c.logger != nil {
			c.logger.Warn("consumer lag not read", "stream", c.stream, "consumer", c.durable, "err", err)
		}
	} else {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending))
		ch <- prometheus.MustNewConstMetric(c.ackPending, prometheus.GaugeValue, float64(info.NumAckPending))
		ch <- prometheus.MustNewConstMetric(c.redelivered, prometheus.GaugeValue, float64(info.NumRedelivered))
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.errorsTotal, prometheus.CounterValue, float64(c.failures.Load()))
}

// read returns the consumer's state and the age of its oldest message not
// acknowledged.
func (c *LagCollector) read(ctx context.Context) (*jetstream.ConsumerInfo, time.Duration, error) {
	cons, err := c.js.Consumer(ctx, c.stream, c.durable)
	if err != nil {
		return nil, 0, fmt.Errorf("look up consumer %s on %s: %w", c.durable, c.stream, err)
	}
	info := cons.CachedInfo()
	if info.NumPending == 0 && info.NumAckPending == 0 {
		return info, 0, nil
	}
	oldest, err := c.oldest(ctx, info)
	if err != nil || oldest.IsZero() {
		return info, 0, err
	}
	return info, max(c.now().Sub(oldest), 0), nil
}

// oldest returns when the server stored the first message after the
// consumer's acknowledgement floor that the consumer takes (the floor is
// the last message before the first one not acknowledged), or the zero
// time when there is none any more.
func (c *LagCollector) oldest(ctx context.Context, info *jetstream.ConsumerInfo) (time.Time, error) {
	st, err := c.streamHandle(ctx)
	if err != nil {
		return time.Time{}, err
	}
	filters := info.Config.FilterSubjects
	if info.Config.FilterSubject != "" {
		filters = []string{info.Config.FilterSubject}
	}
	if len(filters) == 0 {
		filters = []string{">"}
	}
	// The next message of each filter, not the message at floor+1: that
	// one may be of a subject the consumer does not take, or gone.
	var oldest time.Time
	for _, f := range filters {
		m, err := st.GetMsg(ctx, info.AckFloor.Stream+1, jetstream.WithGetMsgSubject(f))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("get the message after %s's ack floor on %s: %w", c.durable, c.stream, err)
		}
		if oldest.IsZero() || m.Time.Before(oldest) {
			oldest = m.Time
		}
	}
	return oldest, nil
}

func (c *LagCollector) streamHandle(ctx context.Context) (jetstream.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st != nil {
		return c.st, nil
	}
	st, err := c.js.Stream(ctx, c.stream)
	if err != nil {
		return nil, fmt.Errorf("look up stream %s: %w", c.stream, err)
	}
	c.st = st
	return st, nil
}
