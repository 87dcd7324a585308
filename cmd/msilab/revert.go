package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios/runner"
	"github.com/msilab/msilab/win"
)

const revertUsage = `Usage:
  msilab revert --journal FILE [--lab lab.yaml | endpoint flags]

Restores hosts left changed by a run that was killed: for every cell the
journal has not marked done, reverts its faults from the journaled undo
data (newest first) and removes the product it installed, then marks the
cell done. Running it again finds nothing to do.
`

func revertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab revert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), revertUsage); fs.PrintDefaults() }
	journalPath := fs.String("journal", "", "the run's journal.jsonl")
	invPath := fs.String("lab", "", "lab inventory naming the journal's hosts")
	var ef endpointFlags
	ef.register(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
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
	ep, spec, err := hostEndpoint(name, entries[0].Endpoint, inv, ef)
	if err != nil {
		return err
	}
	s, err := lab.Dial(ctx, ep)
	if err != nil {
		return err
	}
	defer s.Close()
	logons, err := revertLogons(ctx, s, ep, spec, entries)
	if err != nil {
		return err
	}
	ctx = lab.WithLogons(ctx, logons...)
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
// that name (also returned), or the journaled URL with the endpoint flags'
// credentials.
func hostEndpoint(name, url string, inv *lab.Inventory, ef endpointFlags) (lab.Endpoint, *lab.HostSpec, error) {
	if inv != nil {
		for i, h := range inv.Hosts {
			if h.Name == name {
				ep, err := h.Connect()
				return ep, &inv.Hosts[i], err
			}
		}
		return lab.Endpoint{}, nil, fmt.Errorf("not in %s", inv.File)
	}
	if ef.endpoint == "" {
		ef.endpoint = url
	}
	ep, err := ef.toEndpoint()
	return ep, nil, err
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
