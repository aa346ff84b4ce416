package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"
)

// DecodeJSON reads the request body strictly into v: the content type must
// be JSON (415), the body must fit the limit (413), be one well-formed JSON
// object with no unknown fields (400), and have values of the right types
// (422).
func DecodeJSON(c echo.Context, v any) error {
	if err := RequireJSON(c.Request()); err != nil {
		return err
	}
	raw, err := ReadBody(c.Request())
	if err != nil {
		return err
	}
	return DecodeJSONBytes(raw, v)
}

// DecodeJSONBytes reads raw strictly into v, as DecodeJSON reads a body:
// one well-formed JSON object with no unknown fields (400) and values of
// the right types (422).
func DecodeJSONBytes(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "request body must hold a single JSON object")
	}
	if escapesNUL(raw) {
		return Errorf(http.StatusUnprocessableEntity, CodeInvalidValue, "strings must not contain the NUL character (\\u0000)")
	}
	return nil
}

// escapesNUL reports whether a JSON text holds the escape \u0000. A raw
// NUL cannot appear in valid JSON, and every backslash is inside a string,
// where escapes are read left to right; invalid UTF-8 is already replaced
// by the decoder.
func escapesNUL(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+5 < len(raw) && raw[i+1] == 'u' && string(raw[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character
	}
	return false
}

// RequireJSON answers 415 unless the request declares a JSON body.
func RequireJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || (mt != echo.MIMEApplicationJSON && !isJSONSuffix(mt)) {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"Content-Type must be application/json")
	}
	return nil
}

func isJSONSuffix(mt string) bool { return len(mt) > 5 && mt[len(mt)-5:] == "+json" }

// ReadBody reads the whole body, answering 413 when BodyLimit cut it short.
func ReadBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, Errorf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			"request body exceeds %d bytes", tooLarge.Limit)
	}
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, CodeBadRequest, "read request body: %v", err)
	}
	return raw, nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return Errorf(http.StatusBadRequest, CodeBadRequest, "request body is empty")
	case errors.As(err, &syntax):
		return Errorf(http.StatusBadRequest, CodeBadRequest, "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return Errorf(http.StatusBadRequest, CodeBadRequest, "request body must be a JSON object")
		}
		return Errorf(http.StatusUnprocessableEntity, CodeInvalidValue, "%s must be a %s", typeErr.Field, jsonType(typeErr.Type.Kind().String()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(http.StatusBadRequest, CodeBadRequest, "malformed JSON: unexpected end of body")
	default:
		// Unknown fields and other decoder complaints are already phrased
		// for the client ("json: unknown field \"x\"").
		return Errorf(http.StatusBadRequest, CodeBadRequest, "%v", err)
	}
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	default:
		return "number"
	}
}
