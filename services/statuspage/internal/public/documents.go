package public

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// document serves /api/v2/{doc}.json and /api/v2/{doc}/{filter}.json.
func (h *Handler) document(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("doc"), ".json")
	if f := c.Param("filter"); f != "" {
		filter, fok := strings.CutSuffix(f, ".json")
		name, ok = c.Param("doc")+"/"+filter, fok
	}
	if !ok {
		return h.fail(c, domain.ErrNotFound, true)
	}
	var probe compat.View
	if _, known := probe.Document(name); !known {
		return h.fail(c, domain.ErrNotFound, true)
	}
	return h.serve(c, "v2/"+name, true, func(v compat.View) (rendered, error) {
		doc, _ := v.Document(name)
		body, err := json.Marshal(doc)
		if err != nil {
			return rendered{}, fmt.Errorf("encode %s: %w", name, err)
		}
		return newRendered(body, "application/json; charset=utf-8"), nil
	})
}

// Badge windows: the uptime windows the SLA service reports.
var badgeWindows = []string{"24h", "7d", "30d", "90d"}

// badge serves the page's overall status as a badge.
func (h *Handler) badge(c echo.Context) error {
	return h.serve(c, "badge", true, func(v compat.View) (rendered, error) {
		o := v.Overall()
		return newRendered(Badge("status", o.Description, indicatorColor(o.Indicator)), "image/svg+xml"), nil
	})
}

// componentBadge serves a component's status, or its uptime over a
// window, as a badge.
func (h *Handler) componentBadge(c echo.Context) error {
	metric, window := c.QueryParam("metric"), c.QueryParam("window")
	if metric == "" {
		metric = "status"
	}
	if window == "" {
		window = "30d"
	}
	if metric != "status" && metric != "uptime" {
		return h.fail(c, &domain.ValidationError{Field: "metric", Message: "must be status or uptime"}, true)
	}
	if metric == "uptime" && !contains(badgeWindows, window) {
		return h.fail(c, &domain.ValidationError{Field: "window", Message: "must be one of 24h, 7d, 30d, 90d"}, true)
	}
	id := c.Param("component")
	return h.serve(c, "badge/"+id+"/"+metric+"/"+window, true, func(v compat.View) (rendered, error) {
		var comp *domain.Component
		for _, cm := range v.Page.Components {
			if cm.ID == id {
				comp = &cm
				break
			}
		}
		if comp == nil {
			return rendered{}, domain.ErrNotFound
		}
		if metric == "status" {
			return newRendered(Badge(comp.Name, strings.ToLower(comp.Status.Label()), statusColor(comp.Status)), "image/svg+xml"), nil
		}
		u, ok := v.Uptime[comp.ServiceID][window]
		text, color := "no data", "#9f9f9f"
		if ok {
			text, color = FormatPercent(u), uptimeColor(u)
		}
		return newRendered(Badge("uptime "+window, text, color), "image/svg+xml"), nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FormatPercent shows an uptime fraction as a percentage, never rounding
// up to 100% while there was downtime.
func FormatPercent(u float64) string {
	p := math.Floor(u*100*100) / 100
	return fmt.Sprintf("%.2f%%", p)
}
