package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios/runner"
	"github.com/msilab/msilab/win"
)

const revertUsage = `Usage:
  msilab revert --journal FILE --lab lab.yaml
  msilab revert --journal FILE --endpoint URL --user NAME [endpoint flags]
  msilab revert --snapshot --lab lab.yaml [--host NAME,...]

Restores hosts left changed by a run that was killed: for every cell the
journal has not marked done, reverts its faults from the journaled undo
data and undoes its fixes (newest first), removes the product it
installed, then reads the faults' state again and marks the cell done
only when it matches the state before the faults. Running it again finds
nothing to do; replaying a cell whose cleanup already ran changes
nothing. A cell whose host cannot be shown to be back is reported and
the command exits non-zero.

What it trusts: the journal's lines must carry the keyed hash of the key
beside it (journal.jsonl.key), each entry is rebuilt by the fault's or
fix's own code from its undo data (checked against what that code reads
and changes), and credentials go only to the endpoints that lab.yaml, or
--endpoint, names: a host whose journaled endpoint differs is refused.

With --snapshot, reverts the lab's hosts (or those --host names) to their
clean snapshot with their snapshot driver, powers them on and waits until
WinRM answers, and says how long each took.
`

func revertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab revert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), revertUsage); fs.PrintDefaults() }
	journalPath := fs.String("journal", "", "the run's journal.jsonl")
	invPath := fs.String("lab", "", "lab inventory naming the journal's hosts")
	snapshot := fs.Bool("snapshot", false, "revert the lab's hosts to their snapshot (needs --lab)")
	only := fs.String("host", "", "with --snapshot: only these hosts, comma-separated")
	var ef endpointFlags
	ef.register(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *snapshot {
		if *invPath == "" || *journalPath != "" || fs.NArg() > 0 {
			return usagef("msilab revert --snapshot needs --lab FILE, and no --journal nor arguments")
		}
		return revertSnapshots(ctx, *invPath, splitList(*only), stdout)
	}
	if *journalPath == "" || fs.NArg() > 0 {
		return usagef("msilab revert needs --journal FILE and no arguments")
	}
	if (*invPath == "") == (ef.endpoint == "") {
		return usagef("msilab revert needs --lab lab.yaml or --endpoint (one of them): credentials go only to an endpoint you name")
	}
	entries, err := journal.Read(*journalPath)
	if err != nil {
		return err
	}
	pending := journal.Pending(entries)
	if len(pending) == 0 {
		fmt.Fprintln(stdout, "nothing to revert: every cell in the journal is done")
		return nil
	}
	hosts := make([]string, 0, len(pending))
	for h := range pending {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var inv *lab.Inventory
	if *invPath != "" {
		if inv, err = lab.LoadInventory(*invPath, win.ProfileNames()); err != nil {
			return err
		}
		warnBasicOverHTTP(inv, stderr)
	} else if len(hosts) > 1 {
		return usagef("the journal has cells pending on %d hosts (%s): name them with --lab", len(hosts), strings.Join(hosts, ", "))
	}
	j, err := journal.Open(*journalPath)
	if err != nil {
		return err
	}
	defer j.Close()
	var errs []error
	for _, name := range hosts {
		if err := revertHost(ctx, name, pending[name], inv, ef, j, stdout); err != nil {
			errs = append(errs, fmt.Errorf("host %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// revertHost reverts one host's pending cells, one batch per cell, newest
// cell first; it stops at the first cell it cannot show to be reverted.
func revertHost(ctx context.Context, name string, entries []journal.Entry, inv *lab.Inventory, ef endpointFlags, j *journal.Journal, stdout io.Writer) error {
	ep, spec, err := hostEndpoint(name, entries, inv, ef)
	if err != nil {
		return err
	}
	if err := checkTargets(entries, spec, ep.User); err != nil {
		return err
	}
	byCell := map[string][]journal.Entry{}
	var order []string
	for _, e := range entries {
		if _, ok := byCell[e.Cell]; !ok {
			order = append(order, e.Cell)
		}
		byCell[e.Cell] = append(byCell[e.Cell], e)
	}
	// Every cell's batch is built, so checked, before anything is sent.
	type cellBatch struct{ revert, proof, remove []ops.Op }
	batches := map[string]cellBatch{}
	for _, cell := range order {
		revert, proof, remove, err := journal.RevertProofOps(byCell[cell])
		if err != nil {
			return fmt.Errorf("cell %s: %w", cell, err)
		}
		batches[cell] = cellBatch{revert, proof, remove}
	}
	s, err := dialResent(ctx, ep)
	if err != nil {
		return err
	}
	defer s.Close()
	// Every batch of the revert has an ID, so a lost answer is resent and
	// nothing runs twice.
	ctx = lab.WithBatchIDs(ctx, ops.BatchID(j.Run(), "revert "+name, "b", 0))
	logons, err := revertLogons(ctx, s, ep, spec, entries)
	if err != nil {
		return err
	}
	ctx = lab.WithLogons(ctx, logons...)
	for i := len(order) - 1; i >= 0; i-- {
		cell := order[i]
		revert, proof, remove := batches[cell].revert, batches[cell].proof, batches[cell].remove
		if len(revert)+len(proof)+len(remove) > 0 {
			// Sent under an ID, so resent (not run again) when its answer is lost.
			res, err := s.RunBatch(ctx, append(append(append([]ops.Op(nil), revert...), proof...), remove...))
			if err != nil {
				return err
			}
			reverted := append(append([]ops.Result(nil), res[:len(revert)]...), res[len(revert)+len(proof):]...)
			if err := journal.CheckRevert(reverted); err != nil {
				return fmt.Errorf("cell %s: %w", cell, err)
			}
			if err := journal.CheckProof(byCell[cell], res[len(revert):len(revert)+len(proof)]); err != nil {
				return fmt.Errorf("cell %s: cannot show the host is back, the cell stays pending: %w", cell, err)
			}
		}
		if err := j.Append(journal.Entry{Kind: journal.KindDone, Cell: cell, Host: name}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reverted %s on %s (%d ops, %d reads match the state before)\n", cell, name, len(revert)+len(remove), len(proof))
	}
	// The host's records of the runs' batches, and of this revert's, go.
	forget := []string{j.Run() + "_"}
	for _, e := range entries {
		if e.Run != "" && !slices.Contains(forget, e.Run+"_") {
			forget = append(forget, e.Run+"_")
		}
	}
	if _, err := s.RunBatch(lab.WithForget(ctx, forget...), nil); err != nil {
		return fmt.Errorf("forget the batch records: %w", err)
	}
	return nil
}

// dialResent connects to ep, again while the network loses the answers,
// as lab.DefaultResend bounds it.
func dialResent(ctx context.Context, ep lab.Endpoint) (lab.Session, error) {
	wait := lab.DefaultResend.Backoff
	for try := 1; ; try++ {
		s, err := lab.Dial(ctx, ep)
		if err == nil || !lab.Resendable(err) || try >= lab.DefaultResend.Sends || ctx.Err() != nil {
			return s, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		wait = min(2*wait, lab.DefaultResend.MaxBackoff)
	}
}

// hostEndpoint finds how to reach a journal's host: the inventory entry
// of that name, or the endpoint flags. The endpoint the journal recorded
// must be that one: credentials never go where only the journal points.
func hostEndpoint(name string, entries []journal.Entry, inv *lab.Inventory, ef endpointFlags) (lab.Endpoint, *lab.HostSpec, error) {
	var ep lab.Endpoint
	var spec *lab.HostSpec
	var err error
	if inv != nil {
		for i := range inv.Hosts {
			if inv.Hosts[i].Name == name {
				spec = &inv.Hosts[i]
			}
		}
		if spec == nil {
			return ep, nil, fmt.Errorf("not in %s", inv.File)
		}
		if ep, err = spec.Connect(); err != nil {
			return ep, nil, err
		}
	} else if ep, err = ef.toEndpoint(); err != nil {
		return ep, nil, err
	}
	for _, e := range entries {
		if e.Endpoint != "" && !strings.EqualFold(e.Endpoint, ep.URL()) {
			where := "--endpoint"
			if inv != nil {
				where = inv.File
			}
			return ep, nil, fmt.Errorf("the journal recorded endpoint %s, %s names %s: refusing to send credentials to either", e.Endpoint, where, ep.URL())
		}
	}
	return ep, spec, nil
}

// checkTargets checks the accounts the journal's entries act for against
// the host's: the WinRM user and, from lab.yaml, the lab's standard user.
func checkTargets(entries []journal.Entry, spec *lab.HostSpec, user string) error {
	for _, e := range entries {
		t := e.Target
		if !strings.EqualFold(t.AdminUser, user) || spec != nil && !strings.EqualFold(t.StandardUser, spec.StandardUser) {
			return fmt.Errorf("cell %s: the journal's accounts (%s, %s) are not the host's (%s)", e.Cell, t.AdminUser, t.StandardUser, user)
		}
	}
	return nil
}

// warnBasicOverHTTP warns about the hosts whose password an inventory
// lets go over plain HTTP with Basic authentication.
func warnBasicOverHTTP(inv *lab.Inventory, stderr io.Writer) {
	for _, h := range inv.Hosts {
		if h.BasicOverHTTP() {
			fmt.Fprintf(stderr, "warning: host %s: auth basic over plain HTTP (allow_basic_over_http): its password crosses the network in clear\n", h.Name)
		}
	}
}

// revertLogons are the logons a host's revert batches carry: the
// administrator's own (removals in the admin-filtered context) and the
// standard users' whose products a removal takes out in their context.
// A standard user's password is the inventory's (standard_password_env);
// msilab keeps none, so otherwise it sets a fresh random one first
// (user.ensure, which leaves the account a member of Users only).
func revertLogons(ctx context.Context, s lab.Session, ep lab.Endpoint, spec *lab.HostSpec, entries []journal.Entry) ([]ops.Logon, error) {
	logons := []ops.Logon{{User: ep.User, Password: ep.Password}}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Kind != journal.KindInstall || e.Context != ops.ContextStandardUser {
			continue
		}
		user := e.User
		if user == "" {
			user = ops.DefaultStandardUser
		}
		if seen[strings.ToLower(user)] {
			continue
		}
		seen[strings.ToLower(user)] = true
		var hs lab.HostSpec
		if spec != nil && strings.EqualFold(spec.StandardUser, user) {
			hs = *spec
		}
		password, err := runner.StandardPassword(hs)
		if err != nil {
			return nil, err
		}
		if hs.StandardPasswordEnv == "" {
			res, err := s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: user, Password: password})})
			if err != nil {
				return nil, err
			}
			if err := res[0].Decode(nil); err != nil {
				return nil, fmt.Errorf("set %s's password for its removals: %w", user, err)
			}
		}
		logons = append(logons, ops.Logon{User: user, Password: password})
	}
	return logons, nil
}

// revertSnapshots reverts hosts of the lab to their snapshots, in parallel.
func revertSnapshots(ctx context.Context, invPath string, only []string, stdout io.Writer) error {
	hosts, err := doctorHosts(invPath, only, endpointFlags{}, "", "")
	if err != nil {
		return err
	}
	errs := make([]error, len(hosts))
	lines := make([]string, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer h.Close()
			rv, err := h.Revert(ctx)
			if err != nil {
				errs[i] = fmt.Errorf("host %s: %w", h.Spec.Name, err)
				return
			}
			lines[i] = fmt.Sprintf("reverted %s to %s", h.Spec.Name, rv)
		}()
	}
	wg.Wait()
	for _, l := range lines {
		if l != "" {
			fmt.Fprintln(stdout, l)
		}
	}
	return errors.Join(errs...)
}
