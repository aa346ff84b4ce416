// Package migrations embeds the edge's forward-only SQL migrations for the
// "edge" schema.
package migrations

import "embed"

// Schema is the Postgres schema the edge owns.
const Schema = "edge"

// FS holds the NNNN_description.sql files.
//
//go:embed *.sql
var FS embed.FS
