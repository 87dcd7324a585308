package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// Lab is a prepared lab for driving cells step by step, as the Ginkgo
// suites do: packages loaded, hosts prepared, a journal open.
type Lab struct {
	r *run
}

// NewLab prepares the pool's hosts for cells (the lab user, the packages,
// the clean snapshot). The journal is opts.Out/journal.jsonl.
func NewLab(ctx context.Context, pool *lab.Pool, cells []scenarios.Cell, opts Options) (*Lab, error) {
	if opts.Out == "" {
		opts.Out = "msilab-out"
	}
	if opts.CellTimeout <= 0 {
		opts.CellTimeout = defaultCellTimeout
	}
	if err := checkRevert(&opts, pool); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	r := &run{opts: opts, pool: pool, hosts: map[*lab.Host]*hostInfo{}, packages: map[string]*pkgInfo{}}
	var err error
	if r.journal, err = journal.Open(filepath.Join(opts.Out, "journal.jsonl")); err != nil {
		return nil, err
	}
	if err := r.loadPackages(cells); err != nil {
		r.journal.Close()
		return nil, err
	}
	r.prepare(ctx, cells)
	return &Lab{r: r}, nil
}

// Begin leases a host for the cell and reverts it to its clean snapshot.
// release returns the host to the pool; call it once, after Cleanup. A
// cell that cannot run on the lab's hosts returns a nil CellRun and its
// result with status skipped, and holds no host: its release does nothing.
// On an error, Begin holds no host and release is nil.
func (l *Lab) Begin(ctx context.Context, c scenarios.Cell) (cr *CellRun, res *results.CellResult, release func(), err error) {
	if why := l.r.refusal(c.Host.OS); why != "" {
		return nil, nil, nil, errors.New(why)
	}
	host, err := l.r.pool.Lease(ctx, c.Host.OS)
	if err != nil {
		return nil, nil, nil, err
	}
	release = func() { l.r.pool.Release(host) }
	res = &results.CellResult{ID: c.ID, Scenario: c.Scenario.Name, OS: c.Host.OS, Context: c.Context,
		Host: host.Spec.Name, Expected: expected(c), Attempts: 1}
	cr, err = l.r.begin(ctx, host, c, res)
	if err != nil {
		release()
		return nil, res, nil, err
	}
	if cr == nil { // skipped: the host is not needed
		release()
		release = func() {}
	}
	return cr, res, release, nil
}

// Close has the hosts forget the lab's batch records, returns refused
// hosts to the pool and closes the journal.
func (l *Lab) Close() error {
	l.r.forgetBatches(context.Background())
	l.r.giveBack()
	return l.r.journal.Close()
}
