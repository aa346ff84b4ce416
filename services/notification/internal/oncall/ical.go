package oncall

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Calendar names an iCalendar export of a schedule.
type Calendar struct {
	// ID is the schedule's id; it keeps event UIDs apart across schedules.
	ID   string
	Name string
	// Stamp is every event's DTSTAMP: when the export was made.
	Stamp time.Time
	// Users maps user ids to the names shown in events (the id otherwise).
	Users map[string]string
}

// icalMargin is how far beyond the window the export looks for the true
// ends of shifts that cross it, so that a shift keeps its UID as the
// window moves. A shift longer than this is cut at the margin.
const icalMargin = 31 * 24 * time.Hour

// ICal returns an RFC 5545 calendar (METHOD:PUBLISH) with one event per
// shift overlapping [from, to), each whole rather than clipped to the
// window. Events are in UTC; an event's UID is a hash of the schedule id,
// user, source and times of its shift, so it stays the same across
// exports while the shift does not change. Lines end in CRLF and are
// folded at 75 octets; text is escaped.
func (s Schedule) ICal(from, to time.Time, cal Calendar) []byte {
	var b bytes.Buffer
	line := func(name, value string) { writeFolded(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//upstate//on-call schedule//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	if cal.Name != "" {
		line("X-WR-CALNAME", escapeText(cal.Name))
	}
	line("X-WR-TIMEZONE", escapeText(s.TimeZone))
	stamp := icalTime(cal.Stamp)
	for _, sh := range s.Shifts(from.Add(-icalMargin), to.Add(icalMargin)) {
		if !sh.End.After(from) || !sh.Start.Before(to) {
			continue
		}
		who := sh.UserID
		if n := cal.Users[who]; n != "" {
			who = n
		}
		origin := "override"
		if !sh.Override {
			origin = "layer " + s.Layers[sh.Layer].Name
			if s.Layers[sh.Layer].Name == "" {
				origin = fmt.Sprintf("layer %d", sh.Layer+1)
			}
		}
		line("BEGIN", "VEVENT")
		line("UID", shiftUID(cal.ID, sh))
		line("DTSTAMP", stamp)
		line("DTSTART", icalTime(sh.Start))
		line("DTEND", icalTime(sh.End))
		line("SUMMARY", escapeText("On call: "+who))
		line("DESCRIPTION", escapeText(fmt.Sprintf("%s is on call in %s (%s).", who, calName(cal), origin)))
		line("TRANSP", "TRANSPARENT")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

func calName(cal Calendar) string {
	if cal.Name != "" {
		return cal.Name
	}
	return "the schedule"
}

func shiftUID(scheduleID string, sh Shift) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%t\x00%d\x00%d", scheduleID, sh.UserID, sh.Layer, sh.Override, sh.Start.Unix(), sh.End.Unix())
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@upstate"
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escapeText escapes a TEXT value (RFC 5545 §3.3.11); control characters
// other than a line break, which TEXT cannot hold, are dropped, and bytes
// that are not UTF-8 become U+FFFD.
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes a content line folded into lines of at most 75
// octets (RFC 5545 §3.1), never inside a UTF-8 sequence (escapeText
// makes values valid UTF-8), each ending in CRLF; a continuation starts
// with a space.
func writeFolded(b *bytes.Buffer, l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > limit-utf8.UTFMax && !utf8.RuneStart(l[cut]) {
			cut--
		}
		if !utf8.RuneStart(l[cut]) { // not UTF-8 at all: any cut will do
			cut = limit
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(l)
	b.WriteString("\r\n")
}
