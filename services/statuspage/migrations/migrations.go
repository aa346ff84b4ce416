// Package migrations embeds the status page service's forward-only SQL
// migrations for the "statuspage" schema.
package migrations

import "embed"

// Schema is the Postgres schema the status page service owns.
const Schema = "statuspage"

// FS holds the NNNN_description.sql files.
//
//go:embed *.sql
var FS embed.FS
