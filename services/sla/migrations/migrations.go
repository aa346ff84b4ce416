// Package migrations embeds the SLA service's forward-only SQL migrations
// for the "sla" schema.
package migrations

import "embed"

// Schema is the Postgres schema the SLA service owns.
const Schema = "sla"

// FS holds the NNNN_description.sql files.
//
//go:embed *.sql
var FS embed.FS
