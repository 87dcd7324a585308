package ops

// Snapshots of a simulated host's whole model. Real hosts are reverted by
// their hypervisor's snapshot driver; there these ops fail with NotSupported.
const (
	OpSimSnapshot = "sim.snapshot"
	OpSimRestore  = "sim.restore"
)

// SnapshotArgs names a snapshot.
type SnapshotArgs struct {
	Name string `json:"name"`
}

// Snapshot is a saved state and the digest of the state it holds.
type Snapshot struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// SnapshotRestored is what sim.restore returns: the digest before and after.
type SnapshotRestored struct {
	Name         string `json:"name"`
	DigestBefore string `json:"digest_before"`
	Digest       string `json:"digest"`
}
