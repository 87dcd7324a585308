package sim

import (
	"strings"
	"time"

	"github.com/msilab/msilab/lab/ops"
)

func init() {
	registerOp(ops.OpHostLicense, typed(nil, func(c opCall, _ noArgs) (any, error) {
		l := c.h.License()
		l.ReadAt = c.h.m.Now().UTC().Format(time.RFC3339)
		return l, nil
	}))
}

// DefaultLicense is the licence a simulated host of profile p reports
// until SetLicense: a retail licence, activated, for the profile's
// edition; an evaluation edition (EditionID ending in Eval) reports a
// time-based evaluation licence with its days left from the profile's
// clock start (90 for clients, 180 for servers; R: Evaluation Center).
// The licence is not part of the model's state: a snapshot revert does
// not give an evaluation its time back, which runs on the real clock (G).
func DefaultLicense(editionID, edition string, start time.Time) ops.HostLicense {
	l := ops.HostLicense{
		Name:        "Windows(R), " + editionID + " edition",
		Description: "Windows(R) Operating System, RETAIL channel",
		Channel:     "Retail",
		Status:      "Licensed",
	}
	if strings.HasSuffix(editionID, "Eval") {
		days := 90
		if edition == "server" {
			days = 180
		}
		l.Description = "Windows(R) Operating System, TIMEBASED_EVAL channel"
		l.Channel = "Retail:TB:Eval"
		l.Evaluation = true
		l.GraceMinutes = int64(days) * 24 * 60
		l.EvaluationEnd = start.UTC().Add(time.Duration(days) * 24 * time.Hour).Format(time.RFC3339)
	}
	return l
}

// License is what host.license reports.
func (h *Host) License() ops.HostLicense {
	h.licenseMu.Lock()
	defer h.licenseMu.Unlock()
	if h.license != nil {
		return *h.license
	}
	p := h.Profile()
	return DefaultLicense(p.EditionID, string(p.Edition), p.ClockStart)
}

// SetLicense makes host.license report l (ReadAt is set at each read).
func (h *Host) SetLicense(l ops.HostLicense) {
	h.licenseMu.Lock()
	defer h.licenseMu.Unlock()
	h.license = &l
}
