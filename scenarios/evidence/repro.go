package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// ErrHereString is returned when a text to embed in repro.ps1 has a line
// that would end its here-string.
var ErrHereString = errors.New("evidence: text would end a PowerShell here-string")

// Repro returns the standalone Windows PowerShell 5.1 script that does by
// hand, on a real machine without msilab, what the cell did: it checks
// that the package is at the path the cell used with the recorded SHA-256,
// loads the msilab op module (embedded), replays the cell's op batches
// (c.Record.Batches) in order with the module's dispatcher, printing and
// saving each batch's results, and compares the checked install's exit code
// (and log signature and events) with the expectation.
//
// Values are data: the cell's facts, the module and each batch request are
// single-quoted here-strings (JSON on one line, all ASCII, so no line of
// theirs can end the here-string), read by constant script text; only the
// comment header is formatted. The text uses CRLF line ends; Write saves it
// as UTF-8 with a byte order mark.
func Repro(c *results.CellResult, sc *scenarios.Scenario) (string, error) {
	if c == nil {
		return "", ErrNoCell
	}
	action := "install"
	if sc != nil && sc.Action != "" {
		action = sc.Action
	}
	checked := findChecked(c.Record.Batches, action, c.Context)
	cfg := reproConfig{
		Cell:          c.ID,
		PackagePaths:  packagePaths(c.Record.Batches),
		PackageSHA256: c.Record.PackageSHA256,
		ModuleSHA256:  ops.ModuleSHA256,
		StandardUser:  standardUser(c.Record.Batches),
		AdminLogon:    needsAdminLogon(c.Record.Batches),
		Checked:       checked,
		Expected: reproExpected{
			ExitCode: c.Expected.ExitCode,
			Messages: nonNil(c.Expected.Messages),
			Log:      nonNil(c.Expected.Log),
			NotLog:   nonNil(c.Expected.NotLog),
			Events:   nonNil(c.Expected.Events),
			NoEvents: c.Expected.NoEvents,
		},
	}
	cfgJSON, err := asciiJSON(cfg)
	if err != nil {
		return "", err
	}
	module := string(ops.Module)
	if err := hereStringSafe(module); err != nil {
		return "", fmt.Errorf("%w: the op module", err)
	}

	var b strings.Builder
	writeHeader(&b, c, sc, action, cfg)
	b.WriteString(reproPrologue)
	b.WriteString("# The cell's facts: the package, the op module's hash, which op is the\n")
	b.WriteString("# checked install (1-based batch and op), and the expectation as checked.\n")
	b.WriteString("$reproJson = @'\n" + cfgJSON + "\n'@\n")
	b.WriteString("$repro = $reproJson | ConvertFrom-Json\n\n")
	b.WriteString(reproPackageCheck)
	b.WriteString("# 2. The msilab op module (lab/ops/powershell/MsiLab.psm1 of msilab " + comment(c.Record.ToolVersion) + "),\n")
	b.WriteString("#    SHA-256 " + ops.ModuleSHA256 + ", checked below.\n")
	// The here-string holds the module without its final newline, which
	// the hash check adds back (a here-string ends before its last one).
	b.WriteString("$moduleText = @'\n" + strings.TrimSuffix(module, "\n") + "\n'@\n")
	if strings.HasSuffix(module, "\n") {
		b.WriteString("$moduleNewline = \"`n\"\n")
	} else {
		b.WriteString("$moduleNewline = ''\n")
	}
	b.WriteString(reproModuleLoad)
	b.WriteString(reproBatchFunc)
	b.WriteString(reproPrepare)
	for i, batch := range c.Record.Batches {
		req, err := asciiJSON(ops.Request{Version: ops.ProtocolVersion, ModuleSHA256: ops.ModuleSHA256, Ops: batch})
		if err != nil {
			return "", fmt.Errorf("evidence: batch %d: %w", i+1, err)
		}
		names := make([]string, len(batch))
		for j, op := range batch {
			names[j] = op.Name
		}
		fmt.Fprintf(&b, "# Batch %d of %d: %s\n", i+1, len(c.Record.Batches), comment(strings.Join(names, ", ")))
		if checked != nil && checked.Batch == i+1 {
			fmt.Fprintf(&b, "# (op %d, %s, is the cell's checked %s)\n", checked.Op, comment(checked.Name), action)
		}
		b.WriteString("$json = @'\n" + req + "\n'@\n")
		fmt.Fprintf(&b, "[void]$responses.Add((Invoke-MsiLabReproBatch -Number %d -Json $json))\n\n", i+1)
	}
	if len(c.Record.Batches) == 0 {
		b.WriteString("# The cell sent no op batch (it did not reach the host).\n\n")
	}
	b.WriteString(reproOutcome)
	return strings.ReplaceAll(b.String(), "\n", "\r\n"), nil
}

// reproConfig is the data block of repro.ps1.
type reproConfig struct {
	Cell          string   `json:"cell"`
	PackagePaths  []string `json:"package_paths"`
	PackageSHA256 string   `json:"package_sha256"`
	ModuleSHA256  string   `json:"module_sha256"`
	// StandardUser is the lab's non-admin account, which msilab creates on
	// every host before its clean snapshot (not in the cell's batches).
	StandardUser string `json:"standard_user"`
	// AdminLogon is true when a batch runs msiexec in the admin-filtered
	// context, whose interactive logon needs the administrator's password.
	AdminLogon bool          `json:"admin_logon"`
	Checked    *checkedOp    `json:"checked"`
	Expected   reproExpected `json:"expected"`
}

type reproExpected struct {
	ExitCode int      `json:"exit_code"`
	Messages []int    `json:"messages"`
	Log      []string `json:"log"`
	NotLog   []string `json:"not_log"`
	Events   []int    `json:"events"`
	NoEvents bool     `json:"no_events"`
}

// checkedOp is the install the cell checked: 1-based batch and op numbers.
type checkedOp struct {
	Batch int    `json:"batch"`
	Op    int    `json:"op"`
	Name  string `json:"name"`
}

// msiArgs holds what msi.install and msi.uninstall args have in common
// here.
type msiArgs struct {
	Package string `json:"package"`
	Product string `json:"product"`
	Context string `json:"context"`
	User    string `json:"user"`
}

func decodeMsiArgs(op ops.Op) (msiArgs, bool) {
	var a msiArgs
	if op.Name != ops.OpMsiInstall && op.Name != ops.OpMsiUninstall {
		return a, false
	}
	if len(op.Args) > 0 && json.Unmarshal(op.Args, &a) != nil {
		return a, false
	}
	if a.Context == "" {
		a.Context = ops.ContextAdminElevated
	}
	return a, true
}

// findChecked finds the run the cell checked: the first msi.<action> in
// the cell's context (an uninstall cell first installs elevated; a rerun
// after a remediation comes later), else the last msi op; nil when the
// batches have none.
func findChecked(batches [][]ops.Op, action, context string) *checkedOp {
	if context == "" {
		context = ops.ContextAdminElevated
	}
	var last *checkedOp
	for i, batch := range batches {
		for j, op := range batch {
			a, ok := decodeMsiArgs(op)
			if !ok {
				continue
			}
			here := &checkedOp{Batch: i + 1, Op: j + 1, Name: op.Name}
			if op.Name == "msi."+action && a.Context == context {
				return here
			}
			last = here
		}
	}
	return last
}

// needsAdminLogon reports an msi op in the admin-filtered context that
// logs on interactively (its default logon).
func needsAdminLogon(batches [][]ops.Op) bool {
	for _, b := range batches {
		for _, op := range b {
			var a struct {
				Context string `json:"context"`
				Logon   string `json:"logon"`
			}
			if (op.Name == ops.OpMsiInstall || op.Name == ops.OpMsiUninstall) && json.Unmarshal(op.Args, &a) == nil &&
				a.Context == ops.ContextAdminFiltered && (a.Logon == "" || a.Logon == ops.LogonInteractive) {
				return true
			}
		}
	}
	return false
}

// standardUser is the standard-user account the batches' msi ops name,
// else ops.DefaultStandardUser.
func standardUser(batches [][]ops.Op) string {
	for _, batch := range batches {
		for _, op := range batch {
			if a, ok := decodeMsiArgs(op); ok && a.User != "" {
				return a.User
			}
		}
	}
	return ops.DefaultStandardUser
}

// packagePaths lists the .msi paths the batches install or uninstall from,
// once each, in order.
func packagePaths(batches [][]ops.Op) []string {
	paths := []string{}
	for _, batch := range batches {
		for _, op := range batch {
			a, ok := decodeMsiArgs(op)
			if !ok {
				continue
			}
			p := a.Package
			if op.Name == ops.OpMsiUninstall {
				p = a.Product
				if strings.HasPrefix(p, "{") {
					continue // a ProductCode
				}
			}
			if p != "" && !containsFold(paths, p) {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

// containsFold: Windows paths compare case-insensitively.
func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// asciiJSON is v as one line of JSON with every non-ASCII character (and
// <, >, &, U+2028, U+2029) as a \u escape: no raw newline can appear, so no
// line of it can end a here-string, and it reads the same whatever code
// page the script is read in. ConvertFrom-Json decodes the escapes.
func asciiJSON(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("evidence: %w", err)
	}
	var b strings.Builder
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\ufffd`)
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		raw = raw[size:]
	}
	s := b.String()
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("%w: a raw line break in JSON", ErrHereString)
	}
	return s, nil
}

// hereStringSafe checks that no line of text ends a single-quoted
// here-string: a line that starts (after blanks, to be safe) with a
// single quotation mark, any of the four PowerShell reads as one, and @.
func hereStringSafe(text string) error {
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r", "\n"), "\n") {
		line = strings.TrimLeft(line, " \t")
		r, size := utf8.DecodeRuneInString(line)
		if strings.ContainsRune("'\u2018\u2019\u201A\u201B", r) && strings.HasPrefix(line[size:], "@") {
			return fmt.Errorf("%w: line %d", ErrHereString, i+1)
		}
	}
	return nil
}

// comment makes a text safe on a comment line: one line, no control
// characters.
func comment(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// wrap folds text into comment lines of at most width columns, the first
// starting with first, the others with indent.
func wrap(b *strings.Builder, first, indent, text string, width int) {
	line := first
	empty := true
	for _, w := range strings.Fields(comment(text)) {
		if !empty && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
}

func ints(n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

func orNone(s string) string {
	if s = comment(s); s == "" {
		return "(not recorded)"
	}
	return s
}

// writeHeader writes the comment header: what the cell was and how to run
// the script.
func writeHeader(b *strings.Builder, c *results.CellResult, sc *scenarios.Scenario, action string, cfg reproConfig) {
	const w = 78
	r := c.Record
	name := c.Scenario
	if sc != nil && sc.Name != "" {
		name = sc.Name
	}
	// field writes "# Label:       text", wrapped; an empty label continues
	// the field above.
	field := func(label, text string) {
		if label != "" {
			label += ":"
		}
		wrap(b, fmt.Sprintf("# %-13s ", label), "#               ", text, w)
	}
	fmt.Fprintf(b, "# repro.ps1: msilab cell %s, by hand, without msilab.\n#\n", comment(c.ID))
	field("Scenario", name)
	if sc != nil && sc.Summary != "" {
		field("Summary", sc.Summary)
	}
	field("File", orNone(r.ScenarioFile)+" (SHA-256 "+orNone(r.ScenarioSHA256)+")")
	if sc != nil {
		for i, ref := range sc.References {
			label := ""
			if i == 0 {
				label = "References"
			}
			field(label, ref)
		}
		if sc.Evidence != "" {
			field("Evidence", sc.Evidence+" (D documented, R reported, G to confirm on real Windows; see docs/evidence.md)")
		}
	}
	field("Cell", c.ID)
	field("OS profile", fmt.Sprintf("%s (build %s, msi.dll %s), snapshot %s", orNone(c.OS), orNone(r.OSBuild), orNone(r.MsiVersion), orNone(r.Snapshot)))
	if c.Host != "" {
		field("Host", c.Host)
	}
	field("Context", contextOrDefault(c.Context))
	field("Action", action)
	e := c.Expected
	field("Expected", fmt.Sprintf("exit code %d", e.ExitCode))
	if len(e.Messages) > 0 {
		field("", "messages "+ints(e.Messages)+` (as "Note: 1: N" or "Error N" in the log, in order)`)
	}
	for _, l := range e.Log {
		field("", `log has "`+l+`" (in order)`)
	}
	for _, l := range e.NotLog {
		field("", `log lacks "`+l+`"`)
	}
	if len(e.Events) > 0 {
		field("", "MsiInstaller events "+ints(e.Events))
	}
	if e.NoEvents {
		field("", "no MsiInstaller event")
	}
	if e.Override != "" {
		field("", "(overridden for this OS/context: "+e.Override+")")
	}
	rec := fmt.Sprintf("%s, exit code %d", orNone(c.Status), c.Observed.ExitCode)
	if c.Reason != "" {
		rec += ": " + c.Reason
	}
	field("Recorded", rec)
	field("Package", orNone(r.Package)+" (SHA-256 "+orNone(r.PackageSHA256)+")")
	if r.ProductCode != "" {
		field("", "ProductCode "+r.ProductCode)
	}
	field("msilab", orNone(r.ToolVersion)+"; op module SHA-256 "+ops.ModuleSHA256)
	field("Batches", fmt.Sprintf("%d op batches, replayed below as msilab sent them", len(r.Batches)))
	b.WriteString("#\n# How to run it\n")
	b.WriteString("#   1. Use a disposable machine: a VM reverted to a clean snapshot of the OS\n")
	b.WriteString("#      profile above. The script injects the cell's faults, runs the\n")
	b.WriteString("#      " + action + " and reverts the faults as the cell did; a failure half-way\n")
	b.WriteString("#      can leave the machine changed.\n")
	if len(cfg.PackagePaths) > 0 {
		b.WriteString("#   2. Copy the package (above) to the path the cell used; every install\n")
		b.WriteString("#      context must be able to read it:\n")
		for _, p := range cfg.PackagePaths {
			wrap(b, "#        ", "#        ", p, w)
		}
	} else {
		b.WriteString("#   2. (The cell ran no install, so no package is needed.)\n")
	}
	b.WriteString("#   3. In an elevated Windows PowerShell 5.1 (Run as administrator):\n")
	b.WriteString("#        powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\repro.ps1\n")
	b.WriteString("#      Each batch's results are printed, and saved with the verbose logs in a\n")
	b.WriteString("#      repro-out-<time> folder next to this script.\n")
	b.WriteString("#\n")
	b.WriteString("# What it does: checks the package's SHA-256, loads the msilab op module\n")
	b.WriteString("# (embedded below: the functions msilab runs on a lab host), ensures the\n")
	b.WriteString("# lab's standard user as msilab prepares a host (" + comment(cfg.StandardUser) + "), replays the op\n")
	b.WriteString("# batches the cell sent, in order, through the module's dispatcher\n")
	b.WriteString("# Invoke-MsiLabBatch, as msilab's batch script does, then compares the\n")
	b.WriteString("# " + action + "'s exit code, log and events with the expectation.\n")
	b.WriteString("#\n")
	b.WriteString("# This file is UTF-8 with a byte order mark: Windows PowerShell 5.1 reads a\n")
	b.WriteString("# script without one in the ANSI code page. Keep the mark if you edit it.\n")
	b.WriteString("# (The data blocks below are ASCII JSON, with \\u escapes for the rest.)\n\n")
}

func contextOrDefault(c string) string {
	if c == "" {
		return ops.ContextAdminElevated
	}
	return comment(c)
}

// reproPrologue starts the script body.
const reproPrologue = `#Requires -Version 5.1
#Requires -RunAsAdministrator

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

`

// reproPackageCheck checks each package path against the recorded hash.
// Get-FileHash: https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/get-filehash?view=powershell-5.1
const reproPackageCheck = `# 1. The package, where the cell had it, with the recorded SHA-256.
foreach ($path in @($repro.package_paths)) {
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        throw ('Copy the package to {0} first (see the header of this script).' -f $path)
    }
    $hash = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
    if ($repro.package_sha256 -and $hash -ne $repro.package_sha256) {
        throw ('{0} has SHA-256 {1}, not {2} as recorded: it is not the package the cell used.' -f $path, $hash, $repro.package_sha256)
    }
    Write-Host ('package {0}: SHA-256 {1}, as recorded' -f $path, $hash)
}

`

// reproModuleLoad checks the embedded module's hash (over LF line ends,
// as the file is kept, whatever line ends this script was saved with) and
// loads it as a dynamic module.
// New-Module: https://learn.microsoft.com/powershell/module/microsoft.powershell.core/new-module?view=powershell-5.1
const reproModuleLoad = `$moduleBytes = [System.Text.Encoding]::UTF8.GetBytes($moduleText.Replace("` + "`r`n" + `", "` + "`n" + `") + $moduleNewline)
$sha256 = [System.Security.Cryptography.SHA256]::Create()
$moduleHash = [System.BitConverter]::ToString($sha256.ComputeHash($moduleBytes)).Replace('-', '')
if ($moduleHash -ne $repro.module_sha256) {
    throw ('The embedded op module has SHA-256 {0}, not {1}: it was changed after msilab wrote this script.' -f $moduleHash, $repro.module_sha256)
}
New-Module -Name MsiLab -ScriptBlock ([ScriptBlock]::Create($moduleText)) | Import-Module -Force
Write-Host ('op module: SHA-256 {0}' -f $moduleHash)

`

// reproBatchFunc replays one batch: the request is what msilab's batch
// script reads on stdin; the dispatcher writes its JSON response to
// [Console]::Out, captured here.
// Console.SetOut: https://learn.microsoft.com/dotnet/api/system.console.setout
const reproBatchFunc = `# 3. The op batches, replayed in order.
$outRoot = $PSScriptRoot
if (-not $outRoot) { $outRoot = [System.IO.Path]::GetTempPath() }
$outDir = Join-Path $outRoot ('repro-out-' + (Get-Date -Format 'yyyyMMdd-HHmmss'))
[void][System.IO.Directory]::CreateDirectory($outDir)
$responses = New-Object System.Collections.ArrayList

# Runs one batch request with the module's dispatcher, saves the response
# (and the verbose log of an msi op), prints each op's outcome and returns
# the response.
function Invoke-MsiLabReproBatch {
    param([int] $Number, [string] $Json)
    $request = $Json | ConvertFrom-Json
    # The passwords of the contexts that log on interactively travel beside
    # the ops, as msilab sends them (never in an op, never saved).
    $request | Add-Member -NotePropertyName logons -NotePropertyValue @($reproLogons) -Force
    $writer = New-Object System.IO.StringWriter
    $stdout = [Console]::Out
    [Console]::SetOut($writer)
    try { Invoke-MsiLabBatch -Request $request } finally { [Console]::SetOut($stdout) }
    $text = $writer.ToString()
    [System.IO.File]::WriteAllText((Join-Path $outDir ('batch-{0:D2}.json' -f $Number)), $text)
    $response = $text | ConvertFrom-Json
    Write-Host ('== batch {0}' -f $Number)
    $i = 0
    foreach ($result in @($response.results)) {
        $i++
        if (-not $result.ok) {
            Write-Host ('  {0,-22} error {1}: {2}' -f $result.op, $result.error.code, $result.error.message) -ForegroundColor Yellow
            continue
        }
        if ($result.op -eq 'msi.install' -or $result.op -eq 'msi.uninstall') {
            $logFile = Join-Path $outDir ('msiexec-{0:D2}-{1}.log' -f $Number, $i)
            [System.IO.File]::WriteAllText($logFile, [string]$result.value.log)
            $ids = ''
            if ($null -ne $result.value.events) { $ids = @($result.value.events | ForEach-Object { $_.event_id }) -join ', ' }
            Write-Host ('  {0,-22} exit code {1} as {2}; events [{3}]; log {4}' -f $result.op, $result.value.exit_code, $result.value.user, $ids, $logFile)
            continue
        }
        $value = ConvertTo-Json -InputObject $result.value -Compress -Depth 100
        if ($value -and $value.Length -gt 160) { $value = $value.Substring(0, 157) + '...' }
        Write-Host ('  {0,-22} ok {1}' -f $result.op, $value)
    }
    return $response
}

`

// reproPrepare does what msilab does on every host before it takes the
// clean snapshot the cells start from, and which is therefore not in a
// cell's batches: it ensures the lab's standard user (scenarios/runner
// prepareHost) with a random password made here, kept in memory only, and
// logs it on once (user.logon, which creates its profile and names a
// missing "Allow log on locally"). The standard-user context logs on
// interactively with that password, and the admin-filtered context with the
// administrator's, asked for when a batch needs it; both travel in each
// batch's logons.
// RandomNumberGenerator: https://learn.microsoft.com/dotnet/api/system.security.cryptography.randomnumbergenerator
// Get-Credential: https://learn.microsoft.com/powershell/module/microsoft.powershell.security/get-credential?view=powershell-5.1
const reproPrepare = `# 0. The lab's standard user, as msilab prepares every host before taking the
#    clean snapshot its cells start from: created if missing (a member of
#    Users only), with a random password made here and kept in memory only,
#    then logged on once (which creates its profile). The non-elevated
#    contexts log on interactively: the standard user with that password,
#    the administrator (admin-filtered) with its own, asked for below.
$random = New-Object byte[] 24
[System.Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($random)
$reproLogons = New-Object System.Collections.ArrayList
[void]$reproLogons.Add([pscustomobject]@{ user = $repro.standard_user; password = ([Convert]::ToBase64String($random) + 'Aa1!') })
if ($repro.admin_logon) {
    $me = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name
    $cred = Get-Credential -UserName $me -Message 'The admin-filtered context logs this account on interactively: its password'
    [void]$reproLogons.Add([pscustomobject]@{ user = $me; password = $cred.GetNetworkCredential().Password })
}
$prepare = [ordered]@{
    v = 1
    module_sha256 = $repro.module_sha256
    ops = @(
        [ordered]@{ op = 'user.ensure'; args = [ordered]@{ name = $repro.standard_user; password = $reproLogons[0].password } },
        [ordered]@{ op = 'user.logon'; args = [ordered]@{ name = $repro.standard_user } })
}
$prepared = Invoke-MsiLabReproBatch -Number 0 -Json ($prepare | ConvertTo-Json -Depth 10 -Compress)
$logon = @($prepared.results)[1]
if ($logon.ok -and -not $logon.value.ok) { Write-Host $logon.value.message -ForegroundColor Yellow }
$random, $prepare = $null, $null

`

// reproOutcome compares the checked run with the expectation as the
// runner checks it (scenarios/runner Evaluate): the exit code; the
// messages in order, as "Note: 1: N" or "Error N." / "Error N:" lines; the
// log substrings in order; the absent ones; the events as a multiset.
const reproOutcome = `# 4. The outcome, against the expectation.
Write-Host ''
Write-Host ('Results and logs: {0}' -f $outDir)
if ($null -eq $repro.checked) {
    Write-Host 'The cell ran no install: nothing to compare.' -ForegroundColor Yellow
    return
}
$checked = @($responses[$repro.checked.batch - 1].results)[$repro.checked.op - 1]
if (-not $checked.ok) {
    Write-Host ('NOT REPRODUCED: {0} could not run: {1}: {2}' -f $checked.op, $checked.error.code, $checked.error.message) -ForegroundColor Red
    return
}
$run = $checked.value
$log = [string]$run.log
$same = $true
$exitCode = [int]$run.exit_code
Write-Host ('{0} exit code: {1} (expected {2})' -f $checked.op, $exitCode, $repro.expected.exit_code)
if ($exitCode -ne [int]$repro.expected.exit_code) { $same = $false }
$at = 0
foreach ($n in @($repro.expected.messages)) {
    $m = [regex]::new('Note: 1: ' + $n + '\b|\bError ' + $n + '[.:]').Match($log, $at)
    if ($m.Success) { $at = $m.Index + $m.Length; Write-Host ('  message {0}: in the log' -f $n) }
    else { $same = $false; Write-Host ('  message {0}: NOT in the log (in order)' -f $n) -ForegroundColor Yellow }
}
$at = 0
foreach ($s in @($repro.expected.log)) {
    $i = $log.IndexOf([string]$s, $at, [System.StringComparison]::Ordinal)
    if ($i -ge 0) { $at = $i + $s.Length; Write-Host ('  log has: {0}' -f $s) }
    else { $same = $false; Write-Host ('  log lacks (in order): {0}' -f $s) -ForegroundColor Yellow }
}
foreach ($s in @($repro.expected.not_log)) {
    if ($log.Contains([string]$s)) { $same = $false; Write-Host ('  log has, but must not: {0}' -f $s) -ForegroundColor Yellow }
}
$events = New-Object System.Collections.ArrayList
if ($null -ne $run.events) { foreach ($e in @($run.events)) { [void]$events.Add([int]$e.event_id) } }
Write-Host ('  events: [{0}]' -f ($events -join ', '))
foreach ($id in @($repro.expected.events)) {
    $k = $events.IndexOf([int]$id)
    if ($k -ge 0) { $events.RemoveAt($k) }
    else { $same = $false; Write-Host ('  event {0}: NOT written' -f $id) -ForegroundColor Yellow }
}
if ($repro.expected.no_events -and $null -ne $run.events -and @($run.events).Count -gt 0) {
    $same = $false; Write-Host '  events were written, but none may be' -ForegroundColor Yellow
}
if ($same) {
    Write-Host ('REPRODUCED: cell {0} behaves as expected here' -f $repro.cell) -ForegroundColor Green
} else {
    Write-Host ('NOT REPRODUCED: cell {0} differs from the expectation here (see above)' -f $repro.cell) -ForegroundColor Red
}
`
