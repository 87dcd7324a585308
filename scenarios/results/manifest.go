package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FileManifest is the run's manifest in its output directory, beside
// results.jsonl: what a merge of shards checks before combining them.
const FileManifest = "run.json"

// Manifest says which run wrote an output directory: the msilab version,
// the matrix (before sharding) and the shard of it that ran.
type Manifest struct {
	ToolVersion string `json:"tool_version"`
	// Matrix identifies the whole matrix before sharding: a SHA-256 of its
	// cells' IDs and their scenarios' SHA-256 (MatrixID). MatrixCells is
	// how many cells it has.
	Matrix      string `json:"matrix"`
	MatrixCells int    `json:"matrix_cells"`
	// Shard is "i/n" ("" for the whole matrix); Cells are the IDs this
	// run was given.
	Shard string   `json:"shard,omitempty"`
	Cells []string `json:"cells"`
	Lab   string   `json:"lab,omitempty"`
	// Started and Duration are the run's.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// Quarantined are the hosts the run took out of service, and why.
	Quarantined map[string]string `json:"quarantined,omitempty"`
}

// WriteManifest writes dir/run.json.
func WriteManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileManifest), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// ErrNoManifest is returned by ReadManifest for a directory without run.json.
var ErrNoManifest = errors.New("results: no run.json (not an msilab run's output directory)")

// ReadManifest reads dir/run.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, FileManifest))
	if errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("%s: %w", dir, ErrNoManifest)
	}
	if err != nil {
		return m, fmt.Errorf("results: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("results: %s: %w", filepath.Join(dir, FileManifest), err)
	}
	return m, nil
}
