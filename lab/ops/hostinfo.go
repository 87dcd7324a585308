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
