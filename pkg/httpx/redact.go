package httpx

import "strings"

// minSecretHexRun is the shortest run of hex digits the access log hides:
// webhook tokens are 64 hex digits, as are SHA-256 sums and most keys
// written in hex.
const minSecretHexRun = 64

// keptHexDigits is how many leading digits of a hidden run are kept, so
// that lines about the same secret can still be told apart.
const keptHexDigits = 6

// redactHexRuns shortens every run of at least minSecretHexRun hex digits
// (either case) in s to its first keptHexDigits and "…". It returns s
// itself, without allocating, when there is none.
//
// It is applied to every logged path whatever route matched, or none:
// a sender that gets its URL slightly wrong (another casing or prefix, an
// empty or dot segment) reaches no route that knows where its token is.
func redactHexRuns(s string) string {
	var b strings.Builder
	copied, start := 0, -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isHexDigit(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= minSecretHexRun {
			b.WriteString(s[copied : start+keptHexDigits])
			b.WriteString("…")
			copied = i
		}
		start = -1
	}
	if copied == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
