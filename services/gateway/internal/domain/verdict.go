package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/upstatehq/upstate/webhook"
)

// Caps on the values taken from a payload, so an event stays far below
// NATS's message size whatever the sender puts in a field.
const (
	maxRawStatus   = 256
	maxServiceName = 256
	maxMessage     = 4096
	// maxRawShown is how much of a non-scalar status value a reason quotes.
	maxRawShown = 128
)

// Verdict is what the gateway makes of a payload.
type Verdict struct {
	// Result is ResultProcessed, ResultIgnored or ResultFailed.
	Result DeliveryResult
	// Reason explains IGNORED and FAILED.
	Reason string
	// RawStatus is the value found at the status field, as text.
	RawStatus string
	// Mapped is RawStatus mapped to a status (ResultProcessed only).
	Mapped Status
	// ServiceName is the value at the service name field, if the receiver has one.
	ServiceName string
	// Message is the value at the message field, if any.
	Message string
}

// Interpret decodes a body and finds the status report in it: FAILED when
// it is not JSON, IGNORED when it holds no usable status or service name,
// PROCESSED otherwise.
func (r *Receiver) Interpret(body []byte) Verdict {
	doc, err := webhook.DecodeJSON(body)
	if err != nil {
		return Verdict{Result: ResultFailed, Reason: "payload is not valid JSON: " + err.Error()}
	}
	if r.invalid != "" {
		return ignored(r.invalid, "")
	}
	var v Verdict
	if msg, ok := webhook.ExtractString(doc, r.messagePath); ok {
		v.Message = cut(msg, maxMessage)
	}
	raw, ok := webhook.ExtractString(doc, r.statusPath)
	if !ok {
		if val, found := r.statusPath.Lookup(doc); found {
			shown := describe(val)
			return with(v, ignored(fmt.Sprintf("status_field %q holds %s, not a string, number or boolean", r.statusField, shown), shown))
		}
		return with(v, ignored(fmt.Sprintf("status_field %q not found in payload", r.statusField), ""))
	}
	v.RawStatus = cut(raw, maxRawStatus)
	if r.serviceField != "" {
		name, ok := webhook.ExtractString(doc, r.servicePath)
		if !ok || name == "" {
			v.Result, v.Reason = ResultIgnored,
				fmt.Sprintf("service_name_field %q not found in payload", r.serviceField)
			return v
		}
		v.ServiceName = cut(name, maxServiceName)
	}
	mapped, ok := r.mapping.Map(raw)
	if !ok {
		v.Result, v.Reason = ResultIgnored,
			fmt.Sprintf("status %q is not mapped to a status; add it to the receiver's status mapping", v.RawStatus)
		return v
	}
	v.Result, v.Mapped = ResultProcessed, Status(mapped)
	return v
}

func ignored(reason, raw string) Verdict {
	return Verdict{Result: ResultIgnored, Reason: reason, RawStatus: raw}
}

// with keeps what v already found (the message) in the verdict w.
func with(v, w Verdict) Verdict {
	w.Message = v.Message
	return w
}

// describe shows a non-scalar value in a reason: null, or the start of its
// JSON form.
func describe(val any) string {
	if val == nil {
		return "null"
	}
	b, err := json.Marshal(val)
	if err != nil {
		return fmt.Sprintf("a %T", val)
	}
	if len(b) > maxRawShown {
		return cut(string(b), maxRawShown) + "…"
	}
	return string(b)
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence,
// after replacing NUL characters (JSON lets a payload carry them as
// \u0000) with U+FFFD: Postgres text cannot hold NUL, and a delivery whose
// log entry cannot be written would be lost.
func cut(s string, n int) string {
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
