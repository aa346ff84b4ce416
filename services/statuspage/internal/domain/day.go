package domain

// Day is a service's figures over one calendar day of the page's time
// zone, as the SLA service computes them.
type Day struct {
	Date string `json:"date"`
	// Uptime is absent without counted time (before the service existed,
	// or a day in maintenance).
	Uptime             *float64 `json:"uptime,omitempty"`
	DownSeconds        float64  `json:"down_seconds"`
	DegradedSeconds    float64  `json:"degraded_seconds"`
	MaintenanceSeconds float64  `json:"maintenance_seconds"`
	// Worst is the worst status of the day; "" when it did not exist.
	Worst Status `json:"worst,omitempty"`
}
