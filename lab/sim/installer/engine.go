// Package installer is the simulated host's Windows Installer engine. It
// reads a real .msi, checks service, policy, mutex and context, walks the
// InstallExecuteSequence, makes the access checks Windows makes through
// the model's tokens and ACLs, and produces what docs/evidence.md describes:
// the exit code, the messages, a verbose log in Windows' format, and the
// MsiInstaller events. On success the package's files and registry values
// are in the model and the product is registered.
//
// Every behaviour is a Rule (rules.go) with its evidence label; a Result
// names the rules that decided it.
package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/msi"
	"github.com/msilab/msilab/win"
)

// Action is what msiexec is asked to do.
type Action string

// Actions.
const (
	Install   Action = "install"
	Uninstall Action = "uninstall"
)

// UILevel is the msiexec UI level.
type UILevel string

// UI levels: none is /qn; full shows dialogs, and the lab accepts a UAC prompt.
const (
	UINone UILevel = "none"
	UIFull UILevel = "full"
)

// Request is one msiexec run.
type Request struct {
	Action Action
	// Package is the .msi's path on the model (install, or uninstall by path).
	Package string
	// ProductCode names the product to uninstall when Package is "".
	ProductCode string
	// Token is the client's token, as the install context gives it.
	Token *win.Token
	// User is the client's account name ("" for SYSTEM).
	User string
	UI   UILevel
	// Properties are public properties from the command line.
	Properties map[string]string
	// LogPath is the /L*v path shown on the command line ("" is msiexec.log).
	LogPath string
	// NoRestart is msiexec's /norestart (REBOOT=ReallySuppress): a restart
	// the package asks for is reported as 3010, never made.
	NoRestart bool
}

// Result is what the run produced.
type Result struct {
	ExitCode    ExitCode
	Messages    []Message // errors raised, in order
	Log         string    // "" when msiexec wrote none
	Events      []model.Event
	Rules       []string // the rules that decided the outcome, in order
	CommandLine string
}

// ErrRequest is wrapped by errors for requests that cannot be run at all.
var ErrRequest = errors.New("installer: invalid request")

// Run runs msiexec on m. A failed install is a Result with its exit code;
// the error is for requests that make no sense (no token, no package).
func Run(ctx context.Context, m *model.Machine, req Request) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.Token == nil {
		return nil, fmt.Errorf("%w: no token", ErrRequest)
	}
	switch req.Action {
	case Install:
		if req.Package == "" {
			return nil, fmt.Errorf("%w: install needs a package", ErrRequest)
		}
	case Uninstall:
		if req.Package == "" && packGUID(req.ProductCode) == "" {
			return nil, fmt.Errorf("%w: uninstall needs a package or a product code {GUID}", ErrRequest)
		}
	default:
		return nil, fmt.Errorf("%w: unknown action %q", ErrRequest, req.Action)
	}
	if req.UI == "" {
		req.UI = UINone
	}
	r := &run{m: m, req: req, res: &Result{CommandLine: commandLine(req)}}
	r.ev = &events{m: m, user: req.Token.User}
	r.res.ExitCode = r.main()
	r.res.Events = r.ev.out
	if r.log != nil {
		r.res.Log = r.log.String()
	}
	return r.res, nil
}

// commandLine is the msiexec command line the request stands for.
func commandLine(req Request) string {
	target := req.Package
	if target == "" {
		target = req.ProductCode
	}
	verb, ui := "/i", "/qn"
	if req.Action == Uninstall {
		verb = "/x"
	}
	if req.UI == UIFull {
		ui = ""
	}
	log := req.LogPath
	if log == "" {
		log = "msiexec.log"
	}
	parts := []string{"msiexec.exe", verb, `"` + target + `"`}
	if ui != "" {
		parts = append(parts, ui)
	}
	if req.NoRestart {
		parts = append(parts, "/norestart")
	}
	parts = append(parts, "/L*v", `"`+log+`"`)
	for _, k := range sortedKeys(req.Properties) {
		parts = append(parts, k+`="`+req.Properties[k]+`"`)
	}
	return strings.Join(parts, " ")
}

// run is one msiexec run in progress.
type run struct {
	m   *model.Machine
	req Request
	res *Result
	log *verboseLog
	ev  *events

	pkg        *pkg
	pkgPath    string
	installed  *product // the product as registered before the run
	props      map[string]string
	dirs       map[string]string // Directory -> resolved path with trailing '\'
	perMachine bool
	elevated   bool
	maint      bool // maintenance mode: the same package is installed
	remove     bool // REMOVE=ALL
	// sourceNeeded: a removal by product code whose cached package is gone
	// needs the source (resolveSource).
	sourceNeeded bool

	initialized bool // InstallInitialize began the install
	marked      bool // the in-progress marker was written
	pathMissing bool // the marker's write found no path (its scratch folder is missing)
	script      []scriptOp
	undo        []func() // rollback, newest last
	failed      bool
	restart     bool // ScheduleReboot or a suppressed ForceReboot: a restart is due at the end
}

func (r *run) rule(id string) { r.res.Rules = append(r.res.Rules, id) }

// raise records a message raised by the service's engine: in the log,
// the result and the events.
func (r *run) raise(msg Message, args ...string) { r.raiseOn(r.log.s, msg, args...) }

// raiseOn records a message written by a side of the log (write is the
// client's or the engine thread's line writer). An internal error is
// written as its DEBUG line, then the text a UI shows, ending with the
// arguments; an authored one as its "Product:" line, a blank line, then
// "Error N. text". In a package without an Error table each message's
// lookup adds its 2205 and 2228 notes, the product line's as message 1709
// (R: lithnet/ad-password-protection#43, microsoft/winget-pkgs#196915 and
// #373544; docs/evidence.md#E-log).
func (r *run) raiseOn(write func(string, ...any), msg Message, args ...string) {
	text := format(msg.Text(), args)
	r.res.Messages = append(r.res.Messages, msg)
	noTable := r.pkg != nil && !r.pkg.errorTable
	if noTable {
		r.log.errorTableNotes(write, int(msg))
	}
	shown := text
	if msg.Internal() {
		shown = internalText(msg, args)
		r.log.line(fmt.Sprintf("DEBUG: Error %d:  %s", int(msg), text))
		r.log.line(shown)
	} else {
		shown = fmt.Sprintf("Error %d. %s", int(msg), text)
	}
	if noTable {
		r.log.errorTableNotes(write, 1709)
	}
	if r.pkg != nil {
		write("Product: %s -- %s", r.productName(), shown)
		r.log.line("")
		r.ev.errorEvent(r.productName(), msg, args)
	}
	if !msg.Internal() {
		r.log.line(shown)
	}
}

// internalText is what a UI shows for an internal error, and what event
// 10005 says: the error code, then its first three arguments (R: "The
// arguments are: , , " for 2502 and 2503, microsoft/PowerToys#8123;
// "110, R:\PowerToysSetup.msi, " for 2755, microsoft/PowerToys#316).
func internalText(msg Message, args []string) string { return englishTexts.internalError(msg, args) }

// productName is the package's ProductName.
func (r *run) productName() string {
	if n, ok := r.props["ProductName"]; ok {
		return n
	}
	if r.pkg != nil {
		return r.pkg.props["ProductName"]
	}
	return ""
}

// format fills "[n]" with args (args[0] is [2], as msi.dll numbers them).
func format(text string, args []string) string {
	for i := len(args) - 1; i >= 0; i-- {
		text = strings.ReplaceAll(text, fmt.Sprintf("[%d]", i+2), args[i])
	}
	return text
}

// main runs the client, then the server, and returns the exit code.
func (r *run) main() ExitCode {
	// The service first: a client that cannot reach it writes no log (R).
	svc, ok := r.service()
	if !ok {
		r.res.Messages = append(r.res.Messages, MsgServiceAccess)
		return ExitServiceFailure
	}
	r.log = newVerboseLog(r.m, r.m.NewProcessID(), svc.PID)
	r.log.start(`C:\Windows\system32\msiexec.exe`)
	defer r.log.stop()
	if !r.clientTemp() {
		r.rule(RuleClientTemp)
		return ExitTempUnwritable
	}
	r.log.c("Resetting cached policy values")
	r.log.c("Machine policy value 'Debug' is 0")
	r.log.runEngine(r.log.c, r.target())
	if v, _ := r.policy(policyKey, "DisableMSI"); v == 2 {
		r.rule(RuleDisableMSIAlways)
		r.log.c("Machine policy value 'DisableMsi' is 2")
		return r.clientReturn(ExitPackageRejected)
	}
	if code, ok := r.openPackage(); !ok {
		return r.clientReturn(code)
	}
	// A /qn client hands the whole install to the service, in a
	// transaction that holds the execution mutex (R: the Windows 10 log of
	// docs/evidence.md#E-log).
	r.log.c("Client-side and UI is none or basic: Running entire install on the server.")
	owner := fmt.Sprintf("msiexec.exe (PID %d)", r.log.server[0])
	if err := r.m.Mutexes().Acquire(mutexExecute, owner, time.Time{}); err != nil {
		// R: the two client lines follow each other in a /qn log
		// (microsoft/PowerToys#15191); with a UI, message 1500 is shown
		// and logged with its product line (keybase/client#23980).
		r.rule(RuleExecutionMutex)
		r.log.c("Failed to grab execution mutex. System error 258.")
		r.res.Messages = append(r.res.Messages, MsgAnotherInstall)
		if r.req.UI == UIFull {
			text := fmt.Sprintf("Error %d. %s", int(MsgAnotherInstall), MsgAnotherInstall.Text())
			r.log.line(text)
			r.log.c("Product: %s -- %s", r.productName(), text)
			r.log.line("")
		}
		return r.clientReturn(ExitAlreadyRunning)
	}
	defer r.m.Mutexes().Release(mutexExecute)
	if !r.connect() {
		return r.clientReturn(ExitServiceFailure)
	}
	r.log.c("Grabbed execution mutex.")
	r.log.c("Cloaking enabled.")
	r.log.c("Attempting to enable all disabled privileges before calling Install on Server")
	r.log.c("Incrementing counter to disable shutdown. Counter after increment: 0")
	code := r.server()
	if code == errOpenFailed {
		// The service could not stage the package: the client reports
		// 2755 with the service's error (R: docs/evidence.md#E-installer-missing).
		r.rule(RuleInstallerMissing)
		r.log.line(errOpenFailedText)
		r.log.note("c", MsgServerError, strconv.Itoa(int(code)), r.pkgPath)
		r.raiseOn(r.log.c, MsgServerError, strconv.Itoa(int(code)), r.pkgPath)
		code = ExitInstallFailure
	}
	r.log.c("Decrementing counter to disable shutdown. If counter >= 0, shutdown will be denied.  Counter after decrement: -1")
	r.log.c("MainEngineThread is returning %d", int(code))
	return code
}

func (r *run) clientReturn(code ExitCode) ExitCode {
	r.log.c("MainEngineThread is returning %d", int(code))
	return code
}

func (r *run) target() string {
	if r.req.Package != "" {
		return r.req.Package
	}
	return r.req.ProductCode
}

// service reaches msiserver: a disabled or unregistered service fails the
// client (1601); a stopped demand-start one is started by the COM call.
func (r *run) service() (model.ServiceStatus, bool) {
	st, err := r.m.Services().Query("msiserver")
	if err != nil || st.Config.Start == win.StartDisabled || st.MarkedForDelete {
		r.rule(RuleServiceUnavailable)
		return st, false
	}
	if st.State != model.ServiceRunning {
		if err := r.m.Services().Activate("msiserver"); err != nil {
			r.rule(RuleServiceUnavailable)
			return st, false
		}
		st, _ = r.m.Services().Query("msiserver")
		if st.State != model.ServiceRunning { // hung in StartPending: the COM call fails (G)
			r.rule(RuleServiceUnavailable)
			return st, false
		}
		r.rule(RuleServiceDemandStart)
	}
	// The service, once it has served a client, holds a handle inside
	// C:\Windows\Installer while it idles, until it stops (G:
	// docs/evidence.md#E-installer-handles): renaming the folder fails then.
	r.m.Services().HoldOpen("msiserver", `C:\Windows\Installer`)
	return st, true
}

// clientTemp checks the client can create its temporary files in %TEMP%.
func (r *run) clientTemp() bool {
	dir := r.clientTempDir()
	fi, err := r.m.FS().Stat(dir)
	if err != nil || !fi.Dir {
		return false
	}
	got, err := r.m.FS().Access(r.req.Token, dir)
	return err == nil && got&win.FileAddFile != 0
}

// clientTempDir is %TEMP% of the client: the profile's for a user, the
// system's for LocalSystem (G: a task run as SYSTEM gets C:\Windows\Temp).
func (r *run) clientTempDir() string {
	if r.req.Token.Kind == win.KindSystem {
		return `C:\Windows\Temp`
	}
	return r.profile() + `\AppData\Local\Temp`
}

func (r *run) profile() string {
	if r.req.Token.Kind == win.KindSystem {
		return `C:\Windows\system32\config\systemprofile`
	}
	if u, ok := r.m.Users().Lookup(r.req.User); ok && u.Profile != "" {
		return u.Profile
	}
	return `C:\Users\` + r.req.User
}

// Policy values (D: "Windows Installer policy" registry values).
const (
	policyKey     = `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`
	userPolicyKey = `HKCU\SOFTWARE\Policies\Microsoft\Windows\Installer`
)

func (r *run) policy(key, name string) (uint64, bool) {
	v, err := r.m.Registry().GetValue(r.req.Token, key, name)
	if err != nil {
		return 0, false
	}
	return v.Num, true
}

// STG_E_* results msi.dll prints in its 2203 notes (D: winerror.h).
const (
	stgFileNotFound   = "-2147287038" // STG_E_FILENOTFOUND
	stgPathNotFound   = "-2147287037" // STG_E_PATHNOTFOUND
	stgAccessDenied   = "-2147287035" // STG_E_ACCESSDENIED
	stgNotStorageFile = "-2147286960" // STG_E_FILEALREADYEXISTS: exists, not a compound file (G)
)

// openPackage reads the package as the client (install, or uninstall by
// path) or finds the installed product's cached package (uninstall by code).
func (r *run) openPackage() (ExitCode, bool) {
	path := r.req.Package
	tok := r.req.Token
	if path == "" {
		p, ok := findProduct(r.m, r.req.ProductCode, r.req.Token.User)
		if !ok {
			r.rule(RuleNotInstalled)
			return ExitUnknownProduct, false
		}
		r.installed = &p
		path, tok = p.localPackage, win.SystemToken()
		if !r.m.FS().Exists(path) {
			// The cached package is gone: the service looks for the
			// source instead (resolveSource).
			r.sourceNeeded = true
			return 0, true
		}
	}
	data, err := r.m.FS().ReadFile(tok, path)
	if err != nil {
		hr := stgFileNotFound
		if errors.Is(err, model.ErrAccessDenied) {
			hr = stgAccessDenied
		} else if errors.Is(err, model.ErrPathNotFound) {
			hr = stgPathNotFound
		}
		r.rule(RulePackageOpen)
		r.log.note("c", MsgCannotOpenDB, path, hr)
		return ExitPackageOpenFailed, false
	}
	db, err := msi.Open(bytes.NewReader(data), int64(len(data)))
	var p *pkg
	if err == nil {
		p, err = loadPackage(db)
	}
	if err != nil {
		r.rule(RulePackageOpen)
		r.log.note("c", MsgCannotOpenDB, path, stgNotStorageFile)
		return ExitPackageInvalid, false
	}
	r.pkg, r.pkgPath = p, path
	if r.installed == nil {
		if inst, ok := findProduct(r.m, p.props["ProductCode"], r.req.Token.User); ok {
			r.installed = &inst
		}
	}
	if r.req.Action == Uninstall && r.installed == nil {
		r.rule(RuleNotInstalled)
		return ExitUnknownProduct, false
	}
	return 0, true
}
