package remediation

import (
	"strings"

	"github.com/msilab/msilab/msilog"
)

// FindingServiceDisabled: msiserver is Disabled (docs/evidence.md#E-service-disabled).
const FindingServiceDisabled = "service-disabled"

// The client's "Failed to connect to server. Error: 0x…" names why the
// service could not be reached; each code points at one cause (the
// codes' meanings D, winerror.h; which cause writes which, G unless the
// cause says R).
const (
	hrAccessDenied    = "0x80070005" // E_ACCESSDENIED: the service refused the caller (R: docs/evidence.md#E-service-access)
	hrServiceDisabled = "0x80070422" // ERROR_SERVICE_DISABLED (1058)
	hrClassNotReg     = "0x80040154" // REGDB_E_CLASSNOTREG: no COM registration of the service
	hrNotInitialized  = "0x800401F0" // CO_E_NOTINITIALIZED
)

// hrStartFailed are start failures of a registered, enabled service.
var hrStartFailed = []string{
	"0x8007041D", // ERROR_SERVICE_REQUEST_TIMEOUT (1053)
	"0x8007042C", // ERROR_SERVICE_DEPENDENCY_FAIL (1068)
	"0x8007042A", // ERROR_SERVICE_SPECIFIC_ERROR (1066): the service's own start failure
	"0x80070002", // ERROR_FILE_NOT_FOUND: the image path names no file
	"0x80070003", // ERROR_PATH_NOT_FOUND
	"0x800706BA", // RPC_S_SERVER_UNAVAILABLE
	"0x8007042D", // ERROR_SERVICE_LOGON_FAILED (1069)
}

// sigConnect is the client's connection failure, with its code.
func sigConnect(codes ...string) Sig {
	if len(codes) == 0 {
		return Fact(msilog.FactConnectFailed)
	}
	return Fact(msilog.FactConnectFailed, ArgIn(0, codes...))
}

// connectCode is the first code a connection failure names ("" none).
func connectCode(in *Input) (string, msilog.Line) {
	for _, l := range in.All(sigConnect()) {
		if c := l.Arg(0); c != "" {
			return strings.ToUpper(strings.Replace(c, "0x", "0X", 1)), l
		}
	}
	return "", msilog.Line{}
}

func hrIs(code string, want ...string) bool {
	for _, w := range want {
		if strings.EqualFold(code, w) {
			return true
		}
	}
	return false
}

// serviceUnreached is the evidence that msiexec did not reach the
// service when the log names no code that points elsewhere: exit 1601,
// message 1719, or no log at all. ok is false otherwise.
func serviceUnreached(in *Input) (lines []msilog.Line, why string, ok bool) {
	if _, _, ok := userTemp1632(in); ok {
		return nil, "", false
	}
	code, cl := connectCode(in)
	if code != "" && !hrIs(code, hrServiceDisabled, hrClassNotReg, hrNotInitialized) {
		return nil, "", false // another cause's code (access denied, a start failure)
	}
	m1719, has1719 := in.First(Msg(1719))
	switch {
	case in.Exit == 1601 || has1719:
		lines = in.exitLines()
		if has1719 {
			lines = append(lines, m1719)
		}
		if code != "" {
			lines = append(lines, cl)
		}
		why := "exit 1601 (ERROR_INSTALL_SERVICE_FAILURE, D)"
		if in.Exit != 1601 {
			why = "message 1719 (the Windows Installer service could not be accessed, D)"
		}
		if in.Empty {
			why += " and no log"
		} else if !in.Has(Server(anyLine)) {
			why += " and no service (MSI (s)) line"
		}
		return lines, why, true
	case in.Empty && in.Exit < 0:
		return nil, "no verbose log at all: msiexec could not reach the Windows Installer service", true
	}
	return nil, "", false
}

func serviceAmbiguity(in *Input) string {
	if in.State != nil {
		return ""
	}
	return "a log cannot tell a disabled service from an unregistered one: diagnose the host"
}

// serviceHost is the service causes' host condition.
func serviceHost(id string) func(h *HostView) HostVerdict {
	return func(h *HostView) HostVerdict {
		problem := h.Sig.serviceProblem
		v := HostVerdict{Run: sign(problem == id), Holds: problem == id, Evidence: []string{h.Sig.serviceEv}}
		if id == FindingServiceUnresponsive {
			if problem == "" && h.In != nil && h.In.Exit == 1601 {
				v.Run = 1 // configured right, yet not reached
			}
			v.Holds = problem == id || h.St.Service.State != "Running"
		}
		if problem == id {
			v.Alone = confState
		}
		return v
	}
}

func init() {
	RegisterCause(Cause{
		ID:       FindingServiceDisabled,
		Rank:     60,
		Summary:  `the Windows Installer service (msiserver) is Disabled: msiexec cannot reach it (exit 1601)`,
		Label:    "R, events G",
		Sources:  []string{"docs/evidence.md#E-service-disabled", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes"},
		Scenario: "service-disabled",
		Fixes:    []string{"service-manual-start", "reregister-service"},
		RuledOutBy: "msiserver's start type not Disabled (msilab diagnose --host); a client line 'Failed to connect to server. Error: 0x80070005' " +
			"is access denied (service-access-denied), 0x80040154 or 0x800401F0 an unregistered service",
		Signature: []Sig{Exit(1601), Msg(1719), sigConnect(hrServiceDisabled)},
		Log: func(in *Input) *LogVerdict {
			if l, ok := in.First(sigConnect(hrServiceDisabled)); ok {
				return &LogVerdict{Confidence: 0.85, Lines: append([]msilog.Line{l}, in.exitLines()...),
					Notes: []string{hrServiceDisabled + " is ERROR_SERVICE_DISABLED (1058, D)"}}
			}
			lines, why, ok := serviceUnreached(in)
			if !ok || hrIs(firstCode(in), hrClassNotReg, hrNotInitialized) {
				return nil
			}
			return &LogVerdict{Confidence: 0.4, Lines: lines, Notes: []string{why, serviceAmbiguity(in)}}
		},
		Probes: probes(msiserverGet()),
		Host:   serviceHost(FindingServiceDisabled),
	})
}

func firstCode(in *Input) string { c, _ := connectCode(in); return c }
