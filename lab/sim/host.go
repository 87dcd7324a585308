package sim

import (
	"strings"
	"sync"
)

// Host is one simulated Windows machine: its state and what runs on it.
type Host struct {
	hostname string
	profile  string
	admin    string

	mu    sync.Mutex
	files *memFS
}

// Session is who runs a command, and in which shell.
type Session struct {
	User     string
	Codepage string
}

// NewHost builds a simulated host from opts (OS profile, hostname, admin account).
func NewHost(opts Options) (*Host, error) {
	opts = opts.withDefaults()
	name := opts.Hostname
	if name == "" {
		name = defaultHostname(opts.OS)
	}
	h := &Host{hostname: strings.ToUpper(name), profile: opts.OS, admin: opts.User, files: newMemFS()}
	for _, dir := range []string{
		`C:\Windows\System32`, `C:\Windows\Temp`, `C:\Windows\Installer`, `C:\ProgramData`,
		`C:\Program Files`, `C:\Users\Public`, h.userTemp(opts.User),
	} {
		if err := h.files.MkdirAll(dir); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Hostname is the machine's NetBIOS name.
func (h *Host) Hostname() string { return h.hostname }

// Profile is the OS profile name the host was built from.
func (h *Host) Profile() string { return h.profile }

func (h *Host) userProfile(user string) string { return `C:\Users\` + bareUser(user) }

func (h *Host) userTemp(user string) string { return h.userProfile(user) + `\AppData\Local\Temp` }

// env is the environment a command of s sees.
func (h *Host) env(s Session) map[string]string {
	return map[string]string{
		"COMPUTERNAME": h.hostname,
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

func bareUser(user string) string {
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	return user
}

func defaultHostname(profile string) string {
	if profile == "" {
		return "MSILAB-SIM"
	}
	name := "MSILAB-" + strings.ToUpper(strings.NewReplacer(".", "", "_", "-").Replace(profile))
	if len(name) > 15 { // NetBIOS names are at most 15 characters
		name = name[:15]
	}
	return name
}
