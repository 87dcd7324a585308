package reproduce

import (
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

// Row statuses of a comparison.
const (
	RowMatch   = "match"   // the same line, in the same order
	RowDiffers = "differs" // the same message or note, other arguments or side
	RowMissing = "missing" // in the input, not in the reproduction
	RowExtra   = "extra"   // in the reproduction, not in the input
)

// Row is one line of the side-by-side comparison.
type Row struct {
	Status string   `json:"status"`
	Input  *SigLine `json:"input,omitempty"`
	Repro  *SigLine `json:"reproduced,omitempty"`
	// Counts is true when the row makes the signatures differ (an extra
	// line of the reproduction does not when the input is an excerpt).
	Counts bool   `json:"counts"`
	Why    string `json:"why,omitempty"`
}

// Comparison is the input's signature beside the reproduction's.
type Comparison struct {
	// Match is true when nothing differs: every input line is in the
	// reproduction in the same order with the same arguments, the exit
	// code and events agree, and (for a whole log) the reproduction has
	// no signature line the input lacks.
	Match bool  `json:"match"`
	Rows  []Row `json:"rows"`
	// InputExit is -1 when the input does not state it.
	InputExit int    `json:"input_exit"`
	ReproExit int    `json:"reproduced_exit"`
	ExitNote  string `json:"exit"`
	// InputEvents and ReproEvents are MsiInstaller event IDs.
	InputEvents []int  `json:"input_events,omitempty"`
	ReproEvents []int  `json:"reproduced_events,omitempty"`
	EventsNote  string `json:"events"`
	// Differences say in words where they differ.
	Differences []string `json:"differences,omitempty"`
	// Normalised are the normalisation rules that replaced something in
	// either log (times, pids and thread ids are never compared).
	Normalised []string `json:"normalised"`
	// LeftOut counts the negative-control lines of each side, not compared.
	LeftOutInput int `json:"left_out_input"`
	LeftOutRepro int `json:"left_out_reproduced"`
	// Whole is true when the input is a whole log (or empty): then a line
	// only the reproduction has is a difference.
	Whole bool `json:"whole"`
}

// Compare puts the input's signature beside a reproduced run's (its
// verbose log, exit code and events).
func Compare(in *msilog.Log, reproLog string, reproExit int, reproEvents []ops.Event) *Comparison {
	rl := msilog.ParseString(reproLog)
	ni, nr := NewNormaliser(in), NewNormaliser(rl)
	c := &Comparison{ReproExit: reproExit, InputExit: -1}
	c.Whole = in.Form == msilog.FormVerbose || in.Form == msilog.FormEmpty || in.Form == msilog.FormNonVerbose && in.Parts <= 1
	ia, leftI := Signature(in, ni)
	ra, leftR := Signature(rl, nr)
	c.LeftOutInput, c.LeftOutRepro = leftI, leftR
	// The log's own lines and its events' are compared apart: their order
	// between each other means nothing.
	var ilog, ievents []SigLine
	for _, s := range ia {
		if s.Event != 0 {
			ievents = append(ievents, s)
		} else {
			ilog = append(ilog, s)
		}
	}
	rev, _ := Signature(eventsLog(reproEvents), nr)
	if len(ilog) > 0 || c.Whole || len(ievents) == 0 {
		c.Rows = append(c.Rows, align(ilog, ra, c.Whole)...)
	}
	if len(ievents) > 0 {
		c.Rows = append(c.Rows, align(ievents, rev, false)...)
	}
	if c.Rows == nil {
		c.Rows = []Row{}
	}
	for _, r := range c.Rows {
		if r.Counts {
			c.Differences = append(c.Differences, r.Why)
		}
	}
	// Exit code.
	if code, line, ok := in.Exit(); ok {
		c.InputExit = code
		if code == reproExit {
			c.ExitNote = fmt.Sprintf("match: exit %d (input line %d)", code, line.N)
		} else {
			c.ExitNote = fmt.Sprintf("differs: the input's exit is %d (line %d), the reproduction's %d", code, line.N, reproExit)
			c.Differences = append(c.Differences, c.ExitNote)
		}
	} else {
		c.ExitNote = fmt.Sprintf("not compared: the input does not state msiexec's exit code (the reproduction's is %d)", reproExit)
	}
	// Events.
	c.InputEvents = eventIDs(in)
	for _, e := range reproEvents {
		c.ReproEvents = append(c.ReproEvents, e.EventID)
	}
	if len(c.InputEvents) == 0 {
		c.EventsNote = fmt.Sprintf("not compared: the input shows no MsiInstaller event (the reproduction wrote %s)", ints(c.ReproEvents))
	} else {
		var missing []int
		left := slices.Clone(c.ReproEvents)
		for _, id := range c.InputEvents {
			if i := slices.Index(left, id); i >= 0 {
				left = slices.Delete(left, i, i+1)
			} else {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			c.EventsNote = fmt.Sprintf("match: the input's events %s were all written by the reproduction (%s)", ints(c.InputEvents), ints(c.ReproEvents))
		} else {
			c.EventsNote = fmt.Sprintf("differs: the reproduction wrote %s, not the input's %s", ints(c.ReproEvents), ints(missing))
			c.Differences = append(c.Differences, c.EventsNote)
		}
	}
	both := &Normaliser{Done: map[string]int{}}
	for _, n := range []*Normaliser{ni, nr} {
		for k, v := range n.Done {
			both.Done[k] += v
		}
	}
	c.Normalised = append([]string{}, both.Normalised()...)
	c.Match = len(c.Differences) == 0
	return c
}

func ints(v []int) string {
	if len(v) == 0 {
		return "none"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// same reports two lines that match: the same key, and the same side
// where both have one.
func same(a, b SigLine) bool {
	return a.key() == b.key() && (a.Side == "" || b.Side == "" || a.Side == b.Side)
}

// align lines up the input's lines with the reproduction's: the longest
// common subsequence in order, then an unmatched input line beside an
// unmatched reproduced line of the same message between the same anchors
// (its arguments or side differ), then what is left on either side.
func align(in, re []SigLine, whole bool) []Row {
	n, m := len(in), len(re)
	dp := make([][]int, n+1)
	for i := range dp {
		dp[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if same(in[i], re[j]) {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	pair := make([]int, n) // input i -> reproduced j, -1 none
	used := make([]bool, m)
	for i := range pair {
		pair[i] = -1
	}
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case same(in[i], re[j]):
			pair[i], used[j] = j, true
			i++
			j++
		case dp[i+1][j] >= dp[i][j+1]:
			i++
		default:
			j++
		}
	}
	// Between two matched anchors, pair lines of the same message.
	differs := make([]int, n)
	for i := range differs {
		differs[i] = -1
	}
	for i := 0; i < n; i++ {
		if pair[i] >= 0 {
			continue
		}
		lo, hi := -1, m
		for k := i - 1; k >= 0; k-- {
			if pair[k] >= 0 {
				lo = pair[k]
				break
			}
		}
		for k := i + 1; k < n; k++ {
			if pair[k] >= 0 {
				hi = pair[k]
				break
			}
		}
		for j := lo + 1; j < hi; j++ {
			if !used[j] && in[i].base() == re[j].base() {
				differs[i], used[j] = j, true
				break
			}
		}
	}
	var rows []Row
	j := 0
	flushExtra := func(upto int) {
		for ; j < upto; j++ {
			if used[j] {
				continue
			}
			r := re[j]
			why := "only in the reproduction: " + r.Words()
			if !whole {
				why += " (the input is an excerpt: it may have left it out)"
			}
			rows = append(rows, Row{Status: RowExtra, Repro: &r, Counts: whole, Why: why})
		}
	}
	for i := 0; i < n; i++ {
		a := in[i]
		switch {
		case pair[i] >= 0:
			flushExtra(pair[i])
			b := re[pair[i]]
			rows = append(rows, Row{Status: RowMatch, Input: &a, Repro: &b})
			j = max(j, pair[i]+1)
		case differs[i] >= 0:
			flushExtra(differs[i])
			b := re[differs[i]]
			rows = append(rows, Row{Status: RowDiffers, Input: &a, Repro: &b, Counts: true, Why: differWords(a, b)})
			j = max(j, differs[i]+1)
		default:
			why := fmt.Sprintf("missing from the reproduction: input line %d, %s", a.N, a.Words())
			if slices.ContainsFunc(re, func(b SigLine) bool { return same(a, b) }) {
				why += " (the reproduction has it, in another order)"
			}
			rows = append(rows, Row{Status: RowMissing, Input: &a, Counts: true, Why: why})
		}
	}
	flushExtra(m)
	return rows
}

func differWords(a, b SigLine) string {
	var parts []string
	if a.Side != "" && b.Side != "" && a.Side != b.Side {
		parts = append(parts, fmt.Sprintf("on the (%s) side in the input, (%s) in the reproduction", a.Side, b.Side))
	}
	for k := 0; k < max(len(a.Args), len(b.Args)); k++ {
		x, y := at(a.Args, k), at(b.Args, k)
		if x != y {
			parts = append(parts, fmt.Sprintf("argument %d: %q in the input, %q in the reproduction", k+2, x, y))
		}
	}
	return fmt.Sprintf("differs: input line %d, %s: %s", a.N, a.base(), strings.Join(parts, "; "))
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}
