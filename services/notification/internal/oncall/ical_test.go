package oncall

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
)

// TestICal parses the export back with a real iCalendar library: the
// events are the shifts, whole, with stable UIDs and escaped text.
func TestICal(t *testing.T) {
	t.Parallel()
	s := Schedule{
		TimeZone: "Europe/Berlin",
		Layers: []Layer{
			{Name: "Primary, EU; ops", Members: []string{"usr_a", "usr_b"}, Start: wallAt(2026, 3, 27, 9, 0), Handoff: Handoff{1, Day}},
		},
		Overrides: []Override{{UserID: "usr_c", From: utc(t, "2026-03-29T12:00"), To: utc(t, "2026-03-29T14:00")}},
	}
	longName := strings.Repeat("Zoë Œstrøm-Ångström ", 6) + "\\ the second\nline"
	cal := Calendar{
		ID: "sch_1", Name: "Ops, EU; nights", Stamp: utc(t, "2026-03-01T10:00"),
		Users: map[string]string{"usr_a": "Ada", "usr_b": longName},
	}
	from, to := utc(t, "2026-03-28T00:00"), utc(t, "2026-03-30T00:00")
	out := s.ICal(from, to, cal)

	for i, l := range strings.SplitAfter(string(out), "\r\n") {
		if l == "" {
			continue
		}
		if !strings.HasSuffix(l, "\r\n") || strings.ContainsAny(strings.TrimSuffix(l, "\r\n"), "\r\n") {
			t.Fatalf("line %d %q does not end in a lone CRLF", i, l)
		}
		if len(l)-2 > 75 || !utf8.ValidString(l) {
			t.Fatalf("line %d %q is longer than 75 octets or splits a character", i, l)
		}
	}

	parsed, err := ics.ParseCalendar(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("parse the export: %v\n%s", err, out)
	}
	if got := parsed.CalendarProperties; len(got) == 0 {
		t.Fatal("no calendar properties")
	}
	type event struct{ start, end, summary string }
	want := []event{
		// Whole shifts, not clipped to the window; 29 March has 23 hours.
		{"2026-03-27T08:00", "2026-03-28T08:00", "On call: Ada"},
		{"2026-03-28T08:00", "2026-03-29T07:00", "On call: " + longName},
		{"2026-03-29T07:00", "2026-03-29T12:00", "On call: Ada"},
		{"2026-03-29T12:00", "2026-03-29T14:00", "On call: usr_c"},
		{"2026-03-29T14:00", "2026-03-30T07:00", "On call: Ada"},
	}
	events := parsed.Events()
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d:\n%s", len(events), len(want), out)
	}
	uids := map[string]bool{}
	for i, e := range events {
		start, err1 := e.GetStartAt()
		end, err2 := e.GetEndAt()
		stamp, err3 := e.GetDtStampTime()
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("event %d times: %v %v %v", i, err1, err2, err3)
		}
		got := event{start.UTC().Format("2006-01-02T15:04"), end.UTC().Format("2006-01-02T15:04"), e.GetProperty(ics.ComponentPropertySummary).Value}
		if got != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got, want[i])
		}
		if !stamp.Equal(cal.Stamp) {
			t.Errorf("event %d DTSTAMP %s, want %s", i, stamp, cal.Stamp)
		}
		if uids[e.Id()] || e.Id() == "" {
			t.Errorf("event %d UID %q is empty or repeated", i, e.Id())
		}
		uids[e.Id()] = true
	}
	if d := events[3].GetProperty(ics.ComponentPropertyDescription).Value; d != "usr_c is on call in Ops, EU; nights (override)." {
		t.Errorf("override description %q", d)
	}
	if d := events[0].GetProperty(ics.ComponentPropertyDescription).Value; !strings.Contains(d, "(layer Primary, EU; ops)") {
		t.Errorf("layer description %q", d)
	}

	// Another window over the same shifts gives them the same UIDs; a
	// changed shift gets a new one.
	again, err := ics.ParseCalendar(bytes.NewReader(s.ICal(from.Add(3*time.Hour), to.Add(24*time.Hour), cal)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range again.Events()[:len(events)] {
		if !uids[e.Id()] {
			t.Errorf("UID %q of an unchanged shift changed with the window", e.Id())
		}
	}
	s.Overrides[0].To = utc(t, "2026-03-29T15:00")
	changed, err := ics.ParseCalendar(bytes.NewReader(s.ICal(from, to, cal)))
	if err != nil {
		t.Fatal(err)
	}
	if id := changed.Events()[3].Id(); uids[id] {
		t.Errorf("the longer override kept UID %q", id)
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"SHORT:x", "SHORT:x\r\n"},
		// Not UTF-8: cut at the limit rather than loop.
		{strings.Repeat("\x80", 80), strings.Repeat("\x80", 75) + "\r\n " + strings.Repeat("\x80", 5) + "\r\n"},
		{strings.Repeat("a", 75), strings.Repeat("a", 75) + "\r\n"},
		{strings.Repeat("a", 76), strings.Repeat("a", 75) + "\r\n a\r\n"},
		{strings.Repeat("a", 75+74+1), strings.Repeat("a", 75) + "\r\n " + strings.Repeat("a", 74) + "\r\n a\r\n"},
		// A two-octet character does not fit in the 75th octet.
		{strings.Repeat("a", 74) + "é", strings.Repeat("a", 74) + "\r\n é\r\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		writeFolded(&b, tt.in)
		if b.String() != tt.want {
			t.Errorf("writeFolded(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

func TestEscapeText(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`plain`:          `plain`,
		`a,b;c\d`:        `a\,b\;c\\d`,
		"one\r\ntwo\nx":  `one\ntwo\nx`,
		"bell\x07tab\tz": "belltabz",
	}
	for in, want := range tests {
		if got := escapeText(in); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzICalText checks the escaping and folding of any name against a
// real parser: the summary it reads back is the name, less the control
// characters TEXT cannot hold.
func FuzzICalText(f *testing.F) {
	for _, seed := range []string{"Ada", `a,b;c\d`, "two\nlines\r\nthree", strings.Repeat("ü", 60), "\\n not a newline", "tab\there", ":colon: \"quoted\""} {
		f.Add(seed)
	}
	s := Schedule{TimeZone: "UTC", Layers: []Layer{daily(wallAt(2026, 1, 5, 0, 0), "usr_a")}}
	f.Fuzz(func(t *testing.T, name string) {
		out := s.ICal(utc(t, "2026-01-05T00:00"), utc(t, "2026-01-06T00:00"), Calendar{ID: "sch_1", Users: map[string]string{"usr_a": name}})
		cal, err := ics.ParseCalendar(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("parse: %v\n%q", err, out)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%d events, want 1:\n%q", len(events), out)
		}
		want := "On call: " + name
		if name == "" {
			want = "On call: usr_a"
		}
		want = strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\n' || r == 0x7f {
				return -1
			}
			return r
		}, strings.ReplaceAll(string([]rune(want)), "\r\n", "\n"))
		if got := events[0].GetProperty(ics.ComponentPropertySummary).Value; got != want {
			t.Fatalf("summary %q, want %q\n%q", got, want, out)
		}
	})
}
