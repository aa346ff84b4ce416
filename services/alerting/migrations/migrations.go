// Package migrations embeds the alerting service's forward-only SQL
// migrations for the "alerting" schema.
package migrations

import "embed"

// Schema is the Postgres schema the alerting service owns.
const Schema = "alerting"

// FS holds the NNNN_description.sql files.
//
//go:embed *.sql
var FS embed.FS
