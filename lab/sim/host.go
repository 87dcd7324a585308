package sim

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// Host is one simulated Windows machine: its model and what runs on it.
type Host struct {
	m     *model.Machine
	admin string

	licenseMu sync.Mutex
	license   *ops.HostLicense // nil: DefaultLicense
	opts      Options          // the WinRM limits and disk host.health reports

	hvOnce sync.Once
	hv     *hyperV // the VMs of a simulated Hyper-V host (nil: none)

	commands commandLog // how clients started their commands
	batches  batchLocks // one send at a time per batch ID (batchrecord.go)
}

// Session is who runs a command, and in which shell.
type Session struct {
	User     string
	Codepage string
}

// NewHost builds a simulated host from opts (OS profile, hostname, admin account).
func NewHost(opts Options) (*Host, error) {
	opts = opts.withDefaults()
	m, err := model.New(model.Options{Profile: opts.OS, ProfileData: opts.Profile, Hostname: opts.Hostname, AdminUser: opts.User, AdminPassword: opts.Password, Clock: opts.Clock,
		Locale: opts.Locale})
	if err != nil {
		return nil, err
	}
	if err := setMachinePolicy(m, opts.MachinePolicy); err != nil {
		return nil, err
	}
	switch opts.LanguageMode {
	case "", LanguageFull, LanguageConstrained:
	default:
		return nil, fmt.Errorf("sim: language mode %q: want %s or %s", opts.LanguageMode, LanguageFull, LanguageConstrained)
	}
	return &Host{m: m, admin: opts.User, opts: opts}, nil
}

// setMachinePolicy writes what Group Policy's "Turn on Script Execution"
// writes for the machine: EnableScripts 0 for Restricted, else 1 and the
// ExecutionPolicy (R: the policy's registry values,
// docs/evidence.md#E-module-policy).
func setMachinePolicy(m *model.Machine, policy string) error {
	if policy == "" {
		return nil
	}
	key := `HKLM\` + psPolicyKey
	sys := win.SystemToken()
	if err := m.Registry().CreateKey(sys, key); err != nil {
		return err
	}
	switch policy {
	case "Restricted":
		return m.Registry().SetValue(sys, key, model.DWORD("EnableScripts", 0))
	case "AllSigned", "RemoteSigned", "Unrestricted":
		if err := m.Registry().SetValue(sys, key, model.DWORD("EnableScripts", 1)); err != nil {
			return err
		}
		return m.Registry().SetValue(sys, key, model.SZ("ExecutionPolicy", policy))
	}
	return fmt.Errorf("sim: machine execution policy %q: want AllSigned, RemoteSigned, Unrestricted or Restricted", policy)
}

// Hostname is the machine's NetBIOS name.
func (h *Host) Hostname() string { return h.m.Hostname() }

// Profile is the OS profile the host was built from.
func (h *Host) Profile() win.Profile { return h.m.Profile() }

// Machine is the host's Windows model.
func (h *Host) Machine() *model.Machine { return h.m }

// token is the token a WinRM command of s runs with: the administrator's
// full token. WinRM admits local administrators only with an elevated token
// (remote UAC filtering is lifted by LocalAccountTokenFilterPolicy=1, which
// lab images set; D: "User Account Control and remote restrictions").
//
// An account that is not an administrator (a member of Remote Management
// Users, which WinRM's default RootSDDL also admits) gets its standard
// token (G; D for the group: "Installation and configuration for Windows
// Remote Management").
func (h *Host) token(s Session) (*win.Token, error) {
	user := bareUser(s.User)
	if u, ok := h.m.Users().Lookup(user); ok && !u.Admin {
		return h.m.Token(win.KindStandardUser, user)
	}
	return h.m.Token(win.KindAdminElevated, user)
}

func (h *Host) userProfile(user string) string { return `C:\Users\` + bareUser(user) }

func (h *Host) userTemp(user string) string { return h.userProfile(user) + `\AppData\Local\Temp` }

// env is the environment a command of s sees.
func (h *Host) env(s Session) map[string]string {
	return map[string]string{
		"COMPUTERNAME": h.Hostname(),
		"USERNAME":     bareUser(s.User),
		"USERPROFILE":  h.userProfile(s.User),
		"TEMP":         h.userTemp(s.User),
		"TMP":          h.userTemp(s.User),
		"SYSTEMROOT":   `C:\Windows`,
		"WINDIR":       `C:\Windows`,
		"PROGRAMDATA":  `C:\ProgramData`,
		"PROGRAMFILES": `C:\Program Files`,
		"SYSTEMDRIVE":  `C:`,
		"ERRORLEVEL":   "0",
	}
}

// File access as the session's user, with the model's access checks.

func (h *Host) readFile(s Session, path string) ([]byte, error) {
	tok, err := h.token(s)
	if err != nil {
		return nil, err
	}
	return h.m.FS().ReadFile(tok, path)
}

func (h *Host) writeFile(s Session, path string, data []byte) error {
	tok, err := h.token(s)
	if err != nil {
		return err
	}
	return h.m.FS().WriteFile(tok, path, data)
}

func (h *Host) appendFile(s Session, path string, data []byte) error {
	tok, err := h.token(s)
	if err != nil {
		return err
	}
	return h.m.FS().AppendFile(tok, path, data)
}

func (h *Host) mkdirAll(s Session, path string) error {
	tok, err := h.token(s)
	if err != nil {
		return err
	}
	return h.m.FS().MkdirAll(tok, path)
}

func (h *Host) removePath(s Session, path string) error {
	tok, err := h.token(s)
	if err != nil {
		return err
	}
	return h.m.FS().Remove(tok, path)
}

// stat reports whether path exists and is a directory.
func (h *Host) stat(path string) (exists, isDir bool) {
	fi, err := h.m.FS().Stat(path)
	if err != nil {
		return false, false
	}
	return true, fi.Dir
}

// cmdError is the message cmd.exe prints for a failed file operation.
func cmdError(err error) string {
	if errors.Is(err, model.ErrIsDirectory) {
		return model.ErrorAccessDenied.Error()
	}
	if code := model.Code(err); code != 0 {
		return code.Error()
	}
	if errors.Is(err, model.ErrAccessDenied) {
		return model.ErrorAccessDenied.Error()
	}
	return err.Error()
}

func bareUser(user string) string {
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	return user
}

// cleanPath is the canonical form of a Windows path (p itself if invalid;
// the model then reports the error).
func cleanPath(p string) string {
	if c, err := model.CleanPath(p); err == nil {
		return c
	}
	return p
}

func parentPath(p string) string {
	c := cleanPath(p)
	if i := strings.LastIndexByte(c, '\\'); i > 0 {
		return c[:i]
	}
	return c
}
