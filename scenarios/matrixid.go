package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// MatrixID identifies a matrix: a SHA-256 of its cells' IDs and their
// scenario files' SHA-256, in ID order. The shards of one matrix expand
// from the same matrix, so they share it; another scenario set, another
// version of a scenario file, or other OS profiles or filters give
// another ID.
func MatrixID(cells []Cell) string {
	lines := make([]string, len(cells))
	for i, c := range cells {
		lines[i] = c.ID + "\t" + c.Scenario.SHA256 + "\n"
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil))
}
