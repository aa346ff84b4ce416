package escalation

import (
	"slices"
	"testing"
)

// ids selects services by id, as a rule's selector of service ids does.
type ids []string

func (s ids) Selects(id string, _ map[string]string) bool { return slices.Contains(s, id) }

// tag selects services carrying a tag pair.
type tag [2]string

func (s tag) Selects(_ string, tags map[string]string) bool { return tags[s[0]] == s[1] }

func TestChannels(t *testing.T) {
	t.Parallel()
	routes := []Route{
		{Events: []string{"incident.opened", "incident.resolved"}, Services: ids{"svc_api"}, ChannelIDs: []string{"chn_slack", "chn_mail"}},
		{Events: []string{"incident.opened"}, Services: tag{"team", "payments"}, ChannelIDs: []string{"chn_pay", "chn_slack"}},
		{Events: []string{"incident.updated"}, Services: nil, ChannelIDs: []string{"chn_never"}},
	}
	api := Service{ID: "svc_api"}
	pay := Service{ID: "svc_pay", Tags: map[string]string{"team": "payments"}}
	web := Service{ID: "svc_web", Tags: map[string]string{"team": "web"}}
	tests := []struct {
		name     string
		kind     string
		services []Service
		want     []string
	}{
		{"by service id", "incident.resolved", []Service{api}, []string{"chn_slack", "chn_mail"}},
		{"by tag", "incident.opened", []Service{pay}, []string{"chn_pay", "chn_slack"}},
		{"several routes, each channel once", "incident.opened", []Service{web, pay, api}, []string{"chn_slack", "chn_mail", "chn_pay"}},
		{"another kind", "incident.updated", []Service{api, pay}, nil},
		{"another service", "incident.opened", []Service{web}, nil},
		{"no service", "incident.opened", nil, nil},
	}
	for _, tt := range tests {
		if got := Channels(routes, tt.kind, tt.services); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Channels = %q, want %q", tt.name, got, tt.want)
		}
	}
}
