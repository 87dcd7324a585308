package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// On a terminal, msilab run keeps a live status line below the cells'
// lines: done/total, pass/fail/infra, the cell on each host, an ETA.
// Checked in a pseudo-terminal; the same run into a pipe-like writer
// stays one plain line per cell.
func TestRunProgressLineInPTY(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 200}); err != nil {
		t.Fatal(err)
	}
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends with EIO once the tty side is closed
		read <- b
	}()
	args := []string{"run", "--os", "win11-24h2,server2022", "--only", "clean-host,service-disabled", "--remediate=false"}
	var stdout bytes.Buffer
	err = run(context.Background(), append(args, "--out", t.TempDir()), &stdout, tty)
	tty.Close()
	raw := string(<-read)
	if err != nil {
		t.Fatalf("msilab run: %v\n%s", err, raw)
	}
	out := strings.ReplaceAll(raw, "\r\n", "\n") // the tty's ONLCR
	cells := regexp.MustCompile(`\[ ?(\d+)/(\d+)\] PASS `).FindAllStringSubmatch(out, -1)
	if len(cells) < 3 {
		t.Fatalf("cell lines: %d\n%q", len(cells), out)
	}
	total := cells[0][2]
	// The status line: redrawn in place (\r, erase line), with its parts.
	status := regexp.MustCompile(`\r\x1b\[K(\d+)/` + total + ` done  (\d+) pass  (\d+) fail  (\d+) infra  ETA (\S+)((?:  \| \S+: \S+)*)`)
	lines := status.FindAllStringSubmatch(out, -1)
	if len(lines) < 2*len(cells) {
		t.Fatalf("%d status lines for %d cells:\n%q", len(lines), len(cells), out)
	}
	var sawHost, sawETA bool
	for _, l := range lines {
		if l[6] != "" && (strings.Contains(l[6], "| win11-24h2: ") || strings.Contains(l[6], "| server2022: ")) {
			sawHost = true
		}
		if l[1] != "0" && l[5] != "?" && regexp.MustCompile(`^\d+(h|m|s|ms)`).MatchString(l[5]) {
			sawETA = true
		}
		if l[1] == "0" && l[5] != "?" {
			t.Errorf("an ETA before any cell is done: %q", l[0])
		}
	}
	if !sawHost || !sawETA {
		t.Errorf("no status line names a host's cell (%v) or gives an ETA (%v):\n%q", sawHost, sawETA, out)
	}
	last := lines[len(lines)-1]
	if last[1] != total || last[2] != total || last[3] != "0" || last[4] != "0" {
		t.Errorf("last status line %q: want %s/%s done, all pass", last[0], total, total)
	}
	// Each cell line starts on a cleared line, and the status line is
	// erased at the end (the matrix and the summary follow on stdout).
	if !strings.Contains(out, "\r\x1b[K[") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("cell lines not drawn over the status line, or the status line left behind:\n%q", out)
	}

	// Not a terminal: one line per cell, no status line.
	var plain bytes.Buffer
	if err := run(context.Background(), append(args, "--out", t.TempDir()), &stdout, &plain); err != nil {
		t.Fatalf("msilab run: %v\n%s", err, plain.String())
	}
	if strings.ContainsAny(plain.String(), "\r\x1b") || strings.Contains(plain.String(), " done  ") {
		t.Errorf("status line on a non-terminal:\n%q", plain.String())
	}
	if n := len(regexp.MustCompile(`(?m)^\[ ?\d+/\d+\] PASS `).FindAllString(plain.String(), -1)); n != len(cells) {
		t.Errorf("non-terminal: %d cell lines, want %d:\n%s", n, len(cells), plain.String())
	}
}
