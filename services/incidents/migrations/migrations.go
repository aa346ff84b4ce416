// Package migrations embeds the incidents service's forward-only SQL
// migrations for the "incidents" schema.
package migrations

import "embed"

// Schema is the Postgres schema the incidents service owns.
const Schema = "incidents"

// FS holds the NNNN_description.sql files.
//
//go:embed *.sql
var FS embed.FS
