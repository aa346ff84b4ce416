package public

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// HistoryDays is how many days the page's history shows; /history shows
// what the read model keeps beyond.
const HistoryDays = 90

// FrontDays is how many days the page itself shows.
const FrontDays = 14

// Entry is one item of a page's history: a post, an incident or a
// maintenance window, with its updates newest first.
type Entry struct {
	ID      string
	Kind    string // post, incident, maintenance
	Title   string
	Status  domain.Status
	Label   string // the incident's or window's state
	At      time.Time
	Updated time.Time
	Updates []domain.IncidentUpdate
	Text    string
}

// Entries are the view's posts, incidents and shown windows since since,
// newest first.
func Entries(v compat.View, since time.Time) []Entry {
	var out []Entry
	for _, p := range v.Posts {
		if p.At.Before(since) {
			continue
		}
		name := p.ServiceName
		if c, ok := v.Page.ComponentOf(p.ServiceID); ok {
			name = c.Name
		}
		out = append(out, Entry{
			ID: compat.UpdateID(p), Kind: "post", Title: p.Post(name), Status: p.Status, At: p.At, Updated: p.At, Text: p.Description,
		})
	}
	for _, inc := range v.Incidents {
		if inc.UpdatedAt.Before(since) {
			continue
		}
		out = append(out, Entry{
			ID: inc.ID, Kind: "incident", Title: inc.Title, Label: humanize(inc.Status), At: inc.CreatedAt, Updated: inc.UpdatedAt,
			Updates: newestFirst(inc.Updates),
		})
	}
	for _, w := range v.Windows {
		if !w.Shown() || w.UpdatedAt.Before(since) {
			continue
		}
		out = append(out, Entry{
			ID: w.ID, Kind: "maintenance", Title: w.Title, Label: humanize(w.Status), At: w.StartsAt, Updated: w.UpdatedAt,
			Updates: newestFirst(w.Updates()), Text: w.Message,
		})
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return cmp.Or(b.Updated.Compare(a.Updated), cmp.Compare(a.ID, b.ID)) })
	return out
}

func newestFirst(ups []domain.IncidentUpdate) []domain.IncidentUpdate {
	out := slices.Clone(ups)
	slices.Reverse(out)
	return out
}

func humanize(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
