package escalation

import (
	"slices"
	"testing"
)

func TestNotifications(t *testing.T) {
	t.Parallel()
	onCall := map[string][]string{"sch_1": {"usr_2"}, "sch_empty": nil}
	recipients := func(tg Target) []string {
		switch {
		case tg.ScheduleID != "":
			return onCall[tg.ScheduleID]
		case tg.UserID != "":
			return []string{tg.UserID}
		}
		return []string{tg.ChannelID}
	}
	tests := []struct {
		name string
		due  []Due
		want []string // keys
	}{
		{"a schedule notifies who is on call", []Due{{Round: 0, Step: 0, Targets: []Target{{ScheduleID: "sch_1"}}}}, []string{"alt_1/0/0/usr_2"}},
		{"nobody on call notifies nobody", []Due{{Round: 0, Step: 0, Targets: []Target{{ScheduleID: "sch_empty"}}}}, nil},
		{
			"a recipient twice in a step once",
			[]Due{{Round: 1, Step: 1, Targets: []Target{{UserID: "usr_2"}, {ScheduleID: "sch_1"}, {ChannelID: "chn_3"}}}},
			[]string{"alt_1/1/1/usr_2", "alt_1/1/1/chn_3"},
		},
		{
			"each step and round its own key",
			[]Due{{Round: 0, Step: 1, Targets: []Target{{UserID: "usr_2"}}}, {Round: 1, Step: 0, Targets: []Target{{UserID: "usr_2"}}}},
			[]string{"alt_1/0/1/usr_2", "alt_1/1/0/usr_2"},
		},
	}
	for _, tt := range tests {
		var got []string
		for _, n := range Notifications("alt_1", tt.due, recipients) {
			got = append(got, n.Key)
			if n.Kind != Page || n.Key != Key("alt_1", n.Round, n.Step, n.Recipient) {
				t.Errorf("%s: notification %+v does not match its key", tt.name, n)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: keys %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestResolutions(t *testing.T) {
	t.Parallel()
	got := Resolutions("alt_1", []string{"usr_2", "chn_3", "usr_2", "usr_4"})
	var keys []string
	for _, n := range got {
		keys = append(keys, n.Key)
		if n.Kind != Resolution {
			t.Errorf("%+v is not a resolution", n)
		}
	}
	want := []string{"alt_1/resolved/usr_2", "alt_1/resolved/chn_3", "alt_1/resolved/usr_4"}
	if !slices.Equal(keys, want) {
		t.Fatalf("Resolutions keys %q, want %q", keys, want)
	}
	if Resolutions("alt_1", nil) != nil {
		t.Fatal("a resolution owed to nobody")
	}
}

func TestAcknowledgements(t *testing.T) {
	t.Parallel()
	var keys []string
	for _, n := range Acknowledgements("alt_1", []string{"chn_3", "chn_5", "chn_3"}) {
		keys = append(keys, n.Key)
		if n.Kind != Acknowledgement || n.Round != 0 || n.Step != 0 {
			t.Errorf("%+v is not an acknowledgement", n)
		}
	}
	if want := []string{"alt_1/acknowledged/chn_3", "alt_1/acknowledged/chn_5"}; !slices.Equal(keys, want) {
		t.Fatalf("Acknowledgements keys %q, want %q", keys, want)
	}
	if Acknowledgements("alt_1", nil) != nil {
		t.Fatal("an acknowledgement owed to nobody")
	}
}
