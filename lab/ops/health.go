package ops

// Reads for msilab doctor's checks of a host before a run.
const (
	OpHostHealth = "host.health"
	OpUserRights = "user.rights"
)

// HostHealth is what host.health returns: PowerShell's version and
// language mode, the host's clock, the system drive's free space and the
// WinRM limits that bound what msilab sends.
type HostHealth struct {
	PSVersion    string      `json:"ps_version"`    // $PSVersionTable.PSVersion, e.g. 5.1.22621.4391
	LanguageMode string      `json:"language_mode"` // FullLanguage, ConstrainedLanguage...
	ClockUTC     string      `json:"clock_utc"`     // RFC 3339 with fractional seconds
	SystemDrive  string      `json:"system_drive"`  // C:
	FreeBytes    uint64      `json:"free_bytes"`
	SizeBytes    uint64      `json:"size_bytes"`
	WinRM        WinRMLimits `json:"winrm"`
}

// WinRMLimits are the WinRM service's limits (WSMan:\localhost; 0 is no
// limit where Windows allows it).
type WinRMLimits struct {
	MaxEnvelopeSizeKB   int `json:"max_envelope_size_kb"`
	MaxMemoryPerShellMB int `json:"max_memory_per_shell_mb"`
	MaxShellsPerUser    int `json:"max_shells_per_user"`
}

// UserRights is what user.rights returns: the user rights (logon rights
// and privileges, e.g. SeBatchLogonRight, SeDenyBatchLogonRight) that the
// local security policy assigns to the account or to a group it belongs
// to, sorted. Exists is false for an unknown account.
type UserRights struct {
	Name   string   `json:"name"`
	Exists bool     `json:"exists"`
	SID    string   `json:"sid,omitempty"`
	Rights []string `json:"rights"`
}
