package ops

// OpHostInfo reads the host's OS, build, msi.dll version and current token.
const OpHostInfo = "host.info"

// HostInfo is the result of host.info.
type HostInfo struct {
	Hostname       string `json:"hostname"`
	ProductName    string `json:"product_name"`
	Edition        string `json:"edition"`
	Build          string `json:"build"`
	DisplayVersion string `json:"display_version"`
	MsiVersion     string `json:"msi_version"`
	User           string `json:"user"` // HOST\user, as WindowsIdentity.Name spells it
	UserSID        string `json:"user_sid"`
	Elevated       bool   `json:"elevated"`
	// Profile is the msilab OS profile (simulated hosts; empty on real ones).
	Profile string `json:"profile,omitempty"`
}

// OpHostLicense reads the Windows licence: what `slmgr /dli` shows.
const OpHostLicense = "host.license"

// Licence states: SoftwareLicensingProduct.LicenseStatus 0 to 6 by name
// (https://learn.microsoft.com/previous-versions/windows/desktop/sppwmi/softwarelicensingproduct).
var LicenseStatuses = []string{"Unlicensed", "Licensed", "OOBGrace", "OOTGrace", "NonGenuineGrace", "Notification", "ExtendedGrace"}

// HostLicense is the licence of the Windows product that has a product
// key: the SoftwareLicensingProduct CIM instance of Windows' application ID
// that `slmgr /dli` reads. An evaluation licence runs on real time, and a
// snapshot revert does not give it back.
type HostLicense struct {
	Name        string `json:"name"`        // e.g. "Windows(R), ServerStandardEval edition"
	Description string `json:"description"` // e.g. "Windows(R) Operating System, TIMEBASED_EVAL channel"
	// Channel is ProductKeyChannel: Retail, OEM:DM, Volume:GVLK, Volume:MAK...
	Channel string `json:"channel"`
	// Status is LicenseStatus by name (LicenseStatuses).
	Status string `json:"status"`
	// Evaluation: a time-based evaluation licence (the description's
	// TIMEBASED_EVAL channel).
	Evaluation bool `json:"evaluation"`
	// GraceMinutes is GracePeriodRemaining: the minutes left in the
	// current period (evaluation, or activation grace); 0 when none.
	GraceMinutes int64 `json:"grace_minutes"`
	// EvaluationEnd is EvaluationEndDate in RFC 3339 UTC, "" when none.
	EvaluationEnd string `json:"evaluation_end,omitempty"`
	// ReadAt is the host's clock when this was read, RFC 3339 UTC.
	ReadAt string `json:"read_at"`
}
