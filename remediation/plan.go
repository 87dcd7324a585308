package remediation

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// Step is one fix planned for one finding. The steps of a finding are
// alternatives, tried in order until the finding no longer holds; a step
// whose verification fails is rolled back before the next one.
type Step struct {
	Fix     string `json:"fix"`
	Finding string `json:"finding"`
	Summary string `json:"summary"`
	Risk    Risk   `json:"risk"`
	// RiskReason says why (the fix's Info).
	RiskReason string `json:"risk_reason"`
	// Ops are the changes; Undo the data that undoes them, taken from the
	// state before (what a run journals), and Rollback the changes the
	// fix's UndoOps rebuilds from it.
	Ops      []ops.Op        `json:"ops,omitempty"`
	Undo     json.RawMessage `json:"undo,omitempty"`
	Rollback []ops.Op        `json:"rollback,omitempty"`
	// RunAs is the install context to rerun the install in ("" = unchanged).
	RunAs string `json:"run_as,omitempty"`
	// Wait is true for a fix that waits for the host (Options.MutexWait).
	Wait bool   `json:"wait,omitempty"`
	Note string `json:"note,omitempty"`
	// PowerShell is what Ops run on a real host (PowerShell(Ops)), and
	// RollbackPowerShell what Rollback runs; "" when there are none.
	PowerShell         string `json:"powershell,omitempty"`
	RollbackPowerShell string `json:"rollback_powershell,omitempty"`
}

// Plan lists the steps for findings, in their order (Diagnose sorts them
// by confidence), each finding's fixes in its own order (least invasive
// first); a fix that does not apply to the host is left out, and a fix is
// planned once, for the first finding that needs it.
func Plan(findings []Finding, st *HostState) []Step {
	var out []Step
	seen := map[string]bool{}
	for _, f := range findings {
		for _, name := range f.Fixes {
			if seen[name] {
				continue
			}
			step, ok, err := planStep(name, f, st)
			if err != nil || !ok {
				continue
			}
			seen[name] = true
			out = append(out, step)
		}
	}
	return out
}

// planStep makes the step of one fix for one finding from the state; ok
// is false when the fix does not apply.
func planStep(name string, f Finding, st *HostState) (Step, bool, error) {
	info, err := Lookup(name)
	if err != nil {
		return Step{}, false, err
	}
	fix := info.New()
	if !fix.Applies(st, f) {
		return Step{}, false, nil
	}
	change, err := fix.Ops(st, f)
	if err != nil {
		return Step{}, false, err
	}
	data, err := fix.Undo(st)
	if err != nil {
		return Step{}, false, err
	}
	undo, err := fix.UndoOps(st.Target, data)
	if err != nil {
		return Step{}, false, fmt.Errorf("remediation: %s: %w", name, err)
	}
	s := Step{Fix: name, Finding: f.ID, Summary: info.Summary, Risk: info.Risk, RiskReason: info.RiskReason,
		Ops: change, Undo: data, Rollback: undo}
	if r, ok := fix.(RunAser); ok {
		s.RunAs = r.RunAs(st, f)
	}
	if _, ok := fix.(Waiter); ok {
		s.Wait = true
	}
	if n, ok := fix.(Noter); ok {
		s.Note = n.Note(st, f)
	}
	if len(change) > 0 {
		s.PowerShell = PowerShell(change)
	}
	if len(undo) > 0 {
		s.RollbackPowerShell = PowerShell(undo)
	}
	return s, true, nil
}

// stdinLine is the line of the batch script that reads the request.
const stdinLine = `$request = [Console]::In.ReadToEnd() | ConvertFrom-Json`

// PowerShell renders the exact PowerShell a real host runs for a batch of
// ops: the batch script (ops.BatchScript, which a session sends as
// `powershell.exe ... -EncodedCommand <script>` with the JSON request on
// stdin), with the request inlined as a here-string in place of stdin. Saved
// as a .ps1 and run elevated on the host (powershell.exe -File), it does
// what the session's command does: it imports the msilab module
// (C:\ProgramData\msilab\MsiLab.psm1, checked by its SHA-256) and calls
// its dispatcher, Invoke-MsiLabBatch, with the request, printing the JSON
// response. The request is the session's own (ops.EncodeRequest: ASCII,
// other characters as \u escapes), so the script is ASCII: Windows
// PowerShell 5.1 reads a .ps1 without a byte order mark in the ANSI code
// page, which would garble a path such as C:\Users\José.
func PowerShell(batch []ops.Op) string {
	req, err := ops.EncodeRequest(batch)
	if err != nil {
		return fmt.Sprintf("# cannot encode the request: %v\n", err)
	}
	var b strings.Builder
	names := make([]string, len(batch))
	for i, op := range batch {
		names[i] = op.Name
	}
	fmt.Fprintf(&b, "# msilab batch: %s\n", strings.Join(names, ", "))
	b.WriteString("# A session runs the script below as one command, `powershell.exe -NoLogo -NoProfile -NonInteractive\n")
	b.WriteString("# -ExecutionPolicy Bypass -EncodedCommand <script>`, with the request on stdin; here the request is inline.\n")
	b.WriteString("# By hand: save as a .ps1 and run it elevated on the host (powershell.exe -NoProfile -ExecutionPolicy Bypass\n")
	b.WriteString("# -File <file>); it needs the msilab module at " + ops.ModulePath + " with the SHA-256 below.\n")
	script := strings.ReplaceAll(ops.BatchScript, "\r\n", "\n")
	inline := "$request = @'\n" + string(req) + "\n'@ | ConvertFrom-Json"
	if strings.Contains(script, stdinLine) {
		script = strings.Replace(script, stdinLine, inline, 1)
	} else {
		script = "# stdin:\n# " + string(req) + "\n" + script
	}
	b.WriteString(script)
	if !strings.HasSuffix(script, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
