package public

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

//go:embed page.html.tmpl
var pageTemplate string

// Bars is how many days of bars a component shows.
const Bars = 90

// templates are parsed once; the functions format times in the page's zone
// through the model.
var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"clock": func(t time.Time) string { return t.Format("15:04 MST") },
	"stamp": func(t time.Time) string { return t.Format("Jan 2, 15:04 MST") },
	"human": humanize,
}).Parse(pageTemplate))

type pageModel struct {
	Name, URL, TimeZone string
	Overall             domain.Overall
	Groups              []groupModel
	Active, Maintenance []Entry
	Days                []dayModel
	History             bool
	HistoryDays         int
	FrontDays           int
	SubscribeOpen       bool
	Flash               string
}

type groupModel struct {
	ID, Name, Label string
	Status          domain.Status
	Components      []componentModel
}

type componentModel struct {
	ID, Name, Description, Label string
	Status                       domain.Status
	Uptime, BarsLabel            string
	Bars                         []barModel
}

type barModel struct {
	X            int
	Class, Title string
}

type dayModel struct {
	Date    string
	Entries []Entry
}

// Render draws the page (or, with history, its history beyond the front
// page's days) at now.
func Render(v compat.View, now time.Time, history, subscribe bool, flash string) ([]byte, error) {
	loc := v.Page.Location()
	m := pageModel{
		Name: v.Page.Name, URL: v.URL, TimeZone: loc.String(), Overall: v.Overall(), History: history,
		HistoryDays: HistoryDays, FrontDays: FrontDays, SubscribeOpen: subscribe, Flash: flash,
	}
	for _, g := range v.Page.Layout() {
		gm := groupModel{ID: g.ID, Name: g.Name, Status: g.Status, Label: g.Status.Label()}
		for _, c := range g.Components {
			gm.Components = append(gm.Components, component(v, c))
		}
		m.Groups = append(m.Groups, gm)
	}
	for _, e := range Entries(v, time.Time{}) {
		switch {
		case e.Kind == "incident" && e.Label != "Resolved":
			m.Active = append(m.Active, localize(e, loc))
		case e.Kind == "maintenance" && (e.Label == "Scheduled" || e.Label == "In progress"):
			m.Maintenance = append(m.Maintenance, localize(e, loc))
		}
	}
	m.Days = days(v, now, loc, history)
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "page", m); err != nil {
		return nil, fmt.Errorf("render page %s: %w", v.Page.ID, err)
	}
	return b.Bytes(), nil
}

func localize(e Entry, loc *time.Location) Entry {
	e.At, e.Updated = e.At.In(loc), e.Updated.In(loc)
	ups := make([]domain.IncidentUpdate, len(e.Updates))
	for i, u := range e.Updates {
		u.At = u.At.In(loc)
		ups[i] = u
	}
	e.Updates = ups
	return e
}

// days groups the entries by day: the front page's last FrontDays days,
// every day included, or the history's older days that have entries.
func days(v compat.View, now time.Time, loc *time.Location, history bool) []dayModel {
	today := now.In(loc)
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -(FrontDays - 1))
	byDay := map[string][]Entry{}
	var older []string
	for _, e := range Entries(v, time.Time{}) {
		e = localize(e, loc)
		d := e.Updated.Format("January 2, 2006")
		if history != e.Updated.Before(start) {
			continue
		}
		if history && len(byDay[d]) == 0 {
			older = append(older, d)
		}
		byDay[d] = append(byDay[d], e)
	}
	var out []dayModel
	if history {
		for _, d := range older {
			out = append(out, dayModel{Date: d, Entries: byDay[d]})
		}
		return out
	}
	for i := range FrontDays {
		d := today.AddDate(0, 0, -i).Format("January 2, 2006")
		out = append(out, dayModel{Date: d, Entries: byDay[d]})
	}
	return out
}

// component is a component's row: status, 90 daily bars and uptime.
func component(v compat.View, c domain.Component) componentModel {
	cm := componentModel{ID: c.ID, Name: c.Name, Description: c.Description, Status: c.Status, Label: c.Status.Label()}
	days := v.Days[c.ServiceID]
	if len(days) > Bars {
		days = days[len(days)-Bars:]
	}
	pad := Bars - len(days)
	for i := range pad {
		cm.Bars = append(cm.Bars, barModel{X: i * 5, Title: "No data"})
	}
	for i, d := range days {
		cm.Bars = append(cm.Bars, barModel{X: (pad + i) * 5, Class: string(d.Worst), Title: dayTitle(d)})
	}
	if u, ok := v.Uptime[c.ServiceID]["90d"]; ok {
		cm.Uptime = FormatPercent(u) + " uptime"
		cm.BarsLabel = fmt.Sprintf("%s: %s uptime over the past 90 days", c.Name, FormatPercent(u))
	} else {
		cm.Uptime = "No uptime data yet"
		cm.BarsLabel = c.Name + ": no uptime data yet for the past 90 days"
	}
	return cm
}

func dayTitle(d domain.Day) string {
	if d.Uptime == nil {
		if d.MaintenanceSeconds > 0 {
			return d.Date + ": maintenance all day"
		}
		return d.Date + ": no data"
	}
	s := d.Date + ": " + FormatPercent(*d.Uptime) + " uptime"
	if d.DownSeconds > 0 {
		s += ", " + duration(d.DownSeconds) + " down"
	}
	if d.DegradedSeconds > 0 {
		s += ", " + duration(d.DegradedSeconds) + " degraded"
	}
	if d.MaintenanceSeconds > 0 {
		s += ", " + duration(d.MaintenanceSeconds) + " in maintenance"
	}
	return s
}

func duration(seconds float64) string {
	d := time.Duration(math.Round(seconds)) * time.Second
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

func errorPage(status int, msg string) string {
	var b bytes.Buffer
	_ = templates.ExecuteTemplate(&b, "error", struct{ Title, Message string }{http.StatusText(status), msg})
	return b.String()
}

func (h *Handler) page(c echo.Context) error {
	return h.serve(c, "html", false, func(v compat.View) (rendered, error) {
		body, err := Render(v, h.clock.Now(), false, h.opts.Mailer != nil, "")
		return newRendered(body, echo.MIMETextHTMLCharsetUTF8), err
	})
}

func (h *Handler) history(c echo.Context) error {
	return h.serve(c, "history", false, func(v compat.View) (rendered, error) {
		body, err := Render(v, h.clock.Now(), true, false, "")
		return newRendered(body, echo.MIMETextHTMLCharsetUTF8), err
	})
}

func messagePage(title, msg string) string {
	var b bytes.Buffer
	_ = templates.ExecuteTemplate(&b, "error", struct{ Title, Message string }{title, msg})
	return b.String()
}

func formPage(title, msg, action, button string) string {
	var b bytes.Buffer
	_ = templates.ExecuteTemplate(&b, "form", struct{ Title, Message, Action, Button string }{title, msg, action, button})
	return b.String()
}
