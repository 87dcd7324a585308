package scenarios

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
)

func labHosts() []Host {
	return []Host{
		{Name: "w11-a", OS: "win11-24h2"}, {Name: "w11-b", OS: "win11-24h2"},
		{Name: "w10", OS: "win10-22h2"}, {Name: "s22", OS: "server2022"},
		{Name: "unprofiled"},
	}
}

func ids(cells []Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = c.ID
	}
	return out
}

func TestExpand(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	all := Expand(scs, labHosts(), Filter{})
	want := 0
	for _, sc := range scs {
		want += 3 * len(sc.Contexts) // three OS profiles in the lab; no built-in narrows os
	}
	if len(all) != want {
		t.Errorf("%d cells, want %d", len(all), want)
	}
	if !sort.StringsAreSorted(ids(all)) {
		t.Errorf("cells not sorted by ID")
	}
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.ID] {
			t.Errorf("duplicate cell %s", c.ID)
		}
		seen[c.ID] = true
		if c.Host.Name != "" || c.ID != c.Scenario.Name+"/"+c.Host.OS+"/"+c.Context {
			t.Errorf("cell %+v", c)
		}
	}
	if !seen["per-user-server-default/server2022/standard-user"] || !seen["clean-host/win10-22h2/admin-elevated"] {
		t.Errorf("cells missing: %v", ids(all))
	}

	// Overrides are applied in cells.
	for _, c := range all {
		switch c.ID {
		case "per-user-server-default/server2022/standard-user":
			if c.Expect.ExitCode != 1625 || c.Expect.NoEvents || !slices.Equal(c.Expect.Events, []int{11708, 1033}) || c.OverrideReason == "" {
				t.Errorf("%s: %+v %q", c.ID, c.Expect, c.OverrideReason)
			}
		case "per-user-server-default/win11-24h2/standard-user":
			if c.Expect.ExitCode != 0 || c.OverrideReason != "" {
				t.Errorf("%s: %+v %q", c.ID, c.Expect, c.OverrideReason)
			}
		}
	}

	// Filters.
	got := Expand(scs, labHosts(), Filter{OS: []string{"server2022"}, Contexts: []string{ops.ContextStandardUser}, Scenarios: []string{"temp-acl-*", "per-user-*"}})
	wantIDs := []string{
		"per-user-server-default/server2022/standard-user",
		"temp-acl-inheritance-broken/server2022/standard-user",
		"temp-acl-users-write-removed/server2022/standard-user",
	}
	if !slices.Equal(ids(got), wantIDs) {
		t.Errorf("filtered = %v, want %v", ids(got), wantIDs)
	}
	if got := Expand(scs, labHosts(), Filter{OS: []string{"win7"}}); len(got) != 0 {
		t.Errorf("unknown OS gave %v", ids(got))
	}
	if got := Expand(scs, nil, Filter{}); len(got) != 0 {
		t.Errorf("no hosts gave %v", ids(got))
	}

	// Shards partition the matrix: disjoint, union = all, balanced.
	for _, n := range []int{1, 2, 3, 7, len(all) + 5} {
		var union []string
		for i := 0; i < n; i++ {
			part := Expand(scs, labHosts(), Filter{Shard: Shard{Index: i, Count: n}})
			if d := len(part) - len(all)/n; d < 0 || d > 1 {
				t.Errorf("shard %d/%d has %d of %d cells", i+1, n, len(part), len(all))
			}
			union = append(union, ids(part)...)
		}
		sort.Strings(union)
		if !slices.Equal(union, ids(all)) {
			t.Errorf("%d shards: union differs from the matrix (%d vs %d cells)", n, len(union), len(all))
		}
	}
}

func TestScenarioOS(t *testing.T) {
	sc, err := Parse("s.yaml", []byte("name: x\npackage: permachine\nos: [server2022, win10-22h2]\ncontexts: [system, admin-elevated]\nexpect:\n  exit_code: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := ids(Expand([]*Scenario{sc}, labHosts(), Filter{}))
	want := []string{"x/server2022/admin-elevated", "x/server2022/system", "x/win10-22h2/admin-elevated", "x/win10-22h2/system"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestExpectFor(t *testing.T) {
	sc, err := Parse("s.yaml", []byte(`name: x
package: permachine
contexts: [admin-elevated, standard-user]
expect:
  exit_code: 1603
  messages: [2503]
  events: [10005, 1033]
overrides:
  - contexts: [standard-user]
    exit_code: 1625
    no_events: true
    reason: first
  - os: [server2022]
    contexts: [standard-user]
    messages: []
    events: [11707]
    reason: second
  - os: [win10-22h2]
    log: [only win10]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		os, ctx string
		want    Expectation
		reason  string
	}{
		{"win11-24h2", "admin-elevated", Expectation{ExitCode: 1603, Messages: []int{2503}, Events: []int{10005, 1033}}, ""},
		{"win11-24h2", "standard-user", Expectation{ExitCode: 1625, Messages: []int{2503}, NoEvents: true}, "first"},
		{"server2022", "standard-user", Expectation{ExitCode: 1625, Events: []int{11707}}, "first; second"},
		{"win10-22h2", "admin-elevated", Expectation{ExitCode: 1603, Messages: []int{2503}, Log: []string{"only win10"}, Events: []int{10005, 1033}}, ""},
	} {
		got, reason := sc.ExpectFor(tc.os, tc.ctx)
		if !equalExpect(got, tc.want) || reason != tc.reason {
			t.Errorf("%s/%s = %+v %q, want %+v %q", tc.os, tc.ctx, got, reason, tc.want, tc.reason)
		}
	}
	// ExpectFor never aliases the scenario's slices.
	got, _ := sc.ExpectFor("win11-24h2", "admin-elevated")
	got.Events[0] = 1
	if sc.Expect.Events[0] != 10005 {
		t.Errorf("ExpectFor shares its slices with the scenario")
	}
}

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"1/3": {0, 3}, "3/3": {2, 3}, " 1/1 ": {0, 1}} {
		got, err := ParseShard(in)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %+v, %v", in, got, err)
		}
		if got.String() != strings.TrimSpace(in) {
			t.Errorf("%+v prints as %q", got, got.String())
		}
	}
	for _, in := range []string{"", "3", "0/3", "4/3", "a/b", "1/0", "-1/2", "1/3/5"} {
		if _, err := ParseShard(in); !errors.Is(err, ErrShard) {
			t.Errorf("ParseShard(%q): %v", in, err)
		}
	}
	if err := (Filter{Scenarios: []string{"["}, Contexts: []string{"root"}, Shard: Shard{3, 3}}).Validate(); err == nil {
		t.Errorf("bad filter validated")
	}
	if err := (Filter{Scenarios: []string{"temp-*"}, Shard: Shard{0, 2}}).Validate(); err != nil {
		t.Error(err)
	}
}
