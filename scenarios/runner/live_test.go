package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/scenarios/results"
)

// The ETA is the elapsed time per finished cell times the cells left; the
// status line lists the cell on each host, sorted by host, and is cut to
// the terminal's width.
func TestLiveStatusLine(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	l := newLive(&buf, 0, 10, func() time.Time { return now })
	l.started("win11-a", "clean-host/win11-24h2/admin-elevated")
	l.started("srv22-a", "mutex-held/server2022/system")
	if got := l.status(); got != "0/10 done  0 pass  0 fail  0 infra  ETA ?  | srv22-a: mutex-held/server2022/system  | win11-a: clean-host/win11-24h2/admin-elevated" {
		t.Errorf("status = %q", got)
	}
	now = now.Add(30 * time.Second)
	l.finished(results.CellResult{Status: results.StatusPass}, "[1/10] PASS ...")
	l.stopped("win11-a")
	now = now.Add(30 * time.Second)
	l.finished(results.CellResult{Status: results.StatusFail}, "[2/10] FAIL ...")
	l.finished(results.CellResult{Status: results.StatusInfra}, "[3/10] INFRA ...")
	// 60 s for 3 cells, 7 left: 140 s.
	if got := l.status(); got != "3/10 done  1 pass  1 fail  1 infra  ETA 2m20s  | srv22-a: mutex-held/server2022/system" {
		t.Errorf("status = %q", got)
	}
	if !strings.Contains(buf.String(), "\r\x1b[K[2/10] FAIL ...\n") {
		t.Errorf("cell line not printed on a cleared line: %q", buf.String())
	}
	l.width = 20
	l.draw()
	if i := strings.LastIndex(buf.String(), "\r\x1b[K"); len([]rune(buf.String()[i+4:])) != 19 {
		t.Errorf("status line not cut to the width: %q", buf.String()[i:])
	}
}
