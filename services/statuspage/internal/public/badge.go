package public

import (
	"fmt"
	"html"
	"unicode/utf8"

	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// Badge draws a shields-style SVG badge: the label on grey, the message
// on color. Widths are estimated from the text (about 7px a character at
// 11px Verdana), as shields' flat style does.
func Badge(label, message, color string) []byte {
	lw, mw := textWidth(label)+10, textWidth(message)+10
	w := lw + mw
	l, m := html.EscapeString(label), html.EscapeString(message)
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">`+
		`<title>%s: %s</title>`+
		`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`+
		`<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="%d" y="15" fill="#010101" fill-opacity=".3">%s</text><text x="%d" y="14">%s</text>`+
		`<text x="%d" y="15" fill="#010101" fill-opacity=".3">%s</text><text x="%d" y="14">%s</text></g></svg>`,
		w, l, m, l, m, w, lw, lw, mw, color, w,
		lw/2, l, lw/2, l, lw+mw/2, m, lw+mw/2, m)
}

func textWidth(s string) int { return utf8.RuneCountInString(s) * 7 }

func statusColor(s domain.Status) string {
	switch s {
	case domain.Degraded:
		return "#dfb317"
	case domain.Down:
		return "#e05d44"
	case domain.Maintenance:
		return "#007ec6"
	}
	return "#4c1"
}

func indicatorColor(i domain.Indicator) string {
	switch i {
	case domain.IndicatorMinor:
		return "#dfb317"
	case domain.IndicatorMajor:
		return "#fe7d37"
	case domain.IndicatorCritical:
		return "#e05d44"
	}
	return "#4c1"
}

func uptimeColor(u float64) string {
	switch {
	case u >= 0.999:
		return "#4c1"
	case u >= 0.99:
		return "#97ca00"
	case u >= 0.95:
		return "#dfb317"
	}
	return "#e05d44"
}
