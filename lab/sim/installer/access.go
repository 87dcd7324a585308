package installer

import (
	"fmt"

	"github.com/msilab/msilab/win"
)

// The client's connection to the Windows Installer service
// (docs/evidence.md#E-service-access, R). A silent install hands the whole
// install to the service, and the service refuses a client whose token is
// not an administrator's (or SYSTEM's), nor from an interactive logon or a
// service: a standard user's (or UAC-filtered admin's) msiexec from a
// scheduled task (BATCH) or over WinRM or SSH (NETWORK). The client then
// logs the failure and exits with 1601; the service writes nothing.

// MsgServerConnect is the internal error the client logs when it cannot
// connect to the service (R: its argument is the HRESULT).
const MsgServerConnect Message = 2774

// serviceSDDL is the DACL the client's connection is checked against.
// Its principals are SYSTEM, Administrators, INTERACTIVE and SERVICE (R:
// Dino9021/dev-workstation install.ps1 measured the Windows Installer
// service's ACL as granting BA, IU and SU "to nobody else", and SYSTEM
// holds BA). The rights are Windows' usual service descriptor (G: no
// public `sc sdshow msiserver` dump).
const serviceSDDL = "D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)"

// serviceQueryStatus is the right the connection needs: SERVICE_QUERY_STATUS
// (G: which right the service checks is not public; IU and SU hold this one
// and not SERVICE_START, and the service is started on a standard user's
// behalf, so starting it cannot be what is checked).
const serviceQueryStatus win.AccessMask = 0x4

var serviceSD = win.MustParseSDDL(serviceSDDL)

// accessDenied is E_ACCESSDENIED as the client prints it.
const accessDenied = "0x80070005"

// connect is the client's connection to the service, after it has grabbed
// the execution mutex. A refused client writes what the public log shows,
// line for line, and the run ends with 1601.
func (r *run) connect() bool {
	if _, ok := win.AccessCheck(&serviceSD, r.req.Token, serviceQueryStatus, win.GenericMapping{}); ok {
		return true
	}
	r.rule(RuleServiceAccess)
	r.res.Messages = append(r.res.Messages, MsgServerConnect)
	r.log.c("Grabbed execution mutex.")
	r.log.c("Failed to connect to server. Error: %s", accessDenied)
	r.log.line("")
	r.log.c("Note: 1: %d 2: %s ", int(MsgServerConnect), accessDenied)
	r.log.line(fmt.Sprintf("1: %d 2: %s ", int(MsgServerConnect), accessDenied))
	r.log.c("Failed to connect to server.")
	return false
}
