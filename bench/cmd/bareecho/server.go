package main

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// statusUpdate is the body of PUT /api/v1/services/:id.
type statusUpdate struct {
	Status      string `json:"status"`
	Description string `json:"description"`
}

// service mirrors the JSON service object of the real API, so responses
// have a similar size.
type service struct {
	ID                string    `json:"id"`
	OrgID             string    `json:"org_id"`
	Name              string    `json:"name"`
	Description       string    `json:"description"`
	Status            string    `json:"status"`
	StatusDescription string    `json:"status_description"`
	StatusChangedAt   time.Time `json:"status_changed_at"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Version           int64     `json:"version"`
}

// newServer returns the echo instance: no middleware, two routes.
func newServer(now func() time.Time) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.PUT("/api/v1/services/:id", putStatus(now))
	return e
}

func putStatus(now func() time.Time) echo.HandlerFunc {
	return func(c echo.Context) error {
		var u statusUpdate
		if err := json.NewDecoder(c.Request().Body).Decode(&u); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON body")
		}
		switch u.Status {
		case "operational", "degraded", "down", "maintenance":
		default:
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "invalid status")
		}
		t := now().UTC()
		return c.JSON(http.StatusOK, service{
			ID:                c.Param("id"),
			OrgID:             "org_01JBENCH0000000000000000000",
			Name:              "bench",
			Status:            u.Status,
			StatusDescription: u.Description,
			StatusChangedAt:   t,
			CreatedAt:         t,
			UpdatedAt:         t,
			Version:           1,
		})
	}
}
