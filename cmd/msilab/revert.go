package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/msilab/msilab/win"
	"io"
	"sort"
	"sync"

	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
)

const revertUsage = `Usage:
  msilab revert --journal FILE [--lab lab.yaml | endpoint flags]
  msilab revert --snapshot --lab lab.yaml [--host NAME,...]

Restores hosts left changed by a run that was killed: for every cell the
journal has not marked done, reverts its faults from the journaled undo
data (newest first) and removes the product it installed, then marks the
cell done. Running it again finds nothing to do.

With --snapshot, reverts the lab's hosts (or those --host names) to their
clean snapshot with their snapshot driver, powers them on and waits until
WinRM answers, and says how long each took.
`

func revertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab revert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, revertUsage); fs.PrintDefaults() }
	journalPath := fs.String("journal", "", "the run's journal.jsonl")
	invPath := fs.String("lab", "", "lab inventory naming the journal's hosts")
	snapshot := fs.Bool("snapshot", false, "revert the lab's hosts to their snapshot (needs --lab)")
	only := fs.String("host", "", "with --snapshot: only these hosts, comma-separated")
	var ef endpointFlags
	ef.register(fs)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
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
	entries, err := journal.Read(*journalPath)
	if err != nil {
		return err
	}
	pending := journal.Pending(entries)
	if len(pending) == 0 {
		fmt.Fprintln(stdout, "nothing to revert: every cell in the journal is done")
		return nil
	}
	var inv *lab.Inventory
	if *invPath != "" {
		if inv, err = lab.LoadInventory(*invPath, win.ProfileNames()); err != nil {
			return err
		}
	}
	j, err := journal.Open(*journalPath)
	if err != nil {
		return err
	}
	defer j.Close()
	hosts := make([]string, 0, len(pending))
	for h := range pending {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var errs []error
	for _, name := range hosts {
		if err := revertHost(ctx, name, pending[name], inv, ef, j, stdout); err != nil {
			errs = append(errs, fmt.Errorf("host %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// revertHost reverts one host's pending cells, one batch per cell, newest cell first.
func revertHost(ctx context.Context, name string, entries []journal.Entry, inv *lab.Inventory, ef endpointFlags, j *journal.Journal, stdout io.Writer) error {
	ep, err := hostEndpoint(name, entries[0].Endpoint, inv, ef)
	if err != nil {
		return err
	}
	s, err := lab.Dial(ctx, ep)
	if err != nil {
		return err
	}
	defer s.Close()
	byCell := map[string][]journal.Entry{}
	var order []string
	for _, e := range entries {
		if _, ok := byCell[e.Cell]; !ok {
			order = append(order, e.Cell)
		}
		byCell[e.Cell] = append(byCell[e.Cell], e)
	}
	for i := len(order) - 1; i >= 0; i-- {
		cell := order[i]
		batch, err := journal.RevertOps(byCell[cell])
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			res, err := s.RunBatch(ctx, batch)
			if err != nil {
				return err
			}
			if err := journal.CheckRevert(res); err != nil {
				return fmt.Errorf("cell %s: %w", cell, err)
			}
		}
		if err := j.Append(journal.Entry{Kind: journal.KindDone, Cell: cell, Host: name}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reverted %s on %s (%d ops)\n", cell, name, len(batch))
	}
	return nil
}

// hostEndpoint finds how to reach a journal's host: the inventory entry of
// that name, or the journaled URL with the endpoint flags' credentials.
func hostEndpoint(name, url string, inv *lab.Inventory, ef endpointFlags) (lab.Endpoint, error) {
	if inv != nil {
		for _, h := range inv.Hosts {
			if h.Name == name {
				return h.Connect()
			}
		}
		return lab.Endpoint{}, fmt.Errorf("not in %s", inv.File)
	}
	if ef.endpoint == "" {
		ef.endpoint = url
	}
	return ef.toEndpoint()
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
