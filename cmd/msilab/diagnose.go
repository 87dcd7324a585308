package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/internal/fileutil"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
)

const diagnoseUsage = `Usage:
  msilab diagnose --log FILE [--format text|json]
      name the causes a log shows
  msilab diagnose --host ENDPOINT FLAGS [--context C] [--log FILE] [--format text|json]
      probe a host for them (with --log, read together with its failed install's log)
  msilab diagnose --log FILE --reproduce [--lab lab.yaml] [--out DIR] [--format text|json]
      reproduce the log's cause on the OS profile closest to it and compare

--reproduce takes the top cause (each candidate when the log alone cannot
decide), picks the OS profile closest to the log (MsiNTProductType,
VersionNT, WindowsBuild, the header's msi.dll build, the system drive) and
the contexts its lines imply, runs the cause's built-in scenario on the
embedded simulated lab (or --lab's hosts) with remediation and a rerun,
and prints the input's signature lines beside the reproduction's: where
they match and differ, the exit code and events, and the fix verified on
the reproduction. --out gets the evidence bundle (the input, comparison.md
and .json, recipe.txt, each cell's evidence). Exits 1 when no reproduction
matches; no cause, or a cause without a scenario, is an error.

FILE is what you have of the failed install, told apart by its content: an
msiexec verbose log (/L*v) whole, an excerpt or several pasted together, a
non-verbose log (/L), MsiInstaller events as Event Viewer, Get-WinEvent or
wevtutil qe /f:text print them, or the text of the error dialog; in UTF-16
(with or without its byte order mark), UTF-8 or ANSI, CRLF or LF; a regular
file of at most 512 MiB, read as a stream; "-" reads stdin. Prints the
cause with its confidence, the evidence lines quoted with their numbers,
why its look-alikes are ruled out (or what would tell them apart), the
built-in scenario that reproduces it ("msilab run --only NAME") and the
fixes. When no cause is supported, it says "insufficient evidence" and
lists each message and exit number with its documented meaning and what to
collect next. A log alone cannot tell some causes apart (C:\Windows\Temp's
ACL from C:\Windows\Installer's, say): --host reads the host's state. No
recognisable cause is not an error (exit 0).

Flags:
`

const remediateUsage = `Usage:
  msilab remediate ENDPOINT FLAGS [--log FILE] [--dry-run] [--json]

Probes the host, diagnoses it (with --log, together with the failed
install's verbose log), plans the fixes (least invasive first) and applies
them one at a time, verifying each and rolling back one that does not
verify. Fixes restore the OS profile's defaults; none opens the host up.

--dry-run sends no change: it prints the plan, each step's fix, risk and
why, and the exact PowerShell it would run on the host. Otherwise it
prints what was applied, verified or rolled back, and the host's state
before and after. Exits 1 if a finding remains unresolved (a dry run
exits 0).

Flags:
`

// stdin is what "--log -" reads (tests replace it).
var stdin io.Reader = os.Stdin

// hostFlags are the flags that name a host and the install context to
// diagnose it for.
type hostFlags struct {
	endpointFlags
	context, standardUser string
}

func (f *hostFlags) register(fs *flag.FlagSet) {
	f.endpointFlags.register(fs)
	fs.StringVar(&f.context, "context", ops.ContextAdminElevated, "install context of the failed install: "+strings.Join(ops.Contexts, ", "))
	fs.StringVar(&f.standardUser, "standard-user", ops.DefaultStandardUser, "the lab's non-admin account (context standard-user)")
}

func (f *hostFlags) check() error {
	if !contains(ops.Contexts, f.context) {
		return usagef("--context: unknown context %q (known: %s)", f.context, strings.Join(ops.Contexts, ", "))
	}
	if f.context == ops.ContextStandardUser && f.standardUser == "" {
		return usagef("--standard-user is required with --context standard-user")
	}
	return nil
}

// target is who the probes are taken for: the WinRM account is the administrator.
func (f *hostFlags) target() faults.Target {
	user := f.user
	if i := strings.LastIndexAny(user, `\`); i >= 0 { // HOST\user or DOMAIN\user: the profile is the name's
		user = user[i+1:]
	}
	return faults.Target{AdminUser: user, StandardUser: f.standardUser, Context: f.context}
}

// hostError makes sure an error names the host it came from (lab's
// AuthError and UnreachableError already do).
func (f *hostFlags) hostError(err error) error {
	var ue *usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	ep, eerr := f.toEndpoint()
	if eerr == nil && strings.Contains(err.Error(), ep.Host) {
		return err
	}
	return fmt.Errorf("host %s: %w", f.endpoint, err)
}

// dialHost connects to the host the flags name.
func (f *hostFlags) dialHost(ctx context.Context) (lab.Session, error) {
	s, err := f.dial(ctx)
	return s, f.hostError(err)
}

// maxLogSize is the largest log diagnose reads (verbose logs of hundreds
// of MB exist; the diagnosis holds the decoded text in memory).
const maxLogSize = 512 << 20

// logChunk is how much readLog reads between two looks at ctx.
const logChunk = 1 << 20

// errLogTooLarge is wrapped when a log is larger than maxLogSize.
var errLogTooLarge = errors.New("log too large")

// readLog reads a verbose log file ("-" is stdin) and decodes it. It reads
// only a regular file (a FIFO would block, a device such as /dev/zero
// never end), in chunks, stopping at ctx's end and at maxLogSize.
func readLog(ctx context.Context, path string) (string, error) {
	name := path
	var r io.Reader
	if path == "-" {
		name, r = "stdin", stdin
	} else {
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("read log: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return "", usagef("--log %s is not a regular file (a %s): give the file msiexec /L*v wrote, or - for stdin", path, fileutil.Kind(fi.Mode()))
		}
		if fi.Size() > maxLogSize {
			return "", fmt.Errorf("%w: %s is %d MiB, more than the %d MiB msilab reads: give the part around the failure "+
				"(for example: tail -c 200000000 %s | msilab diagnose --log -)", errLogTooLarge, path, fi.Size()>>20, maxLogSize>>20, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("read log: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := readChunks(ctx, r, maxLogSize)
	if errors.Is(err, errLogTooLarge) {
		return "", fmt.Errorf("%w: %s is more than the %d MiB msilab reads: give the part around the failure", errLogTooLarge, name, maxLogSize>>20)
	}
	if err != nil {
		return "", fmt.Errorf("read log: %w", err)
	}
	// An .msi, .mst or .msp is an OLE compound file, not its log.
	if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
		return "", fmt.Errorf("%s is not a Windows Installer log: it is an OLE compound file (an .msi, .mst or .msp?); give the file msiexec /L*v wrote", name)
	}
	text := remediation.DecodeLog(data)
	if n, total := binaryRunes(text); n*100 > total {
		return "", fmt.Errorf("%s is not a Windows Installer log: %d of its first %d characters are control characters or undecodable (binary data, or an encoding msilab does not know)", name, n, total)
	}
	return text, nil
}

// parseLog reads and parses what --log names ("-" is stdin) as a
// stream: a regular file only, at most maxLogSize bytes, stopping at
// ctx's end even while a read blocks.
func parseLog(ctx context.Context, path string) (*msilog.Log, error) {
	name := path
	var r io.Reader
	if path == "-" {
		name, r = "stdin", stdin
	} else {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("read log: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, usagef("--log %s is not a regular file (a %s): give the file msiexec /L*v wrote, or - for stdin", path, fileutil.Kind(fi.Mode()))
		}
		if fi.Size() > maxLogSize {
			return nil, fmt.Errorf("%w: %s is %d MiB, more than the %d MiB msilab reads: give the part around the failure "+
				"(for example: tail -c 200000000 %s | msilab diagnose --log -)", errLogTooLarge, path, fi.Size()>>20, maxLogSize>>20, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read log: %w", err)
		}
		defer f.Close()
		r = f
	}
	cr, stop := ctxReader(ctx, r)
	log, err := msilog.Parse(ctx, cr, msilog.Options{MaxBytes: maxLogSize})
	stop()
	var nl *msilog.NotLogError
	switch {
	case errors.Is(err, msilog.ErrTooLarge):
		return nil, fmt.Errorf("%w: %s is more than the %d MiB msilab reads: give the part around the failure", errLogTooLarge, name, maxLogSize>>20)
	case errors.As(err, &nl):
		return nil, fmt.Errorf("%s is not a Windows Installer log: %s", name, nl.Why)
	case err != nil:
		return nil, fmt.Errorf("read log %s: %w", name, err)
	}
	return log, nil
}

// ctxReader reads r from a goroutine, so that a read that blocks (a
// pipe whose writer is silent) ends with ctx; stop ends the copy once the
// reader is done with it.
func ctxReader(ctx context.Context, r io.Reader) (io.Reader, func()) {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, r)
		pw.CloseWithError(err)
	}()
	unwatch := context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	return pr, func() {
		unwatch()
		pr.Close() // a copy blocked writing ends; one blocked reading r ends with r
	}
}

// readChunks reads r to its end in chunks of logChunk, at most max bytes
// (errLogTooLarge past that), returning at ctx's end even while a read
// blocks (a pipe whose writer is silent).
func readChunks(ctx context.Context, r io.Reader, max int64) ([]byte, error) {
	type chunk struct {
		b   []byte
		err error
	}
	next := make(chan chunk)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			b := make([]byte, logChunk)
			n, err := io.ReadFull(r, b)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			select {
			case next <- chunk{b[:n], err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var buf bytes.Buffer
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case c := <-next:
			buf.Write(c.b)
			if int64(buf.Len()) > max {
				return nil, errLogTooLarge
			}
			if c.err == io.EOF {
				return buf.Bytes(), nil
			}
			if c.err != nil {
				return nil, c.err
			}
		}
	}
}

// binaryRunes counts, among the first 1<<20 characters of a decoded log,
// those a text log does not have: control characters other than tab and
// line ends, and U+FFFD (bytes that did not decode).
func binaryRunes(text string) (n, total int) {
	for _, r := range text {
		if total == 1<<20 {
			break
		}
		total++
		if r == '\uFFFD' || unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			n++
		}
	}
	return n, total
}

// logRun is a failed run built from a log, for Remediate: its exit code
// and action as the log states them (msilog).
func logRun(text, context string) *ops.MsiRun {
	run := &ops.MsiRun{Action: "install", Context: context, Log: text, ExitCode: -1}
	lg := msilog.ParseString(text)
	if code, _, ok := lg.Exit(); ok {
		run.ExitCode = code
	}
	if lg.Uninstall() {
		run.Action = "uninstall"
	}
	return run
}

func diagnoseCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab diagnose", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), diagnoseUsage); fs.PrintDefaults() }
	var hf hostFlags
	hf.register(fs)
	host := fs.Bool("host", false, "probe the host the endpoint flags name (implied by --endpoint)")
	logFile := fs.String("log", "", `the failed install's verbose log ("-" reads stdin)`)
	format := fs.String("format", "text", "output format: text or json")
	asJSON := fs.Bool("json", false, "the same as --format json")
	var rf reproduceFlags
	fs.BoolVar(&rf.on, "reproduce", false, "with --log: run the cause's built-in scenario on the profile closest to the log, compare the signatures and verify the fix")
	fs.StringVar(&rf.lab, "lab", "", "with --reproduce: lab inventory (lab.yaml) whose hosts run the reproduction (default: the embedded simulated lab)")
	fs.StringVar(&rf.out, "out", "msilab-reproduce", "with --reproduce: the evidence bundle's directory")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("msilab diagnose takes flags only, got %q", fs.Args())
	}
	if *asJSON {
		*format = "json"
	}
	if *format != "text" && *format != "json" {
		return usagef("--format: %q is neither text nor json", *format)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if hf.endpoint != "" {
		*host = true // the endpoint names the host to probe
	}
	if !*host && *logFile == "" {
		fmt.Fprint(stderr, diagnoseUsage)
		return usagef("msilab diagnose needs --log FILE, --host with the endpoint flags, or both")
	}
	if err := hf.check(); err != nil {
		return err
	}
	if rf.on || set["lab"] || set["out"] {
		switch {
		case !rf.on:
			return usagef("--lab and --out go with --reproduce")
		case *logFile == "" || *host:
			return usagef("--reproduce reproduces a log: it needs --log FILE and excludes --host")
		}
		return diagnoseReproduce(ctx, rf, *logFile, *format, stdout)
	}
	var parsed *msilog.Log
	if *logFile != "" {
		var err error
		if parsed, err = parseLog(ctx, *logFile); err != nil {
			return err
		}
	}
	logName := *logFile
	if logName == "-" {
		logName = "stdin"
	}

	if !*host {
		// --context shapes the diagnosis when given (a non-elevated
		// context picks the non-elevated scenario); the exit code is the log's.
		context := ""
		if set["context"] {
			context = hf.context
		}
		ans := remediation.Explain(parsed, nil, -1, context)
		if *format == "json" {
			return writeJSON(stdout, ans)
		}
		printAnswer(stdout, logName, ans)
		return nil
	}

	if hf.endpoint == "" {
		return usagef("msilab diagnose --host needs the host: --endpoint (with --user and --password) is required")
	}
	if _, err := hf.toEndpoint(); err != nil {
		return err
	}
	s, err := hf.dialHost(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := remediation.Probe(ctx, s, hf.target())
	if err != nil {
		return hf.hostError(err)
	}
	var findings []remediation.Finding
	if parsed != nil {
		ans := remediation.Explain(parsed, st, -1, hf.context)
		if *format == "json" {
			return writeJSON(stdout, ans)
		}
		fmt.Fprintf(stdout, "%s, install context %s, with %s:\n", hostWords(st, hf.endpoint), hf.context, logName)
		printAnswer(stdout, logName, ans)
		return nil
	}
	findings = remediation.Diagnose(st, nil, hf.context)
	if *format == "json" {
		return writeJSON(stdout, nonNil(findings))
	}
	if len(findings) == 0 {
		fmt.Fprintf(stdout, "%s, install context %s: no known cause: its state shows none of the causes msilab knows\n", hostWords(st, hf.endpoint), hf.context)
		return nil
	}
	fmt.Fprintf(stdout, "%s, install context %s: %s from its state, highest confidence first\n",
		hostWords(st, hf.endpoint), hf.context, plural(len(findings), "finding"))
	printFindings(stdout, findings)
	return nil
}

func hostWords(st *remediation.HostState, endpoint string) string {
	name := st.Host.Hostname
	if name == "" {
		name = endpoint
	}
	if st.Profile != "" {
		exact := ""
		if !st.ProfileExact {
			exact = ", nearest profile"
		}
		return fmt.Sprintf("host %s (%s%s)", name, st.Profile, exact)
	}
	return "host " + name
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// builtinScenarios maps the built-in catalog's names to their summaries
// (empty if the catalog does not load).
func builtinScenarios() map[string]string {
	out := map[string]string{}
	scs, err := scenarios.Builtin()
	if err != nil {
		return out
	}
	for _, sc := range scs {
		out[sc.Name] = sc.Summary
	}
	return out
}

// printAnswer prints a diagnosis of one input.
func printAnswer(w io.Writer, name string, a remediation.Answer) {
	in := a.Input
	switch a.Verdict {
	case remediation.VerdictNotMSI:
		fmt.Fprintf(w, "not a Windows Installer log: %s: %s\n", name, a.Why)
		return
	case remediation.VerdictEmpty:
		fmt.Fprintf(w, "no known cause: %s is empty, nothing to diagnose (%s)\n", name, a.Why)
		return
	}
	exit := "no exit code in it"
	if in.Exit >= 0 && in.ExitLine > 0 {
		exit = fmt.Sprintf("exit code %d (line %d)", in.Exit, in.ExitLine)
	} else if in.Exit >= 0 {
		exit = fmt.Sprintf("exit code %d", in.Exit)
	}
	parts := ""
	if in.Parts > 1 {
		parts = fmt.Sprintf(", %d parts", in.Parts)
	}
	if in.NewestFirst {
		parts += ", newest first"
	}
	fmt.Fprintf(w, "%s: %s (%s, %s%s), %s\n", name, in.Form, in.Encoding, plural(in.Lines, "line"), parts, exit)
	switch a.Verdict {
	case remediation.VerdictNoFailure:
		fmt.Fprintf(w, "no known cause: %s shows a successful install (exit code %d) and no error\n", name, in.Exit)
		return
	case remediation.VerdictInsufficient:
		fmt.Fprintln(w, "\ninsufficient evidence: no cause msilab knows is supported by this input.")
		if len(a.Numbers) > 0 {
			fmt.Fprintln(w, "numbers found, with their documented meanings:")
			for _, n := range a.Numbers {
				where := ""
				if n.Line > 0 {
					where = fmt.Sprintf(" (line %d)", n.Line)
				}
				fmt.Fprintf(w, "  - %s%s\n", n.Meaning, where)
			}
		}
		fmt.Fprintln(w, "collect next:")
		for _, c := range a.Collect {
			fmt.Fprintf(w, "  - %s\n", c)
		}
		if len(a.Candidates) > 0 {
			fmt.Fprintf(w, "\npossible causes below confidence %.2f (not an answer):\n", remediation.AnswerThreshold)
			printFindings(w, a.Candidates)
		}
		return
	case remediation.VerdictCandidates:
		fmt.Fprintln(w, "\nthe input cannot decide between these causes; what would tell them apart is under each:")
	default:
		fmt.Fprintf(w, "\n%s, highest confidence first:\n", plural(len(a.Findings), "finding"))
	}
	printFindings(w, append(a.Findings, a.Candidates...))
	for _, c := range a.Collect {
		fmt.Fprintf(w, "\ncollect next: %s\n", c)
	}
}

// printFindings prints findings in their order, numbered, with their
// evidence, the scenario that reproduces each and the fixes.
func printFindings(w io.Writer, findings []remediation.Finding) {
	catalog := builtinScenarios()
	for i, f := range findings {
		fmt.Fprintf(w, "\n%d. %s (confidence %.2f)\n   %s\n", i+1, f.ID, f.Confidence, f.Summary)
		if len(f.Evidence) > 0 {
			fmt.Fprintln(w, "   evidence:")
			for _, e := range f.Evidence {
				fmt.Fprintf(w, "     - %s\n", e)
			}
		}
		if len(f.RuledOut) > 0 {
			fmt.Fprintln(w, "   ruled out, or what would tell it apart:")
			for _, r := range f.RuledOut {
				fmt.Fprintf(w, "     - %s\n", r)
			}
		}
		switch summary, ok := catalog[f.Scenario]; {
		case f.Scenario == "" && f.NoScenario != "":
			fmt.Fprintf(w, "   reproduce: %s\n", f.NoScenario)
		case f.Scenario == "":
			fmt.Fprintln(w, "   reproduce: no built-in scenario reproduces it")
		case ok:
			fmt.Fprintf(w, "   reproduce: msilab run --only %s\n     built-in scenario %s: %s\n", f.Scenario, f.Scenario, summary)
		default:
			fmt.Fprintf(w, "   reproduce: scenario %s (not in this build's built-in catalog)\n", f.Scenario)
		}
		if len(f.Fixes) > 0 {
			fmt.Fprintf(w, "   fixes: %s (msilab remediate --dry-run shows what they would run)\n", strings.Join(f.Fixes, ", "))
		} else if f.NoFix != "" {
			fmt.Fprintf(w, "   fixes: none on the host: %s\n", f.NoFix)
		} else {
			fmt.Fprintln(w, "   fixes: none on the host")
		}
		if f.Label != "" {
			fmt.Fprintf(w, "   evidence label %s; sources: %s\n", f.Label, strings.Join(f.Sources, ", "))
		}
	}
}

func remediateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab remediate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), remediateUsage); fs.PrintDefaults() }
	var hf hostFlags
	hf.register(fs)
	host := fs.Bool("host", true, "work on the host the endpoint flags name (always; accepted for symmetry with diagnose)")
	logFile := fs.String("log", "", `the failed install's verbose log, to guide the diagnosis ("-" reads stdin)`)
	dryRun := fs.Bool("dry-run", false, "print the plan and the exact PowerShell of each step; send no change")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	mutexWait := fs.Duration("mutex-wait", 0, "how long to wait for another install to release the execution mutex (0: report its holder)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("msilab remediate takes flags only, got %q", fs.Args())
	}
	if !*host {
		return usagef("msilab remediate always works on a host: drop --host=false")
	}
	if err := hf.check(); err != nil {
		return err
	}
	if hf.endpoint == "" {
		return usagef("msilab remediate needs the host: --endpoint (with --user and --password) is required")
	}
	if _, err := hf.toEndpoint(); err != nil {
		return err
	}
	var run *ops.MsiRun
	if *logFile != "" {
		text, err := readLog(ctx, *logFile)
		if err != nil {
			return err
		}
		run = logRun(text, hf.context)
	}
	s, err := hf.dialHost(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := remediation.Remediate(ctx, s, hf.target(), run, remediation.Options{DryRun: *dryRun, MutexWait: *mutexWait})
	if err != nil {
		if rep != nil && !*asJSON {
			printReport(stdout, rep, hf.endpoint)
		}
		return hf.hostError(err)
	}
	if *asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else if *dryRun {
		printPlan(stdout, rep, hf.endpoint)
	} else {
		printReport(stdout, rep, hf.endpoint)
	}
	if !*dryRun && !rep.Resolved {
		return &exitCodeError{code: 1}
	}
	return nil
}

// minConfidence is Remediate's default threshold (Options.MinConfidence 0).
const minConfidence = 0.5

// printFindingList prints the findings one line each, marking those
// below the threshold as reported only.
func printFindingList(w io.Writer, rep *remediation.Report) {
	if len(rep.Findings) == 0 {
		fmt.Fprintln(w, "findings: none: the host shows none of the causes msilab knows")
		return
	}
	fmt.Fprintln(w, "findings, highest confidence first:")
	for _, f := range rep.Findings {
		mark := ""
		if f.Confidence < minConfidence {
			mark = fmt.Sprintf(" [below %.2f: reported, not fixed]", minConfidence)
		}
		fmt.Fprintf(w, "  %-26s %.2f  %s%s\n", f.ID, f.Confidence, f.Summary, mark)
	}
}

func reportHeader(w io.Writer, rep *remediation.Report, endpoint string) {
	words := "host " + endpoint
	if rep.Before != nil {
		words = hostWords(rep.Before, endpoint)
	}
	fmt.Fprintf(w, "%s, install context %s\n", words, rep.Target.Context)
	printFindingList(w, rep)
}

// printPlan prints a dry run's plan with each step's exact PowerShell.
func printPlan(w io.Writer, rep *remediation.Report, endpoint string) {
	reportHeader(w, rep, endpoint)
	if len(rep.Plan) == 0 {
		fmt.Fprintln(w, "\nplan: nothing to do (no fix applies to a finding at confidence 0.50 or above)")
	} else {
		fmt.Fprintf(w, "\nplan (dry run: nothing was sent to the host), %s in the order they would be tried:\n", plural(len(rep.Plan), "step"))
	}
	for i, st := range rep.Plan {
		fmt.Fprintf(w, "\nstep %d: %s, for %s\n", i+1, st.Fix, st.Finding)
		fmt.Fprintf(w, "  fix:  %s\n", st.Summary)
		fmt.Fprintf(w, "  risk: %s: %s\n", st.Risk, st.RiskReason)
		if st.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", st.Note)
		}
		if st.RunAs != "" {
			fmt.Fprintf(w, "  run the install as: %s (changes how the install is run, not the machine)\n", st.RunAs)
		}
		if st.Wait {
			fmt.Fprintln(w, "  waits for the host (--mutex-wait)")
		}
		if st.PowerShell == "" {
			fmt.Fprintln(w, "  PowerShell: none (no change to the host)")
			continue
		}
		fmt.Fprintf(w, "  PowerShell it would run, elevated, on the host (%s; undone by %s):\n", opNames(st.Ops), orNone(opNames(st.Rollback)))
		fmt.Fprintf(w, "----- begin %s -----\n%s----- end %s -----\n", st.Fix, st.PowerShell, st.Fix)
	}
	if len(rep.Unresolved) > 0 {
		fmt.Fprintf(w, "\nthe host shows now: %s (run without --dry-run to fix; --json has the rollback PowerShell)\n", strings.Join(rep.Unresolved, ", "))
	}
}

// printReport prints what Remediate applied and the state's differences.
func printReport(w io.Writer, rep *remediation.Report, endpoint string) {
	reportHeader(w, rep, endpoint)
	if len(rep.Applied) == 0 {
		fmt.Fprintln(w, "\napplied: nothing")
	} else {
		fmt.Fprintln(w, "\napplied, in order:")
	}
	for i, a := range rep.Applied {
		state := "verified"
		switch {
		case a.RolledBack:
			state = "NOT verified, rolled back"
		case !a.Verified:
			state = "NOT verified"
		}
		fmt.Fprintf(w, "  %d. %s for %s (risk %s): %s\n", i+1, a.Fix, a.Finding, a.Risk, state)
		if len(a.Ops) > 0 {
			fmt.Fprintf(w, "     sent: %s\n", opNames(a.Ops))
		}
		if a.Error != "" {
			fmt.Fprintf(w, "     why: %s\n", a.Error)
		}
		if a.Note != "" {
			fmt.Fprintf(w, "     note: %s\n", a.Note)
		}
		if a.RunAs != "" {
			fmt.Fprintf(w, "     run the install as: %s\n", a.RunAs)
		}
	}
	if rep.RunAs != "" {
		fmt.Fprintf(w, "\nrerun the install in context %s: the fix changes how the install is run, not the machine\n", rep.RunAs)
	}
	if rep.Before != nil && rep.After != nil {
		before, after := remediation.Diff(rep.Before, rep.After)
		if len(before)+len(after) == 0 {
			fmt.Fprintln(w, "\nhost state: unchanged")
		} else {
			fmt.Fprintln(w, "\nhost state, before (-) and after (+):")
			for _, l := range before {
				fmt.Fprintf(w, "  - %s\n", l)
			}
			for _, l := range after {
				fmt.Fprintf(w, "  + %s\n", l)
			}
		}
	}
	if rep.Resolved {
		fmt.Fprintf(w, "\nresolved: no finding at confidence %.2f or above holds any more (%s)\n", minConfidence, plural(rep.Commands, "WinRM command"))
	} else {
		fmt.Fprintf(w, "\nunresolved: %s (%s)\n", orNone(strings.Join(rep.Unresolved, ", ")), plural(rep.Commands, "WinRM command"))
	}
}

func opNames(batch []ops.Op) string {
	names := make([]string, len(batch))
	for i, op := range batch {
		names[i] = op.Name
	}
	return strings.Join(names, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
