// Package domain is the status page's logic, with no I/O: pages and their
// components (validation, grouping, a group's status is its worst
// member's), the mapping of upstate's statuses, severities and incident
// and maintenance states onto Atlassian Statuspage's enums, the page's
// overall indicator, the posts a status change adds to a page, and which
// subscribers a change concerns.
//
// Mapping onto Statuspage (the README repeats it for users):
//
//	component   operational → operational, degraded → degraded_performance,
//	            down → major_outage, maintenance → under_maintenance
//	            (upstate has no partial outage: partial_outage is never sent)
//	incident    investigating, identified, monitoring, resolved as they are
//	            (postmortem is never sent); impact = severity (minor, major,
//	            critical)
//	maintenance scheduled → scheduled, in progress → in_progress,
//	            completed → completed (cancelled windows are not shown;
//	            verifying is never sent); impact maintenance
//	indicator   the worst of: every shown component down → critical, one
//	            down → major, one degraded → minor, and the impact of each
//	            unresolved incident; otherwise none
package domain
