package grpcx

import (
	"errors"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// internalMessage is all a caller learns of a server fault; the cause goes
// to the server's log, under the request id.
const internalMessage = "internal error"

// Internal returns the error of a server fault. The caller gets
// codes.Internal and "internal error"; cause stays in the error (Error,
// Unwrap) for the server's log line.
func Internal(cause error) error {
	return &causeError{st: status.New(codes.Internal, internalMessage), cause: cause}
}

// Unavailable returns codes.Unavailable with message for the caller, who
// may retry; cause stays in the error for the server's log line.
func Unavailable(message string, cause error) error {
	return &causeError{st: status.New(codes.Unavailable, message), cause: cause}
}

// IsUnavailable reports whether err, from a call to another service, says
// the service could not be reached or did not answer in time (Unavailable,
// DeadlineExceeded): worth retrying later, as is.
func IsUnavailable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// causeError is a status for the caller together with what caused it, for
// the server. gRPC sends only the status: status.FromError takes
// GRPCStatus of the returned error itself, without looking at the chain.
type causeError struct {
	st    *status.Status
	cause error
}

func (e *causeError) Error() string { return e.st.Message() + ": " + e.cause.Error() }

func (e *causeError) Unwrap() error { return e.cause }

// GRPCStatus is what the caller receives.
func (e *causeError) GRPCStatus() *status.Status { return e.st }

// FieldViolation names a request field whose value is unacceptable, and
// says why.
type FieldViolation struct {
	// Field is the field's path in the request, e.g. "service_ids" or
	// "auto_incident.severity".
	Field string
	// Description says what is wrong, for the client: "is required".
	Description string
}

func (v FieldViolation) String() string { return v.Field + ": " + v.Description }

// InvalidField is InvalidArgument for one field.
func InvalidField(field, description string) error {
	return InvalidArgument(FieldViolation{Field: field, Description: description})
}

// InvalidArgument returns codes.InvalidArgument carrying the violations as
// errdetails.BadRequest, so that callers can tell which fields are wrong
// without reading the message. The message lists them too.
func InvalidArgument(violations ...FieldViolation) error {
	msgs := make([]string, len(violations))
	br := &errdetails.BadRequest{}
	for i, v := range violations {
		msgs[i] = v.String()
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	st := status.New(codes.InvalidArgument, strings.Join(msgs, "; "))
	// WithDetails fails only for code OK or a detail that does not marshal,
	// neither of which can happen here; the message names the fields anyway.
	if withDetails, err := st.WithDetails(br); err == nil {
		st = withDetails
	}
	return st.Err()
}

// FieldViolations returns the field violations an error from a gRPC call
// carries in errdetails.BadRequest details, or nil.
func FieldViolations(err error) []FieldViolation {
	var gs interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &gs) {
		return nil
	}
	var out []FieldViolation
	for _, d := range gs.GRPCStatus().Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			out = append(out, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
		}
	}
	return out
}

// RequireOrg refuses a request without the organisation every service's
// data is scoped to: INVALID_ARGUMENT naming org_id.
func RequireOrg(orgID string) error {
	if orgID == "" {
		return InvalidField("org_id", "is required")
	}
	return nil
}
