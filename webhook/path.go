package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a dot path, checked by ParsePath.
const (
	MaxPathChars    = 256 // Unicode characters of the path as written
	MaxPathSegments = 32
)

// ErrInvalidPath is wrapped by every ParsePath error.
var ErrInvalidPath = errors.New("invalid path")

// Path is a parsed dot path such as data.attributes.current_status. It
// names a value inside a decoded JSON document, one segment per level.
//
// Syntax: segments are separated by '.'. Inside a segment, `\.` is a
// literal dot and `\\` a literal backslash; any other backslash is an
// error, so every path has exactly one spelling and String returns the text
// ParsePath was given. Segments are never empty, and may not contain
// control characters or invalid UTF-8, which no sensible key contains and
// which would only hide a typo.
//
// A segment made of decimal digits with no leading zero ("0", "12") indexes
// an array; on an object it is an ordinary key, so "checks.0.state" reads
// {"checks":[{"state":…}]} and {"checks":{"0":{"state":…}}} alike. Any other
// segment ("01", "-1", "first") on an array finds nothing.
//
// The zero Path has no segments and finds nothing.
type Path struct {
	segs []segment
}

type segment struct {
	key   string // the segment with escapes removed
	index int    // the array index it denotes, or -1
}

// ParsePath parses and validates a dot path; see Path for the syntax.
// Errors wrap ErrInvalidPath and say what is wrong and where.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Path{}, fmt.Errorf("%w: path is empty", ErrInvalidPath)
	}
	if n := utf8.RuneCountInString(s); n > MaxPathChars {
		return Path{}, fmt.Errorf("%w: path has %d characters, at most %d are allowed", ErrInvalidPath, n, MaxPathChars)
	}
	if !utf8.ValidString(s) {
		return Path{}, fmt.Errorf("%w %q: not valid UTF-8", ErrInvalidPath, s)
	}
	var (
		segs    = make([]segment, 0, min(strings.Count(s, ".")+1, MaxPathSegments))
		start   = 0     // byte offset where the current segment starts
		escaped = false // whether the current segment has escapes to remove
	)
	end := func(at int) error {
		if at == start {
			return fmt.Errorf("%w %q: empty segment at offset %d (segments are separated by single dots, with none at either end)", ErrInvalidPath, s, at)
		}
		if len(segs) == MaxPathSegments {
			return fmt.Errorf("%w %q: more than %d segments", ErrInvalidPath, s, MaxPathSegments)
		}
		k := s[start:at]
		if escaped {
			// Only \. and \\ got this far, so every backslash escapes the
			// byte after it.
			var b strings.Builder
			for i := 0; i < len(k); i++ {
				if k[i] == '\\' {
					i++
				}
				b.WriteByte(k[i])
			}
			k = b.String()
		}
		segs = append(segs, segment{key: k, index: arrayIndex(k)})
		return nil
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '.':
			if err := end(i); err != nil {
				return Path{}, err
			}
			start, escaped = i+1, false
		case r == '\\':
			if i+1 == len(s) || (s[i+1] != '.' && s[i+1] != '\\') {
				return Path{}, fmt.Errorf(`%w %q: backslash at offset %d must be followed by '.' or '\' (\. is a literal dot, \\ a literal backslash)`, ErrInvalidPath, s, i)
			}
			escaped, size = true, 2
		case unicode.IsControl(r):
			return Path{}, fmt.Errorf("%w %q: control character %U at offset %d", ErrInvalidPath, s, r, i)
		}
		i += size
	}
	if err := end(len(s)); err != nil {
		return Path{}, err
	}
	return Path{segs: segs}, nil
}

// arrayIndex returns the array index a segment denotes, or -1.
func arrayIndex(k string) int {
	if k == "" || (k[0] == '0' && len(k) > 1) {
		return -1
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return -1
		}
	}
	n, err := strconv.Atoi(k)
	if err != nil {
		return -1 // too large for any array
	}
	return n
}

// String returns the path as ParsePath accepts it, escapes included.
func (p Path) String() string {
	var b strings.Builder
	for i, sg := range p.segs {
		if i > 0 {
			b.WriteByte('.')
		}
		for j := 0; j < len(sg.key); j++ {
			if c := sg.key[j]; c == '.' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(sg.key[j])
		}
	}
	return b.String()
}

// Lookup walks doc, a value decoded by encoding/json into any, along p.
// found is false when a key is missing, an index is out of range, or the
// path goes through a scalar; a JSON null that is present is found as nil.
func (p Path) Lookup(doc any) (value any, found bool) {
	if len(p.segs) == 0 {
		return nil, false
	}
	cur := doc
	for _, sg := range p.segs {
		switch v := cur.(type) {
		case map[string]any:
			if cur, found = v[sg.key]; !found {
				return nil, false
			}
		case []any:
			if sg.index < 0 || sg.index >= len(v) {
				return nil, false
			}
			cur = v[sg.index]
		default:
			return nil, false
		}
	}
	return cur, true
}

// ExtractString returns the scalar at p as text: strings as they are,
// numbers in their JSON form ("200", "1.5"), booleans as "true" or "false".
// found is false when nothing is there or the value is null, an object or
// an array.
func ExtractString(doc any, p Path) (value string, found bool) {
	v, ok := p.Lookup(doc)
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return formatFloat(v)
	case bool:
		return strconv.FormatBool(v), true
	default:
		return "", false
	}
}

// formatFloat writes f the way encoding/json does, so a document decoded
// without UseNumber gives the same text for ordinary numbers.
func formatFloat(f float64) (string, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false // not representable in JSON
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(make([]byte, 0, 24), f, format, -1, 64)
	if format == 'e' {
		// Shorten e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b), true
}

// DecodeJSON decodes a webhook body the way the gateway does everywhere:
// one JSON value of any kind, numbers kept as json.Number, nothing but
// whitespace after it.
func DecodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("decode json: body is empty")
		}
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("decode json: unexpected data after the JSON value at offset %d", len(body)-len(rest))
	}
	return doc, nil
}
