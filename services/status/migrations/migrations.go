// Package migrations embeds the status service's forward-only SQL
// migrations for the "status" schema.
package migrations

import "embed"

// Schema is the Postgres schema the status service owns.
const Schema = "status"

// FS holds the NNNN_description.sql files.
//
//go:embed *.sql
var FS embed.FS
