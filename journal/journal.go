package journal

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
)

// Journal kinds.
const (
	KindFault   = "fault"   // a fault is about to be injected; Undo is its probe
	KindInstall = "install" // a product is about to be installed; revert removes it
	// KindRemediation: a fix is about to be applied; Ops undo it.
	KindRemediation = "remediation"
	KindDone        = "done" // the cell's cleanup finished: nothing left to revert
	// KindBatch is a batch's outcome: Batch is its ID (the one the entries
	// of its intent name), Outcome "answered" or the error that lost the answer.
	KindBatch = "batch"
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
	// Fix names a remediation entry's fix and FixUndo is its undo data:
	// the fix's own UndoOps rebuild the changes from it (never ops read
	// from the journal).
	Fix     string          `json:"fix,omitempty"`
	FixUndo json.RawMessage `json:"fix_undo,omitempty"`
	// Run is the ID of the run that wrote the entry.
	Run string `json:"run,omitempty"`
	// Batch is the ID of the batch that makes an entry's change (its
	// intent), or whose outcome a batch entry records; the host keeps its
	// answer under that ID (ops.Request.ID) until the run forgets it.
	Batch   string `json:"batch,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

// Journal appends entries to a file, each synced to disk before Append
// returns, so that undo data is safe before the change it undoes is sent.
// Each line carries a keyed hash (HMAC-SHA256) with the journal's key,
// kept beside it (KeyPath, readable by its owner only): Read refuses a
// line that this key did not sign, so a journal edited or written by
// anyone who cannot read the key is never reverted.
type Journal struct {
	mu  sync.Mutex
	f   *os.File
	key []byte
	run string
}

// KeyPath is where a journal's key is kept.
func KeyPath(journal string) string { return journal + ".key" }

// Errors of Read.
var (
	// ErrNoKey: the journal has no key beside it.
	ErrNoKey = errors.New("journal: no key beside the journal: its entries cannot be trusted")
	// ErrTampered: a line's keyed hash does not match it.
	ErrTampered = errors.New("journal: entry not signed by this journal's key (edited, or from another run)")
)

// Open opens (or creates) a journal for appending, with its key (made
// when the journal is new); every entry appended gets a new run ID.
func Open(path string) (*Journal, error) {
	key, err := loadKey(path, true)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: run ID: %w", err)
	}
	return &Journal{f: f, key: key, run: hex.EncodeToString(id)}, nil
}

// loadKey reads a journal's key; create makes one for a journal that
// does not exist yet (an existing journal without a key stays untrusted).
func loadKey(path string, create bool) ([]byte, error) {
	kp := KeyPath(path)
	data, err := os.ReadFile(kp)
	switch {
	case err == nil:
		key, err := hex.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("journal: %s is not a journal key", kp)
		}
		return key, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("journal: %w", err)
	case !create:
		return nil, fmt.Errorf("%w (%s)", ErrNoKey, kp)
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("%w (%s): start a new output folder", ErrNoKey, kp)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("journal: key: %w", err)
	}
	f, err := os.OpenFile(kp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) { // another run made it just now
		return loadKey(path, false)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync() // on disk before any entry it signs
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return key, nil
}

// macField ends every line: ,"mac":"<64 hex digits>"} after the entry's
// JSON object without its closing brace.
const macField = `,"mac":"`

func sign(key, b []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(b)
	return h.Sum(nil)
}

// Append writes e, with the journal's run ID and its keyed hash, and syncs it.
func (j *Journal) Append(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.Run = j.run
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	line := append(b[:len(b)-1:len(b)-1], macField...)
	line = append(line, hex.EncodeToString(sign(j.key, b))...)
	line = append(line, "\"}\n"...)
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Run is the run ID the journal gives its entries; the run's batch IDs
// start with it (ops.BatchID).
func (j *Journal) Run() string { return j.run }

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// Read reads a journal and checks every line against the key beside it.
// A last line cut short by a crash is ignored; any other bad line is an
// error with its number: not JSON, an unknown field (an entry msilab
// does not write, such as a list of ops), or not signed by the key.
func Read(path string) ([]Entry, error) {
	key, err := loadKey(path, false)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var out []Entry
	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, raw := range lines {
		n := i + 1
		line := bytes.TrimSpace(raw)
		if len(line) == 0 {
			continue
		}
		e, err := parseLine(key, line)
		if err != nil {
			if i == len(lines)-1 && !bytes.HasSuffix(raw, []byte("\n")) {
				break // the unfinished last line of a crashed writer
			}
			return nil, fmt.Errorf("journal: %s:%d: %w", path, n, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// parseLine checks a line's keyed hash, then decodes it strictly.
func parseLine(key, line []byte) (Entry, error) {
	var e Entry
	i := bytes.LastIndex(line, []byte(macField))
	if i < 0 || !bytes.HasSuffix(line, []byte(`"}`)) {
		return e, fmt.Errorf("%w: no keyed hash", ErrTampered)
	}
	mac, err := hex.DecodeString(string(line[i+len(macField) : len(line)-2]))
	if err != nil {
		return e, fmt.Errorf("%w: keyed hash is not hex", ErrTampered)
	}
	body := append(line[:i:i], '}')
	if !hmac.Equal(mac, sign(key, body)) {
		return e, ErrTampered
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, err
	}
	return e, nil
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
		if err := checkEntry(e); err != nil {
			return nil, err
		}
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
			undo, err := remediation.UndoOps(e.Fix, e.Target, e.FixUndo)
			if err != nil {
				return nil, fmt.Errorf("journal: undo %w", err)
			}
			batch = append(batch, undo...)
		case KindFault:
			f, err := faultOf(e)
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

// RevertProofOps splits RevertOps's batch around the proof reads
// (ProofOps): the first removal of the products, the fixes' undo and the
// faults' reverts, then the proof, then the removal again. A fault's undo
// data was read with the cell's products in place (an uninstall cell
// installs its product before its faults), so the proof is read before
// that last removal; where the first removal succeeded it finds nothing.
func RevertProofOps(entries []Entry) (revert, proof, remove []ops.Op, err error) {
	batch, err := RevertOps(entries)
	if err != nil {
		return nil, nil, nil, err
	}
	if proof, err = ProofOps(entries); err != nil {
		return nil, nil, nil, err
	}
	k := 0 // RevertOps puts the removals first, and again last when it reverts anything
	for k < len(batch) && batch[k].Name == ops.OpMsiUninstall {
		k++
	}
	if len(batch) == k {
		return batch, proof, nil, nil
	}
	return batch[:len(batch)-k], proof, batch[len(batch)-k:], nil
}

// ErrEntry is wrapped when an entry is not one msilab writes.
var ErrEntry = errors.New("journal: invalid entry")

var productGUID = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)

// checkEntry checks the fields of an entry that RevertOps acts on against
// what the runner writes for its kind.
func checkEntry(e Entry) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: cell %s: %s entry: %s", ErrEntry, e.Cell, e.Kind, fmt.Sprintf(format, a...))
	}
	if !slices.Contains(ops.Contexts, e.Target.Context) {
		return bad("unknown install context %q", e.Target.Context)
	}
	switch e.Kind {
	case KindInstall:
		if !productGUID.MatchString(e.Product) {
			return bad("product %q is not a ProductCode", e.Product)
		}
		if e.Context != "" && !slices.Contains(ops.Contexts, e.Context) {
			return bad("unknown context %q", e.Context)
		}
		if e.User != "" && !strings.EqualFold(e.User, e.Target.StandardUser) {
			return bad("user %q is not the host's standard user", e.User)
		}
	case KindFault, KindRemediation, KindDone, KindBatch:
	default:
		return bad("unknown kind")
	}
	return nil
}

// faultOf makes a fault entry's fault (its parameters checked) and checks
// its undo data against the fault's own probe.
func faultOf(e Entry) (faults.Fault, error) {
	f, err := faults.Decode(e.Fault, e.Params)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEntry, err)
	}
	if err := faults.CheckUndo(f, e.Target, e.Undo); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrEntry, e.Fault, err)
	}
	return f, nil
}

// ProofOps are the reads that show whether the faults of entries are
// reverted: each fault's own probe, read again. CheckProof compares them
// with the journaled undo data, the state before the fault.
func ProofOps(entries []Entry) ([]ops.Op, error) {
	var out []ops.Op
	for _, e := range entries {
		if e.Kind != KindFault {
			continue
		}
		f, err := faultOf(e)
		if err != nil {
			return nil, err
		}
		out = append(out, proofOf(f, e)...)
	}
	return out, nil
}

// proofOf is one fault's probe, with the follow-up reads its undo data names.
func proofOf(f faults.Fault, e Entry) []ops.Op {
	p := f.Probe(e.Target)
	if fp, ok := f.(faults.FollowUpProber); ok && len(e.Undo) > len(p) {
		more, err := fp.ProbeFollowUp(e.Target, e.Undo[:len(p)])
		if err == nil {
			p = append(p, more...)
		}
	}
	return p
}

// ErrNotBack is wrapped by CheckProof: the host is not as it was before.
var ErrNotBack = errors.New("journal: the host is not back to its state before the faults")

// CheckProof compares the results of ProofOps with the undo data: a
// service's run state aside, and descriptors by the rights they grant.
func CheckProof(entries []Entry, results []ops.Result) error {
	var diffs []string
	k := 0
	for _, e := range entries {
		if e.Kind != KindFault {
			continue
		}
		f, err := faultOf(e)
		if err != nil {
			return err
		}
		proof := proofOf(f, e)
		if pb, ok := f.(faults.ProductBound); ok { // the fault compares: the cell may have removed the product since
			if k+len(proof) > len(results) {
				return fmt.Errorf("%w: %d results for the proof", ErrNotBack, len(results))
			}
			if d := pb.Unchanged(e.Target, e.Undo, faults.Probe(results[k:k+len(proof)])); d != "" {
				diffs = append(diffs, e.Fault+": "+d)
			}
			k += len(proof)
			continue
		}
		for i, op := range proof {
			if k >= len(results) {
				return fmt.Errorf("%w: %d results for the proof", ErrNotBack, len(results))
			}
			was, now := StateValue(op, e.Undo[i]), StateValue(op, results[k])
			if was != now {
				diffs = append(diffs, fmt.Sprintf("%s %s: was %s, now %s", op.Name, op.Args, was, now))
			}
			k++
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w: %s", ErrNotBack, strings.Join(diffs, "; "))
	}
	return nil
}

// StateValue renders a read's result for comparing states, by meaning as
// the runner's baseline does (remediation.StateValue): a service's
// configuration without its run state and PID (Windows starts msiserver on
// demand and stops it when idle), a descriptor by the rights it grants
// (win.Meaning), a failed read by its error code.
func StateValue(op ops.Op, r ops.Result) string {
	if !r.OK && r.Error == nil {
		return "error"
	}
	return remediation.StateValue(op.Name, r)
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
