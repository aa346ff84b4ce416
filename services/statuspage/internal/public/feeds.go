package public

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
)

// MaxFeedEntries is how many entries a feed carries.
const MaxFeedEntries = 50

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     string   `xml:"title"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Self        atomLink  `xml:"atom:link"`
	LastBuild   string    `xml:"lastBuildDate"`
	Items       []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

// entryText is an entry's content as plain text: its updates, newest first.
func entryText(e Entry) string {
	var b strings.Builder
	if e.Text != "" && e.Kind == "post" {
		b.WriteString(e.Text)
	}
	for _, u := range e.Updates {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(humanize(u.Status) + " (" + u.At.UTC().Format(time.RFC1123) + ")")
		if u.Message != "" {
			b.WriteString(": " + u.Message)
		}
	}
	if b.Len() == 0 {
		b.WriteString(e.Title)
	}
	return b.String()
}

func feedEntries(v compat.View, now time.Time) []Entry {
	es := Entries(v, now.Add(-HistoryDays*24*time.Hour))
	if len(es) > MaxFeedEntries {
		es = es[:MaxFeedEntries]
	}
	return es
}

// Atom is the page's history as an Atom feed.
func Atom(v compat.View, now time.Time) ([]byte, error) {
	f := atomFeed{
		ID: v.URL + "/history.atom", Title: v.Page.Name + " status", Updated: v.Page.UpdatedAt.UTC().Format(time.RFC3339),
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: v.URL + "/history.atom"}, {Rel: "alternate", Type: "text/html", Href: v.URL}},
		Author: atomAuthor{Name: v.Page.Name},
	}
	for _, e := range feedEntries(v, now) {
		f.Entries = append(f.Entries, atomEntry{
			ID: "tag:upstate," + e.At.UTC().Format("2006-01-02") + ":" + v.Page.ID + ":" + e.ID, Title: e.Title,
			Updated: e.Updated.UTC().Format(time.RFC3339), Published: e.At.UTC().Format(time.RFC3339),
			Link: atomLink{Rel: "alternate", Type: "text/html", Href: v.URL + "/history#" + e.ID}, Content: atomText{Type: "text", Body: entryText(e)},
		})
	}
	return marshalXML(f)
}

// RSS is the page's history as an RSS 2.0 feed.
func RSS(v compat.View, now time.Time) ([]byte, error) {
	f := rssFeed{Version: "2.0", Atom: "http://www.w3.org/2005/Atom", Channel: rssChannel{
		Title: v.Page.Name + " status", Link: v.URL, Description: "Status changes, incidents and maintenance of " + v.Page.Name,
		Self:      atomLink{Rel: "self", Type: "application/rss+xml", Href: v.URL + "/history.rss"},
		LastBuild: v.Page.UpdatedAt.UTC().Format(time.RFC1123Z),
	}}
	for _, e := range feedEntries(v, now) {
		f.Channel.Items = append(f.Channel.Items, rssItem{
			Title: e.Title, Link: v.URL + "/history#" + e.ID, GUID: rssGUID{Value: v.Page.ID + ":" + e.ID + ":" + e.Updated.UTC().Format(time.RFC3339)},
			PubDate: e.Updated.UTC().Format(time.RFC1123Z), Description: entryText(e),
		})
	}
	return marshalXML(f)
}

func marshalXML(v any) ([]byte, error) {
	body, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), body...), nil
}

func (h *Handler) atom(c echo.Context) error {
	return h.serve(c, "atom", false, func(v compat.View) (rendered, error) {
		body, err := Atom(v, h.clock.Now())
		return newRendered(body, "application/atom+xml; charset=utf-8"), err
	})
}

func (h *Handler) rss(c echo.Context) error {
	return h.serve(c, "rss", false, func(v compat.View) (rendered, error) {
		body, err := RSS(v, h.clock.Now())
		return newRendered(body, "application/rss+xml; charset=utf-8"), err
	})
}
