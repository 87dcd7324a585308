package sim

import (
	"io"
	"time"

	"github.com/msilab/msilab/win"
)

// Defaults that mirror a stock Windows WinRM service (winrm get winrm/config).
const (
	DefaultUser              = "msilab"
	DefaultPassword          = "Msilab-Passw0rd!"
	DefaultMaxEnvelopeSizeKB = 500
	DefaultMaxShellsPerUser  = 30
	// DefaultMaxMemoryPerShellMB is WinRS's default (D: MS-WSMV WinrsType);
	// the simulated host reports it and does not enforce it.
	DefaultMaxMemoryPerShellMB = 1024
	// DefaultDiskSizeBytes and DefaultDiskFreeBytes are the system drive's
	// (G: a lab VM's 127 GB disk, Hyper-V's default, about half free).
	DefaultDiskSizeBytes = 127 << 30
	DefaultDiskFreeBytes = 64 << 30
	DefaultMaxTimeout    = 60 * time.Second
	DefaultIdleTimeout   = 7200 * time.Second
	DefaultBodyTimeout   = 30 * time.Second
)

// Options configure a simulated Windows host's WinRM service.
type Options struct {
	// Addr to listen on, such as "127.0.0.1:5985". Port 0 picks a free port.
	Addr string
	// HTTPS serves TLS with a self-signed certificate made at start.
	HTTPS bool
	// User and Password of the local administrator that WinRM accepts
	// (Basic and NTLM). Empty means DefaultUser / DefaultPassword.
	User     string
	Password string
	// OS is the OS profile name (profiles arrive with the Windows model).
	OS string
	// Profile, when set, is the OS profile itself (one read from a file,
	// such as msilab profile capture writes); OS is then ignored.
	Profile *win.Profile
	// Hostname reported by the host; empty derives one from the OS profile.
	Hostname string
	// Locale is the display language of the host's messages: "" or
	// "en-US", or "de-DE", whose MsiInstaller event messages are German
	// (their structured data is the same; docs/evidence.md#E-localized-events).
	Locale string
	// LanguageMode is PowerShell's language mode on the host: "" or
	// LanguageFull, or LanguageConstrained (as a WDAC or AppLocker policy
	// sets it), in which the op module cannot run
	// (docs/evidence.md#E-module-policy).
	LanguageMode string
	// MachinePolicy, when set, is the execution policy Group Policy's "Turn
	// on Script Execution" sets for the machine: "AllSigned",
	// "RemoteSigned", "Unrestricted", or "Restricted" (scripts turned off),
	// written to the host's registry as that policy writes it.
	MachinePolicy string
	// MaxEnvelopeSizeKB caps a request body (HTTP 413 past it).
	MaxEnvelopeSizeKB int
	// MaxShellsPerUser caps open shells per user (w:QuotaLimit past it).
	MaxShellsPerUser int
	// MaxMemoryPerShellMB is reported by host.health (not enforced).
	MaxMemoryPerShellMB int
	// DiskSizeBytes and DiskFreeBytes are the system drive's, as host.health reports them.
	DiskSizeBytes, DiskFreeBytes uint64
	// Clock replaces the machine's clock (default: the OS profile's
	// clock_start plus one millisecond per read, so runs repeat exactly).
	Clock func() time.Time
	// MaxTimeout caps a client's OperationTimeout, as Windows does (60 s).
	MaxTimeout time.Duration
	// IdleTimeout closes a shell unused for this long.
	IdleTimeout time.Duration
	// BodyTimeout bounds reading a request's body: a client that sends it
	// slower has its connection closed (authenticated or not).
	BodyTimeout time.Duration
	// ErrorLog receives connection-level errors (TLS handshakes, broken
	// connections); nil discards them.
	ErrorLog io.Writer
}

// PowerShell language modes (D: about_Language_Modes).
const (
	LanguageFull        = "FullLanguage"
	LanguageConstrained = "ConstrainedLanguage"
)

func (o Options) logOutput() io.Writer {
	if o.ErrorLog == nil {
		return io.Discard
	}
	return o.ErrorLog
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:5985"
	}
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.MaxEnvelopeSizeKB <= 0 {
		o.MaxEnvelopeSizeKB = DefaultMaxEnvelopeSizeKB
	}
	if o.MaxShellsPerUser <= 0 {
		o.MaxShellsPerUser = DefaultMaxShellsPerUser
	}
	if o.MaxMemoryPerShellMB <= 0 {
		o.MaxMemoryPerShellMB = DefaultMaxMemoryPerShellMB
	}
	if o.DiskSizeBytes == 0 {
		o.DiskSizeBytes = DefaultDiskSizeBytes
	}
	if o.DiskFreeBytes == 0 {
		o.DiskFreeBytes = min(DefaultDiskFreeBytes, o.DiskSizeBytes)
	}
	if o.MaxTimeout <= 0 {
		o.MaxTimeout = DefaultMaxTimeout
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	return o
}
