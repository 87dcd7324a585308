package scenarios

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// Host is a machine of the lab, as far as the matrix cares.
type Host struct {
	Name string // inventory name; "" in a cell until the runner leases a host
	OS   string // OS profile
}

// Cell is one run of one scenario on one OS profile in one context.
type Cell struct {
	// ID is "<scenario>/<os>/<context>", unique within a matrix.
	ID       string
	Scenario *Scenario
	// Host has the OS profile; the runner fills Name with the host it leases.
	Host    Host
	Context string
	// Expect is the scenario's expectation after overrides.
	Expect Expectation
	// OverrideReason is the reason of the override(s) that applied ("" if none).
	OverrideReason string
}

// Shard selects every Count-th cell of the sorted matrix, starting at
// Index (0-based). The zero Shard selects every cell.
type Shard struct {
	Index, Count int
}

// String prints the shard as users type it, 1-based: "1/3".
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index+1, s.Count)
}

// ErrShard is wrapped by ParseShard's errors.
var ErrShard = errors.New("scenarios: bad shard")

// ParseShard reads "i/n" (1 ≤ i ≤ n, as --shard takes it).
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w %q: expected i/n, like 1/3", ErrShard, s)
	}
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	switch {
	case err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("%w %q: expected i/n with whole numbers, like 1/3", ErrShard, s)
	case n < 1:
		return Shard{}, fmt.Errorf("%w %q: the number of shards must be at least 1", ErrShard, s)
	case i < 1 || i > n:
		return Shard{}, fmt.Errorf("%w %q: the shard number must be between 1 and %d (it counts from 1)", ErrShard, s, n)
	}
	return Shard{Index: i - 1, Count: n}, nil
}

// Filter selects cells. Empty lists select everything.
type Filter struct {
	OS       []string
	Contexts []string
	// Scenarios are scenario name patterns (path.Match: *, ?, [...]).
	Scenarios []string
	Shard     Shard
}

// Validate reports bad patterns, unknown contexts and a bad shard.
func (f Filter) Validate() error {
	var errs []error
	for _, p := range f.Scenarios {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("scenarios: scenario pattern %q: %w", p, err))
		}
	}
	for _, c := range f.Contexts {
		if !slices.Contains(ops.Contexts, c) {
			errs = append(errs, fmt.Errorf("scenarios: unknown context %q (known: %s)", c, strings.Join(ops.Contexts, ", ")))
		}
	}
	if f.Shard.Count < 0 || f.Shard.Count > 0 && (f.Shard.Index < 0 || f.Shard.Index >= f.Shard.Count) {
		errs = append(errs, fmt.Errorf("%w: index %d of %d", ErrShard, f.Shard.Index, f.Shard.Count))
	}
	return errors.Join(errs...)
}

func (f Filter) scenario(name string) bool {
	if len(f.Scenarios) == 0 {
		return true
	}
	for _, p := range f.Scenarios {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func in(list []string, s string) bool { return len(list) == 0 || slices.Contains(list, s) }

// contexts are the scenario's contexts (admin-elevated when none are set).
func (s *Scenario) contexts() []string {
	if len(s.Contexts) == 0 {
		return []string{ops.ContextAdminElevated}
	}
	return s.Contexts
}

// AppliesTo reports whether the scenario runs on an OS profile.
func (s *Scenario) AppliesTo(os string) bool { return in(s.OS, os) }

// Expand makes the matrix: one cell per scenario, OS profile present in
// hosts, and context, filtered, sorted by ID, then cut to the filter's
// shard. Hosts only say which OS profiles the lab has: several hosts of one
// OS give one cell, which the runner runs on whichever of them it leases.
// Every shard of a run must be expanded from the same scenarios, hosts and
// filter (apart from the shard), so that the shards partition the matrix.
func Expand(scs []*Scenario, hosts []Host, filter Filter) []Cell {
	var oses []string
	for _, h := range hosts {
		if h.OS != "" && !slices.Contains(oses, h.OS) {
			oses = append(oses, h.OS)
		}
	}
	sort.Strings(oses)
	var cells []Cell
	for _, sc := range scs {
		if !filter.scenario(sc.Name) {
			continue
		}
		for _, os := range oses {
			if !sc.AppliesTo(os) || !in(filter.OS, os) {
				continue
			}
			for _, ctx := range sc.contexts() {
				if !in(filter.Contexts, ctx) {
					continue
				}
				exp, reason := sc.ExpectFor(os, ctx)
				cells = append(cells, Cell{
					ID:       sc.Name + "/" + os + "/" + ctx,
					Scenario: sc, Host: Host{OS: os}, Context: ctx,
					Expect: exp, OverrideReason: reason,
				})
			}
		}
	}
	sort.SliceStable(cells, func(i, j int) bool { return cells[i].ID < cells[j].ID })
	if filter.Shard.Count <= 1 {
		return cells
	}
	var out []Cell
	for i, c := range cells {
		if i%filter.Shard.Count == filter.Shard.Index {
			out = append(out, c)
		}
	}
	return out
}

// ExpectFor is the expectation of the cell on os in context: Expect with
// every matching override applied in order, and the reasons of those that
// applied, joined by "; ". Setting events clears no_events; setting
// no_events: true clears events.
func (s *Scenario) ExpectFor(os, context string) (Expectation, string) {
	e := s.Expect.clone()
	var reasons []string
	for _, o := range s.Overrides {
		if !in(o.OS, os) || !in(o.Contexts, context) {
			continue
		}
		if o.ExitCode != nil {
			e.ExitCode = *o.ExitCode
		}
		if o.Messages != nil {
			e.Messages = cloneOrNil(*o.Messages)
		}
		if o.Log != nil {
			e.Log = cloneOrNil(*o.Log)
		}
		if o.NotLog != nil {
			e.NotLog = cloneOrNil(*o.NotLog)
		}
		if o.Events != nil {
			e.Events = cloneOrNil(*o.Events)
			if len(e.Events) > 0 {
				e.NoEvents = false
			}
		}
		if o.NoEvents != nil {
			e.NoEvents = *o.NoEvents
			if e.NoEvents {
				e.Events = nil
			}
		}
		if o.Reason != "" {
			reasons = append(reasons, o.Reason)
		}
	}
	return e, strings.Join(reasons, "; ")
}

func (e Expectation) clone() Expectation {
	e.Messages = cloneOrNil(e.Messages)
	e.Log = cloneOrNil(e.Log)
	e.NotLog = cloneOrNil(e.NotLog)
	e.Events = cloneOrNil(e.Events)
	return e
}

func cloneOrNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
