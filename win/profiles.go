package win

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// OS profiles are data: profiles/<name>.yaml, one per Windows version,
// parsed strictly. Every value carries its source and label in the file.

//go:embed profiles/*.yaml
var profileFiles embed.FS

// ErrUnknownProfile is wrapped by *ProfileError.
var ErrUnknownProfile = errors.New("win: unknown OS profile")

// DefaultProfile is used when Options.Profile is empty.
const DefaultProfile = "win11-24h2"

// Edition is client or server.
type Edition string

// Editions.
const (
	EditionClient Edition = "client"
	EditionServer Edition = "server"
)

// ServiceConfig is a service's configuration as its registry key holds it
// (HKLM\SYSTEM\CurrentControlSet\Services\<name>).
type ServiceConfig struct {
	Start           StartType `yaml:"start"`
	Type            uint32    `yaml:"type"`
	ErrorControl    uint32    `yaml:"error_control"`
	ImagePath       string    `yaml:"image_path"`
	ObjectName      string    `yaml:"object_name"`
	DisplayName     string    `yaml:"display_name"`
	DependOnService []string  `yaml:"depend_on_service"`
	Description     string    `yaml:"description"`
	// FailureActions is the FailureActions value (SERVICE_FAILURE_ACTIONS
	// as the SCM stores it), none when empty.
	FailureActions []byte `yaml:"-"`
}

// Profile describes one Windows version.
type Profile struct {
	Name                 string        `yaml:"name"`
	DisplayName          string        `yaml:"display_name"` // ProductName
	Edition              Edition       `yaml:"edition"`
	EditionID            string        `yaml:"edition_id"`
	InstallationType     string        `yaml:"installation_type"`
	Build                int           `yaml:"build"`
	UBR                  int           `yaml:"ubr"`
	DisplayVersion       string        `yaml:"display_version"` // "" = value absent
	ReleaseID            string        `yaml:"release_id"`
	MsiVersion           string        `yaml:"msi_version"`
	Hostname             string        `yaml:"hostname"`
	ClockStart           time.Time     `yaml:"clock_start"`
	DisableMSIWhenAbsent int           `yaml:"disable_msi_when_absent"`
	BuiltinAdminEnabled  bool          `yaml:"builtin_admin_enabled"`
	TempSDDL             string        `yaml:"temp_sddl"`
	InstallerSDDL        string        `yaml:"installer_sddl"`
	UserProfileSDDL      string        `yaml:"user_profile_sddl"` // <USER> = the user's SID
	Msiserver            ServiceConfig `yaml:"msiserver"`
	RpcSs                ServiceConfig `yaml:"rpcss"`
	// Policies are DWORD values of the Windows Installer policy key
	// (HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer) the machine
	// has from the start, by name (a captured profile's; none by default).
	Policies map[string]uint32 `yaml:"policies,omitempty"`
	// Tokens are the tokens of the contexts' default logons, by context
	// (TokenKind: admin-elevated, admin-filtered, standard-user, system),
	// as a captured profile holds them; a context without one gets
	// NewToken's (G: docs/evidence.md#E-token-groups).
	Tokens  map[TokenKind]ProfileToken `yaml:"tokens,omitempty"`
	Sources []string                   `yaml:"sources"`
}

// Version is "10.0.<build>.<ubr>".
func (p Profile) Version() string { return fmt.Sprintf("10.0.%d.%d", p.Build, p.UBR) }

// ProfileError is an unknown profile name.
type ProfileError struct {
	Name  string
	Known []string
}

func (e *ProfileError) Error() string {
	return fmt.Sprintf("win: unknown OS profile %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// Is makes errors.Is(err, ErrUnknownProfile) true.
func (e *ProfileError) Is(target error) bool { return target == ErrUnknownProfile }

var profiles, profilesErr = loadProfiles()

// Profiles lists the built-in OS profiles, sorted by name.
func Profiles() []Profile {
	out := slices.Clone(profiles)
	for i := range out {
		out[i].Sources = slices.Clone(out[i].Sources)
	}
	return out
}

// ProfileNames lists the profiles' names, sorted.
func ProfileNames() []string {
	ps := Profiles()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// LookupProfile returns a profile by name.
func LookupProfile(name string) (Profile, error) {
	if profilesErr != nil {
		return Profile{}, profilesErr
	}
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	known := make([]string, 0, len(profiles))
	for _, p := range profiles {
		known = append(known, p.Name)
	}
	return Profile{}, &ProfileError{Name: name, Known: known}
}

func loadProfiles() ([]Profile, error) {
	entries, err := profileFiles.ReadDir("profiles")
	if err != nil {
		return nil, err
	}
	var out []Profile
	for _, e := range entries {
		data, err := profileFiles.ReadFile("profiles/" + e.Name())
		if err != nil {
			return nil, err
		}
		p, err := parseProfile(e.Name(), data)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Profile) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// LoadProfileFile reads an OS profile from a file outside the built-in
// set (such as one msilab profile capture wrote), strictly and validated
// as the built-in ones are; its name need not match the file's.
func LoadProfileFile(file string) (Profile, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Profile{}, fmt.Errorf("win: profile: %w", err)
	}
	return ParseProfile(file, data)
}

// ParseProfile decodes a profile file's bytes as LoadProfileFile does
// (file names it in errors).
func ParseProfile(file string, data []byte) (Profile, error) {
	return decodeProfile(file, data, false)
}

// parseProfile decodes one profile strictly (unknown fields are errors)
// and validates it.
func parseProfile(file string, data []byte) (Profile, error) {
	return decodeProfile(file, data, true)
}

// decodeProfile decodes and validates a profile; matchName requires its
// name to be the file's.
func decodeProfile(file string, data []byte, matchName bool) (Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("win: profile %s: %w", file, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("win: profile %s: %s", file, fmt.Sprintf(format, a...))
	}
	switch {
	case matchName && p.Name+".yaml" != path.Base(file):
		return Profile{}, bad("name %q does not match the file name", p.Name)
	case p.Edition != EditionClient && p.Edition != EditionServer:
		return Profile{}, bad("edition %q is not client or server", p.Edition)
	case p.Build <= 0 || p.UBR < 0 || p.DisplayName == "" || p.Hostname == "" || len(p.Hostname) > 15:
		return Profile{}, bad("build, display_name and hostname (at most 15 characters) are required")
	case p.ClockStart.IsZero():
		return Profile{}, bad("clock_start is required")
	case p.DisableMSIWhenAbsent < 0 || p.DisableMSIWhenAbsent > 2:
		return Profile{}, bad("disable_msi_when_absent must be 0, 1 or 2")
	case p.Msiserver.Start > StartDisabled || p.RpcSs.Start > StartDisabled:
		return Profile{}, bad("service start must be 0-4")
	case len(p.Sources) == 0:
		return Profile{}, bad("sources are required")
	case p.Name == "" || strings.ContainsAny(p.Name, "/\\ "):
		return Profile{}, bad("name %q must be a non-empty word", p.Name)
	}
	for name := range p.Policies {
		if name == "" || strings.ContainsAny(name, "\\") {
			return Profile{}, bad("policy name %q is not a registry value name", name)
		}
	}
	for kind, t := range p.Tokens {
		if !slices.Contains([]TokenKind{KindAdminElevated, KindAdminFiltered, KindStandardUser, KindSystem}, kind) {
			return Profile{}, bad("tokens: %q is not a context (admin-elevated, admin-filtered, standard-user, system)", kind)
		}
		if err := t.check(); err != nil {
			return Profile{}, bad("tokens: %s: %v", kind, err)
		}
	}
	for _, s := range []string{p.TempSDDL, p.InstallerSDDL, strings.ReplaceAll(p.UserProfileSDDL, "<USER>", "S-1-5-21-1-2-3-1000")} {
		if _, err := ParseSDDL(s); err != nil {
			return Profile{}, bad("%v", err)
		}
	}
	return p, nil
}
