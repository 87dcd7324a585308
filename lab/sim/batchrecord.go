package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// The simulated twin of the module's batch records (Invoke-MsiLabBatch):
// a batch with an ID runs at most once. Its response is written to
// ops.BatchDir\<ID>.json before it is answered; a resend with the same ID
// gets that response back (Replayed) and runs nothing. A batch whose
// process was killed leaves <ID>.started and no record: a resend answers
// Interrupted and runs nothing. Sends of one ID wait for each other (the
// module takes a named mutex, Global\msilab-batch-<ID>).

// batchSDDL is ops.BatchDir's descriptor: SYSTEM and Administrators only.
const batchSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// batchLocks serialises the sends of each batch ID.
type batchLocks struct {
	mu sync.Mutex
	m  map[string]*batchLock
	// runs counts, per ID, the times its ops ran (BatchRuns).
	runs map[string]int
}

type batchLock struct {
	mu   sync.Mutex
	refs int
}

func (b *batchLocks) lock(id string) func() {
	b.mu.Lock()
	if b.m == nil {
		b.m = map[string]*batchLock{}
	}
	l := b.m[id]
	if l == nil {
		l = &batchLock{}
		b.m[id] = l
	}
	l.refs++
	b.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		b.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(b.m, id)
		}
		b.mu.Unlock()
	}
}

// runRecorded runs a request that forgets records or has an ID. It
// returns nil when the batch was killed (ctx done) before it recorded its
// response: the process died, nothing is answered.
func (h *Host) runRecorded(ctx context.Context, s Session, req ops.Request) (*ops.Response, error) {
	tok, err := h.token(s)
	if err != nil {
		return nil, err
	}
	fs := h.m.FS()
	for _, prefix := range req.Forget {
		if err := ops.CheckBatchID(prefix); err != nil {
			return nil, err
		}
		if err := forgetBatches(fs, tok, prefix); err != nil {
			return nil, err
		}
	}
	resp := &ops.Response{Version: ops.ProtocolVersion}
	if req.ID == "" {
		resp.Results = h.runOps(ctx, s, req)
		return resp, nil
	}
	if err := ops.CheckBatchID(req.ID); err != nil {
		return nil, err
	}
	unlock := h.batches.lock(req.ID)
	defer unlock()
	if err := ensureBatchDir(fs, tok); err != nil {
		return nil, err
	}
	record, started := batchFiles(req.ID)
	if data, err := fs.ReadFile(tok, record); err == nil {
		var rec ops.Response
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, fmt.Errorf("batch record %s: %w", record, err)
		}
		rec.Batch = &ops.BatchStatus{ID: req.ID, Replayed: true}
		return &rec, nil
	}
	if fs.Exists(started) {
		resp.Batch = &ops.BatchStatus{ID: req.ID, Interrupted: true}
		return resp, nil
	}
	if err := fs.WriteFile(tok, started, nil); err != nil {
		return nil, err
	}
	h.batches.ran(req.ID)
	resp.Results = h.runOps(ctx, s, req)
	if ctx.Err() != nil {
		return nil, nil
	}
	resp.Batch = &ops.BatchStatus{ID: req.ID}
	data, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	// A batch that restored the model's snapshot (sim.restore) took the
	// folder and the started marker back to what the snapshot held: its
	// record goes into the restored state, so a resend replays it.
	if err := ensureBatchDir(fs, tok); err != nil {
		return nil, err
	}
	if err := fs.WriteFile(tok, record, data); err != nil {
		return nil, err
	}
	if fs.Exists(started) {
		if err := fs.Remove(tok, started); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// ensureBatchDir creates ops.BatchDir, admin-only, when it is missing.
func ensureBatchDir(fs model.FS, tok *win.Token) error {
	if fs.Exists(ops.BatchDir) {
		return nil
	}
	if err := fs.MkdirAll(tok, ops.BatchDir); err != nil {
		return err
	}
	return fs.SetSDDL(tok, ops.BatchDir, batchSDDL)
}

// batchFiles are a batch ID's record and its started marker.
func batchFiles(id string) (record, started string) {
	return ops.BatchDir + `\` + id + ".json", ops.BatchDir + `\` + id + ".started"
}

// forgetBatches deletes the records and markers whose ID starts with prefix.
func forgetBatches(fs model.FS, tok *win.Token, prefix string) error {
	if !fs.Exists(ops.BatchDir) {
		return nil
	}
	entries, err := fs.ReadDir(tok, ops.BatchDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name
		if i := strings.LastIndexByte(name, '\\'); i >= 0 {
			name = name[i+1:]
		}
		if !strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) {
			continue
		}
		if err := fs.Remove(tok, ops.BatchDir+`\`+name); err != nil {
			return err
		}
	}
	if left, err := fs.ReadDir(tok, ops.BatchDir); err == nil && len(left) == 0 {
		return fs.Remove(tok, ops.BatchDir) // no record left: no folder either
	}
	return nil
}

func (b *batchLocks) ran(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.runs == nil {
		b.runs = map[string]int{}
	}
	b.runs[id]++
}

// BatchRuns is how many times the ops of each batch ID ran on the host
// (records forgotten or not), for tests that show nothing ran twice.
func (h *Host) BatchRuns() map[string]int {
	h.batches.mu.Lock()
	defer h.batches.mu.Unlock()
	out := make(map[string]int, len(h.batches.runs))
	for id, n := range h.batches.runs {
		out[id] = n
	}
	return out
}

// BatchRecords lists the IDs of the batches the host has recorded
// (sorted), for tests that count what ran.
func (h *Host) BatchRecords() []string {
	fs := h.m.FS()
	tok := win.SystemToken()
	entries, err := fs.ReadDir(tok, ops.BatchDir)
	if err != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name, ".json"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}
