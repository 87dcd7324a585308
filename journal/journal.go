package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// Journal kinds.
const (
	KindFault   = "fault"   // a fault is about to be injected; Undo is its probe
	KindInstall = "install" // a product is about to be installed; revert removes it
	// KindRemediation: a fix is about to be applied; Ops undo it.
	KindRemediation = "remediation"
	KindDone        = "done" // the cell's cleanup finished: nothing left to revert
)

// Entry is one line of the journal.
type Entry struct {
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	Cell string    `json:"cell"`
	// Host is the inventory host name; Endpoint its URL (no credentials).
	Host     string          `json:"host"`
	Endpoint string          `json:"endpoint,omitempty"`
	Target   faults.Target   `json:"target"`
	Fault    string          `json:"fault,omitempty"`
	Params   json.RawMessage `json:"params,omitempty"`
	Undo     faults.Probe    `json:"undo,omitempty"`
	// Product is the ProductCode an install entry leaves behind; Context
	// and User say how to remove it ("" is the elevated admin, as for a
	// per-machine product).
	Product string `json:"product,omitempty"`
	Context string `json:"context,omitempty"`
	User    string `json:"user,omitempty"`
	// Ops undo a remediation entry's fix.
	Ops []ops.Op `json:"ops,omitempty"`
}

// Journal appends entries to a file, each synced to disk before Append
// returns, so that undo data is safe before the change it undoes is sent.
type Journal struct {
	mu sync.Mutex
	f  *os.File
}

// Open opens (or creates) a journal for appending.
func Open(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: : %w", err)
	}
	return &Journal{f: f}, nil
}

// Append writes e and syncs it.
func (j *Journal) Append(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: : %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal: : %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: : %w", err)
	}
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// Read reads a journal. A last line cut short by a crash is ignored;
// any other bad line is an error with its number.
func Read(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("journal: : %w", err)
	}
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			if !bytes.HasSuffix(data, []byte("\n")) && n == bytes.Count(data, []byte("\n"))+1 {
				break // the unfinished last line of a crashed writer
			}
			return nil, fmt.Errorf("journal:  %s:%d: %w", path, n, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// Pending groups the entries of cells that have no done entry, by host,
// in journal order.
func Pending(entries []Entry) map[string][]Entry {
	done := map[string]bool{}
	for _, e := range entries {
		if e.Kind == KindDone {
			done[e.Cell] = true
		}
	}
	out := map[string][]Entry{}
	for _, e := range entries {
		if !done[e.Cell] && e.Kind != KindDone {
			out[e.Host] = append(out[e.Host], e)
		}
	}
	return out
}

// RevertOps is the batch that undoes entries: any product installed is
// removed (as it was installed), then the fixes of a remediation are
// undone and the faults reverted, newest first, then the product is removed
// again. A product installed on a broken host may be removable only once
// the faults are gone; a fault may revert only once the product and the
// fixes are gone (a recreated C:\Windows\Installer holding the cached
// package, say). CheckRevert judges the last removal.
func RevertOps(entries []Entry) ([]ops.Op, error) {
	var remove []ops.Op
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Kind != KindInstall || e.Product == "" || seen[e.Product+"|"+e.Context] {
			continue
		}
		seen[e.Product+"|"+e.Context] = true
		op, err := ops.New(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: e.Product, Context: e.Context, User: e.User})
		if err != nil {
			return nil, err
		}
		remove = append(remove, op)
	}
	batch := append([]ops.Op(nil), remove...)
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		switch e.Kind {
		case KindRemediation:
			batch = append(batch, e.Ops...)
		case KindFault:
			f, err := faults.Decode(e.Fault, e.Params)
			if err != nil {
				return nil, err
			}
			revert, err := f.Revert(e.Target, e.Undo)
			if err != nil {
				return nil, fmt.Errorf("journal: revert %s: %w", e.Fault, err)
			}
			batch = append(batch, revert...)
		}
	}
	if len(batch) > len(remove) { // the host changed: remove again
		batch = append(batch, remove...)
	}
	return batch, nil
}

// ErrRevert is wrapped by CheckRevert's errors.
var ErrRevert = errors.New("journal: revert incomplete")

// CheckRevert checks the results of a RevertOps batch: an op that failed
// with NotFound was already reverted; a product's last removal must exit 0
// or 1605 (not installed); an earlier one may fail (a fault was in the way).
func CheckRevert(results []ops.Result) error {
	var errs []error
	last := map[string]int{} // product -> index of its last removal
	for i, r := range results {
		if r.Op == ops.OpMsiUninstall {
			last[uninstallTarget(r)] = i
		}
	}
	for i, r := range results {
		if r.Op == ops.OpMsiUninstall {
			if last[uninstallTarget(r)] != i {
				continue
			}
			var run ops.MsiRun
			if err := r.Decode(&run); err != nil {
				errs = append(errs, fmt.Errorf("%w: %v", ErrRevert, err))
			} else if run.ExitCode != 0 && run.ExitCode != 1605 {
				errs = append(errs, fmt.Errorf("%w: msi.uninstall exited %d", ErrRevert, run.ExitCode))
			}
			continue
		}
		if !r.OK && (r.Error == nil || r.Error.Code != ops.CodeNotFound) {
			errs = append(errs, fmt.Errorf("%w: %v", ErrRevert, r.Decode(nil)))
		}
	}
	return errors.Join(errs...)
}

var productCode = regexp.MustCompile(`\{[0-9A-Fa-f-]{36}\}`)

// uninstallTarget is the product a removal's result names.
func uninstallTarget(r ops.Result) string {
	var run ops.MsiRun
	if r.Decode(&run) == nil {
		return strings.ToUpper(productCode.FindString(run.CommandLine))
	}
	return ""
}
