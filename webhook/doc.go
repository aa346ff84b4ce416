// Package webhook interprets webhook deliveries without doing I/O: it
// verifies signatures over the raw body, extracts values by dot path and
// maps status words to upstate statuses. The gateway runs it on every
// delivery; the status service uses its parsers to validate a receiver's
// configuration when it is saved, so both agree on what a receiver means.
package webhook
