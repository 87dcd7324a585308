package sim

import "sync"

// CommandRecord is how a client started one command: its command line and
// the WINRS_CONSOLEMODE_STDIN option of its Command request ("" when the
// request had none). Windows accepts TRUE (stdin is a console) and FALSE
// (a pipe) (D: MS-WSMV, docs/evidence.md#E-winrm-stdin); the simulated
// host runs the command the same either way and records which it got, so
// that tests can pin what msilab sends.
type CommandRecord struct {
	Line             string
	ConsoleModeStdin string
}

// maxCommandRecords bounds the record: a long-running host keeps the newest.
const maxCommandRecords = 256

type commandLog struct {
	mu      sync.Mutex
	records []CommandRecord
}

func (l *commandLog) add(r CommandRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.records) == maxCommandRecords {
		l.records = append(l.records[:0], l.records[1:]...)
	}
	l.records = append(l.records, r)
}

// Commands returns the newest commands started on the host (up to 256), oldest first.
func (h *Host) Commands() []CommandRecord {
	h.commands.mu.Lock()
	defer h.commands.mu.Unlock()
	return append([]CommandRecord(nil), h.commands.records...)
}
