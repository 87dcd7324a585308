package runner

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msilab/msilab/scenarios/results"
)

// live is the progress display on a terminal: each finished cell's line
// scrolls up as on any output, and one status line stays below them,
// redrawn in place: cells done out of the total, pass, fail and infra
// counts, the cell in progress on each host, and an ETA from the pace of
// the cells done so far.
type live struct {
	mu      sync.Mutex
	w       io.Writer
	width   int // the terminal's columns (0: unknown, no cut)
	now     func() time.Time
	start   time.Time
	total   int
	done    int
	counts  map[string]int
	running map[string]string // host -> cell ID
	drawn   bool
}

func newLive(w io.Writer, width, total int, now func() time.Time) *live {
	if now == nil {
		now = time.Now
	}
	return &live{w: w, width: width, now: now, start: now(), total: total, counts: map[string]int{}, running: map[string]string{}}
}

// started notes that host began the cell.
func (l *live) started(host, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running[host] = id
	l.draw()
}

// stopped notes that host is free again.
func (l *live) stopped(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.running, host)
	l.draw()
}

// finished prints a finished cell's line above the status line.
func (l *live) finished(res results.CellResult, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done++
	l.counts[res.Status]++
	fmt.Fprint(l.w, "\r\x1b[K"+line+"\n")
	l.drawn = false
	l.draw()
}

// close erases the status line.
func (l *live) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drawn {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.drawn = false
	}
}

// status is the status line's text.
func (l *live) status() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d done  %d pass  %d fail  %d infra", l.done, l.total,
		l.counts[results.StatusPass], l.counts[results.StatusFail], l.counts[results.StatusInfra])
	if n := l.counts[results.StatusSkip]; n > 0 {
		fmt.Fprintf(&b, "  %d skipped", n)
	}
	b.WriteString("  ETA ")
	b.WriteString(l.eta())
	hosts := make([]string, 0, len(l.running))
	for h := range l.running {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	for _, h := range hosts {
		fmt.Fprintf(&b, "  | %s: %s", h, l.running[h])
	}
	return b.String()
}

// eta extrapolates the time left from the cells done so far: the elapsed
// time per finished cell, times the cells left ("?" before the first).
func (l *live) eta() string {
	if l.done == 0 {
		return "?"
	}
	left := l.total - l.done
	d := time.Duration(float64(l.now().Sub(l.start)) / float64(l.done) * float64(left))
	if d < time.Second {
		return "0s"
	}
	return d.Round(time.Second).String()
}

func (l *live) draw() {
	s := l.status()
	if l.width > 1 {
		if r := []rune(s); len(r) > l.width-1 {
			s = string(r[:l.width-2]) + "…"
		}
	}
	fmt.Fprint(l.w, "\r\x1b[K"+s)
	l.drawn = true
}
