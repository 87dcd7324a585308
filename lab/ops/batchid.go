package ops

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// BatchDir is where a host records the responses of batches with an ID
// (Request.ID), one file per ID: <ID>.json once the batch has answered,
// <ID>.started while it runs. SYSTEM and Administrators only, as StagingDir.
const BatchDir = `C:\ProgramData\msilab\batches`

// BatchStatus is how the host handled a batch with an ID.
type BatchStatus struct {
	ID string `json:"id"`
	// Replayed: the batch had run already; Results are its recorded ones
	// and no op ran this time.
	Replayed bool `json:"replayed,omitempty"`
	// Interrupted: an earlier send of the batch started and never
	// finished (its process was killed): no op ran this time, and what the
	// earlier one changed is unknown. The caller must reconcile the host.
	Interrupted bool `json:"interrupted,omitempty"`
}

// batchIDPattern is what a batch ID may hold: it names files on the host.
var batchIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]{0,149}$`)

// CheckBatchID reports whether id can name a batch record (an ID prefix
// of Request.Forget too).
func CheckBatchID(id string) error {
	if !batchIDPattern.MatchString(id) || strings.Contains(id, "..") {
		return fmt.Errorf("ops: batch ID %q: want 1 to 150 of A-Z a-z 0-9 . _ ~ -, starting with a letter or digit, no '..'", id)
	}
	return nil
}

// BatchID names one send of a lifecycle step: the run, the cell, the
// step and the cell's attempt. A cell ID longer than fits is replaced by
// a hash of it.
func BatchID(run, cell, step string, attempt int) string {
	c := strings.NewReplacer("/", "~", `\`, "~", ":", "~", " ", "~").Replace(cell)
	if len(c) > 80 || CheckBatchID("x"+c) != nil {
		sum := sha256.Sum256([]byte(cell))
		c = hex.EncodeToString(sum[:12])
	}
	return fmt.Sprintf("%s_%s_%s_a%d", run, c, step, attempt)
}

// BatchInterruptedError is a batch whose earlier send started on the host
// and never finished: nothing is known of what it changed.
type BatchInterruptedError struct{ ID string }

func (e *BatchInterruptedError) Error() string {
	return fmt.Sprintf("ops: batch %s was interrupted on the host (started, never finished): its changes are unknown", e.ID)
}

// ResponseError is a batch response that arrived incomplete or garbled
// (not JSON, too few results): the batch may or may not have run.
type ResponseError struct{ Err error }

func (e *ResponseError) Error() string { return "ops: incomplete batch response: " + e.Err.Error() }

func (e *ResponseError) Unwrap() error { return e.Err }

// EncodeBatch is EncodeRequest for a request with more than ops and
// logons (an ID, records to forget): its version and module hash are set.
func EncodeBatch(req Request) ([]byte, error) {
	if req.ID != "" {
		if err := CheckBatchID(req.ID); err != nil {
			return nil, err
		}
	}
	for _, p := range req.Forget {
		if err := CheckBatchID(p); err != nil {
			return nil, err
		}
	}
	req.Version, req.ModuleSHA256 = ProtocolVersion, ModuleSHA256
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ops: encode batch: %w", err)
	}
	return asciiJSON(b), nil
}
