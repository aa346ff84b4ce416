// Package enum converts between a service's domain values and their
// protobuf enums, kept as one map per enum in the direction domain →
// protobuf.
package enum

// Reverse finds the domain value that m converts to p; ok is false when
// none does (UNSPECIFIED, or a value newer than this code).
func Reverse[D, P comparable](m map[D]P, p P) (d D, ok bool) {
	for dv, pv := range m {
		if pv == p {
			return dv, true
		}
	}
	return d, false
}
