package channelstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *channelstore.Store {
	t.Helper()
	return channelstore.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
}

func TestChannels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	c := channel.Channel{ID: "chn_1", OrgID: "org_a", Name: "Ops", Type: channel.Slack, Config: channel.Config{URL: "https://hooks.slack.com/x"}, CreatedAt: t0, UpdatedAt: t0}
	if err := st.CreateChannel(ctx, c); err != nil {
		t.Fatal(err)
	}
	dup := c
	dup.ID, dup.Name = "chn_2", "OPS"
	if err := st.CreateChannel(ctx, dup); !errors.Is(err, channelstore.ErrNameTaken) {
		t.Fatalf("a name differing by case: %v, want ErrNameTaken", err)
	}
	if _, err := st.GetChannel(ctx, "org_b", "chn_1"); !errors.Is(err, channel.ErrNotFound) {
		t.Fatalf("another organisation's channel: %v", err)
	}
	got, err := st.UpdateChannel(ctx, "org_a", "chn_1", t0.Add(time.Minute), func(c *channel.Channel) error {
		c.Template = "{{.Title}}"
		return nil
	})
	if err != nil || got.Template != "{{.Title}}" || got.Config.URL != c.Config.URL || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("update: %+v, %v", got, err)
	}
	list, err := st.ListChannels(ctx, "org_a", "", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v, %v", list, err)
	}
	if err := st.DeleteChannel(ctx, "org_a", "chn_1"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteChannel(ctx, "org_a", "chn_1"); !errors.Is(err, channel.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// A key is claimed by one worker at a time, delivered once, and a dead
// notification can be revived.
func TestClaimFinishRevive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	n := channelstore.Notification{ID: "ntf_1", OrgID: "org_a", Key: "alt_1:1", ChannelID: "chn_1", AlertID: "alt_1", Kind: "trigger", Title: "API is down",
		Message: []byte{1}, CreatedAt: t0}
	lease := t0.Add(time.Minute)
	c, err := st.Claim(ctx, n, t0, lease)
	if err != nil || !c.Claimed || c.ID != "ntf_1" || c.Status != channelstore.Pending || !c.TriesFrom.Equal(t0) {
		t.Fatalf("first claim: %+v, %v", c, err)
	}
	again := n
	again.ID = "ntf_2" // the same key enqueued again
	if c, err = st.Claim(ctx, again, t0.Add(time.Second), lease); err != nil || c.Claimed || c.ID != "ntf_1" || !c.LeaseUntil.Equal(lease) {
		t.Fatalf("claim while leased: %+v, %v", c, err)
	}
	if ok, err := st.Finish(ctx, "ntf_1", channelstore.Pending, &channelstore.Attempt{At: t0, StatusCode: 503, Latency: 12 * time.Millisecond, Error: "answered 503"}, t0); !ok || err != nil {
		t.Fatalf("finish pending: %v, %v", ok, err)
	}
	if c, err = st.Claim(ctx, again, t0.Add(2*time.Second), lease); err != nil || !c.Claimed || c.Attempts != 1 {
		t.Fatalf("claim after release: %+v, %v", c, err)
	}
	if ok, err := st.Finish(ctx, "ntf_1", channelstore.Delivered, &channelstore.Attempt{At: t0.Add(3 * time.Second), StatusCode: 200}, t0.Add(3*time.Second)); !ok || err != nil {
		t.Fatalf("finish delivered: %v, %v", ok, err)
	}
	if ok, _ := st.Finish(ctx, "ntf_1", channelstore.Delivered, &channelstore.Attempt{At: t0.Add(4 * time.Second), StatusCode: 200}, t0); ok {
		t.Fatal("delivered twice")
	}
	if c, err = st.Claim(ctx, again, t0.Add(time.Hour), t0.Add(2*time.Hour)); err != nil || c.Claimed || c.Status != channelstore.Delivered {
		t.Fatalf("claim after delivery: %+v, %v", c, err)
	}
	got, err := st.GetNotification(ctx, "org_a", "ntf_1")
	if err != nil || got.Status != channelstore.Delivered || len(got.Attempts) != 2 || got.Attempts[0].StatusCode != 503 || got.Attempts[0].Latency != 12*time.Millisecond || got.DeliveredAt == nil {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if _, err := st.Revive(ctx, "org_a", "ntf_1", t0); !errors.Is(err, channelstore.ErrNotDead) {
		t.Fatalf("revive a delivered one: %v", err)
	}

	dead := channelstore.Notification{ID: "ntf_3", OrgID: "org_a", Key: "k3", ChannelID: "chn_2", Kind: "info", Title: "x", Message: []byte{3}, CreatedAt: t0}
	if _, err := st.Claim(ctx, dead, t0, lease); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finish(ctx, "ntf_3", channelstore.Dead, &channelstore.Attempt{At: t0, StatusCode: 404, Error: "answered 404"}, t0); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		f    channelstore.Filter
		want string
	}{
		{channelstore.Filter{AlertID: "alt_1"}, "ntf_1"},
		{channelstore.Filter{ChannelID: "chn_2"}, "ntf_3"},
		{channelstore.Filter{Status: channelstore.Dead}, "ntf_3"},
		{channelstore.Filter{Status: channelstore.Delivered}, "ntf_1"},
	} {
		list, err := st.ListNotifications(ctx, "org_a", f.f, "", 10)
		if err != nil || len(list) != 1 || list[0].ID != f.want {
			t.Errorf("list %+v: %v, %v; want %s", f.f, list, err, f.want)
		}
	}
	if list, _ := st.ListNotifications(ctx, "org_b", channelstore.Filter{}, "", 10); len(list) != 0 {
		t.Errorf("another organisation sees %d", len(list))
	}
	revived, err := st.Revive(ctx, "org_a", "ntf_3", t0.Add(48*time.Hour))
	if err != nil || revived.Status != channelstore.Pending || string(revived.Message) != "\x03" {
		t.Fatalf("revive: %+v, %v", revived, err)
	}
	if c, err := st.Claim(ctx, dead, t0.Add(48*time.Hour), t0.Add(49*time.Hour)); err != nil || !c.Claimed || !c.TriesFrom.Equal(t0.Add(48*time.Hour)) {
		t.Fatalf("claim after revive: %+v, %v", c, err)
	}
}

// Claims in one batch (groupcommit) are as many single claims: a key
// twice in a batch is claimed once, and a delivered key is not claimed.
func TestClaimAllInOneBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	n := func(id, key string) channelstore.Notification {
		return channelstore.Notification{ID: id, OrgID: "org_a", Key: key, Kind: "info", Title: "x", Message: []byte{1}, CreatedAt: t0}
	}
	if _, err := st.Claim(ctx, n("ntf_0", "done"), t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finish(ctx, "ntf_0", channelstore.Delivered, &channelstore.Attempt{At: t0, StatusCode: 200}, t0); err != nil {
		t.Fatal(err)
	}
	lease := t0.Add(time.Minute)
	res, err := st.ClaimAll(ctx, []channelstore.ClaimRequest{
		{N: n("ntf_1", "a"), Now: t0, LeaseUntil: lease},
		{N: n("ntf_2", "a"), Now: t0, LeaseUntil: lease},
		{N: n("ntf_3", "done"), Now: t0, LeaseUntil: lease},
		{N: n("ntf_4", "b"), Now: t0, LeaseUntil: lease},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id      string
		claimed bool
		status  channelstore.Status
	}{{"ntf_1", true, channelstore.Pending}, {"ntf_1", false, channelstore.Pending}, {"ntf_0", false, channelstore.Delivered}, {"ntf_4", true, channelstore.Pending}}
	for i, w := range want {
		if c := res[i].Value; res[i].Err != nil || c.ID != w.id || c.Claimed != w.claimed || c.Status != w.status {
			t.Errorf("claim %d: %+v, %v; want %+v", i, c, res[i].Err, w)
		}
	}
}
