package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Writer appends CellResults to a JSON Lines file, one synced line per cell.
type Writer struct {
	mu sync.Mutex
	f  *os.File
}

// OpenWriter opens path for appending (keep true) or truncates it.
func OpenWriter(path string, keep bool) (*Writer, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !keep {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return &Writer{f: f}, nil
}

// Append writes one result and syncs it.
func (w *Writer) Append(r CellResult) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return w.f.Sync()
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// Read reads every result of a results.jsonl; a last line cut short by a
// crash is ignored.
func Read(path string) ([]CellResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var out []CellResult
	lines := bytes.Split(data, []byte("\n"))
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var r CellResult
		if err := json.Unmarshal(l, &r); err != nil {
			if i == len(lines)-1 {
				break // the unfinished last line of a crashed run
			}
			return nil, fmt.Errorf("results: %s:%d: %w", path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Finished returns the cells of a results.jsonl that need no rerun: the
// latest result of each cell, unless it was an infrastructure error. A
// missing file has none.
func Finished(path string) (map[string]CellResult, error) {
	all, err := Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]CellResult{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]CellResult{}
	for _, r := range all {
		if r.Status == StatusInfra {
			delete(out, r.ID)
			continue
		}
		out[r.ID] = r
	}
	return out, nil
}
