package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxErrorKinds bounds the distinct errors tracked; transport errors can
// embed ephemeral ports, so their texts are not a small set.
const maxErrorKinds = 8

// errorLog counts errors by kind ("HTTP 409", or a transport error's text)
// and keeps the first response body seen for each kind. It is only touched
// on the error path.
type errorLog struct {
	kinds  []string
	counts map[string]uint64
	sample map[string]string
	other  uint64
}

func (l *errorLog) add(kind, sample string) { l.addN(kind, sample, 1) }

func (l *errorLog) addN(kind, sample string, n uint64) {
	if _, ok := l.counts[kind]; !ok {
		if len(l.kinds) >= maxErrorKinds {
			l.other += n
			return
		}
		if l.counts == nil {
			l.counts, l.sample = map[string]uint64{}, map[string]string{}
		}
		l.kinds = append(l.kinds, kind)
		l.sample[kind] = sample
	}
	l.counts[kind] += n
}

func (l *errorLog) merge(o *errorLog) {
	for _, k := range o.kinds {
		l.addN(k, o.sample[k], o.counts[k])
	}
	l.other += o.other
}

// write prints the error kinds, most frequent first, with their samples.
func (l *errorLog) write(w io.Writer) {
	if len(l.kinds) == 0 && l.other == 0 {
		return
	}
	kinds := slices.Clone(l.kinds)
	slices.SortStableFunc(kinds, func(a, b string) int { return cmp.Compare(l.counts[b], l.counts[a]) })
	fmt.Fprintln(w, "errors by kind:")
	for _, k := range kinds {
		fmt.Fprintf(w, "  %8d  %s", l.counts[k], k)
		if s := strings.TrimSpace(l.sample[k]); s != "" {
			fmt.Fprintf(w, "  body: %q", s)
		}
		fmt.Fprintln(w)
	}
	if l.other > 0 {
		fmt.Fprintf(w, "  %8d  other kinds\n", l.other)
	}
}
