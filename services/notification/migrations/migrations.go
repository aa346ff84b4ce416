// Package migrations embeds the notification service's forward-only SQL
// migrations for the "notification" schema.
package migrations

import "embed"

// Schema is the Postgres schema the notification service owns.
const Schema = "notification"

// FS holds the NNNN_description.sql files.
//
//go:embed *.sql
var FS embed.FS
