package sim

import (
	"fmt"
	"net/http"
)

// wsmanFault is a WS-Management fault as Windows sends it: HTTP 500 (400
// for a malformed request), a SOAP 1.2 fault with a subcode, and a
// wsmanfault detail with Windows' error code.
type wsmanFault struct {
	status  int
	code    string // s:Sender or s:Receiver
	subcode string // e.g. w:TimedOut
	wsman   uint32 // f:WSManFault Code
	reason  string
}

func (f *wsmanFault) Error() string {
	return fmt.Sprintf("wsman fault %s (%d): %s", f.subcode, f.wsman, f.reason)
}

// The fault codes below are those Windows' WinRM service returns (see
// docs/winrm.md, "Faults"); texts are Windows' messages.

func faultTimedOut() *wsmanFault {
	return &wsmanFault{http.StatusInternalServerError, "s:Receiver", "w:TimedOut", 2150858793,
		"The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "}
}

func faultInvalidSelectors(msg string) *wsmanFault {
	return &wsmanFault{http.StatusInternalServerError, "s:Sender", "w:InvalidSelectors", 2150858843,
		"The WS-Management service cannot process the request because the request contained invalid selectors for the resource. " + msg}
}

func faultQuota(max int) *wsmanFault {
	return &wsmanFault{http.StatusInternalServerError, "s:Receiver", "w:QuotaLimit", 2150859173,
		fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.  ", max)}
}

func faultCommandLineTooLong() *wsmanFault {
	return &wsmanFault{http.StatusInternalServerError, "s:Receiver", "w:InternalError", 2147942606,
		"The filename or extension is too long.  "}
}

func faultInvalidXML(detail string) *wsmanFault {
	return &wsmanFault{http.StatusBadRequest, "s:Sender", "w:SchemaValidationError", 2150858817,
		"The WS-Management service cannot process the request because the XML is invalid: " + detail}
}

func faultInvalidHeader(msg string) *wsmanFault {
	return &wsmanFault{http.StatusBadRequest, "s:Sender", "a:InvalidMessageInformationHeader", 2150858817,
		"The WS-Management service cannot process the request: " + msg}
}

func faultActionNotSupported(action string) *wsmanFault {
	return &wsmanFault{http.StatusInternalServerError, "s:Sender", "a:ActionNotSupported", 2150858770,
		"The WS-Management service cannot process the request. The action is not supported by the simulated host: " + action}
}

func faultBadResource(uri string) *wsmanFault {
	return &wsmanFault{http.StatusInternalServerError, "s:Sender", "w:InvalidParameter", 2150858811,
		"The WS-Management service cannot process the request. The simulated host only serves the cmd shell resource (" + resourceCmd + "), not: " + uri}
}

func faultInvalidCommand(msg string) *wsmanFault {
	return &wsmanFault{http.StatusInternalServerError, "s:Sender", "w:InvalidParameter", 2150858811,
		"The WS-Management service cannot process the request. " + msg}
}
