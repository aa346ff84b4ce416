package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestPageValidate(t *testing.T) {
	t.Parallel()
	valid := Page{Name: "Pushmail", Slug: "pushmail", TimeZone: "Europe/Berlin", CustomDomain: "status.pushmail.example",
		Components: []Component{{ServiceID: "svc_a"}, {ServiceID: "svc_b", Group: "Email"}}}
	for _, tt := range []struct {
		name  string
		edit  func(*Page)
		field string // "" when valid
	}{
		{"valid", func(*Page) {}, ""},
		{"no time zone or domain", func(p *Page) { p.TimeZone, p.CustomDomain = "", "" }, ""},
		{"blank name", func(p *Page) { p.Name = "  " }, "name"},
		{"long name", func(p *Page) { p.Name = strings.Repeat("n", 201) }, "name"},
		{"empty slug", func(p *Page) { p.Slug = "" }, "slug"},
		{"slug with capitals", func(p *Page) { p.Slug = "Pushmail" }, "slug"},
		{"slug ending in a dash", func(p *Page) { p.Slug = "push-" }, "slug"},
		{"slug with a slash", func(p *Page) { p.Slug = "a/b" }, "slug"},
		{"unknown time zone", func(p *Page) { p.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"Local time zone", func(p *Page) { p.TimeZone = "Local" }, "time_zone"},
		{"domain without a dot", func(p *Page) { p.CustomDomain = "localhost" }, "custom_domain"},
		{"domain with a port", func(p *Page) { p.CustomDomain = "status.example.com:8080" }, "custom_domain"},
		{"service twice", func(p *Page) { p.Components[1].ServiceID = "svc_a" }, "components[1].service_id"},
		{"no service", func(p *Page) { p.Components[0].ServiceID = "" }, "components[0].service_id"},
		{"long description", func(p *Page) { p.Components[0].Description = strings.Repeat("d", 1001) }, "components[0].description"},
		{"too many components", func(p *Page) { p.Components = make([]Component, 101) }, "components"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := valid
			p.Components = append([]Component(nil), valid.Components...)
			tt.edit(&p)
			err := p.Validate()
			var verr *ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.field != "" && !errors.As(err, &verr):
				t.Fatalf("Validate() = %v, want a ValidationError of %s", err, tt.field)
			case tt.field != "" && verr.Field != tt.field:
				t.Fatalf("Validate() names %s (%v), want %s", verr.Field, err, tt.field)
			}
		})
	}
}

func TestLayoutGroupsAndHides(t *testing.T) {
	t.Parallel()
	p := Page{ID: "pag_1", Components: []Component{
		{ID: "c4", Name: "Hidden", Position: 4, OnlyShowIfDegraded: true, Status: Operational},
		{ID: "c3", Name: "SMTP", Group: "Email", Position: 3, Status: Down},
		{ID: "c1", Name: "API", Position: 1, Status: Operational},
		{ID: "c2", Name: "Delivery", Group: "Email", Position: 2, Status: Degraded},
		{ID: "c5", Name: "Shown when degraded", Position: 5, OnlyShowIfDegraded: true, Status: Degraded},
	}}
	got := p.Layout()
	var names []string
	for _, g := range got {
		var members []string
		for _, c := range g.Components {
			members = append(members, c.Name)
		}
		names = append(names, g.Name+"["+strings.Join(members, ",")+"]:"+string(g.Status))
	}
	want := "[API]:operational Email[Delivery,SMTP]:down [Shown when degraded]:degraded"
	if s := strings.Join(names, " "); s != want {
		t.Errorf("Layout() = %s, want %s", s, want)
	}
	if got[1].ID != GroupID("pag_1", "Email") || got[1].ID == GroupID("pag_2", "Email") {
		t.Errorf("group id %q is not derived from the page and the name", got[1].ID)
	}
	// The hidden operational component does not count towards the page's status.
	if o := p.Overall(nil); o.Indicator != IndicatorMajor {
		t.Errorf("Overall() = %v, want major", o)
	}
}

func TestPostText(t *testing.T) {
	t.Parallel()
	p := Post{ServiceName: "email-delivery", Previous: Operational, Status: Degraded, Description: "Email delivery delays in US-East region"}
	if got, want := p.Post("Pushmail Email Delivery"), "Pushmail Email Delivery is degraded: Email delivery delays in US-East region"; got != want {
		t.Errorf("Post() = %q, want %q", got, want)
	}
	p.Status, p.Description = Operational, ""
	if got, want := p.Post(""), "email-delivery is operational"; got != want {
		t.Errorf("Post() = %q, want %q", got, want)
	}
}

func TestSubscriberWantsAndValidate(t *testing.T) {
	t.Parallel()
	page := Page{Components: []Component{{ID: "cmp_a"}, {ID: "cmp_b"}}}
	all := Subscriber{}
	some := Subscriber{ComponentIDs: []string{"cmp_b"}}
	if !all.Wants("cmp_a") || !some.Wants("cmp_a", "cmp_b") || some.Wants("cmp_a") {
		t.Error("Wants: a subscriber to all wants everything, one to cmp_b only cmp_b")
	}
	for _, tt := range []struct {
		s  Subscriber
		ok bool
	}{
		{Subscriber{Email: "ops@example.com"}, true},
		{Subscriber{URL: "https://hooks.example.com/x"}, true},
		{Subscriber{URL: "https://hooks.example.com/x", ComponentIDs: []string{"cmp_b"}}, true},
		{Subscriber{}, false},
		{Subscriber{Email: "ops@example.com", URL: "https://x.example"}, false},
		{Subscriber{Email: "Ops <ops@example.com>"}, false},
		{Subscriber{URL: "ftp://x.example"}, false},
		{Subscriber{URL: "https://user:pw@x.example"}, false},
		{Subscriber{URL: "https://x.example", ComponentIDs: []string{"cmp_z"}}, false},
	} {
		if err := ValidateSubscriber(tt.s, page); (err == nil) != tt.ok {
			t.Errorf("ValidateSubscriber(%+v) = %v, want ok=%v", tt.s, err, tt.ok)
		}
	}
}
