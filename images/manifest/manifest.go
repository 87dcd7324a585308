// Package manifest is the record of a lab image: what it was built from,
// by which tools, and the clean state it was in. The msilab Packer
// provisioner writes it on the image (PathOnHost) and beside the build
// output; anyone can later check an image, or a lab host made from it,
// against it.
package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/ops"
)

// SchemaVersion is the version of the manifest document (2: the machine
// SID, the host folder's security descriptor, Windows Update, the licence
// and the doctor section).
const SchemaVersion = 2

// PathOnHost is where an image keeps its manifest.
const PathOnHost = `C:\ProgramData\msilab\manifest.json`

// Manifest is one image's record.
type Manifest struct {
	Schema int `json:"schema"`
	// Created is when the provisioner recorded the manifest (UTC).
	Created  time.Time `json:"created"`
	Template Template  `json:"template"`
	Tools    Tools     `json:"tools"`
	Host     Host      `json:"host"`
	Lab      Lab       `json:"lab"`
	// License is the Windows licence the image carries.
	License License `json:"license"`
	// Doctor says what `msilab doctor` checks a host made from the image
	// against.
	Doctor Doctor `json:"doctor"`
	// Baseline is the state of everything the faults touch, as their
	// probes read it once the image was prepared.
	Baseline Baseline `json:"baseline"`
	// BaselineSHA256 is BaselineHash(Baseline).
	BaselineSHA256 string `json:"baseline_sha256"`
}

// Template says what the image was built from.
type Template struct {
	// Name is the template's name as the template gives it (e.g. images/windows).
	Name string `json:"name"`
	// GitRevision is the commit of the template's repository ("" when not given).
	GitRevision string `json:"git_revision"`
	// BuildName and Builder are Packer's build and builder type (e.g. windows, qemu).
	BuildName string `json:"build_name"`
	Builder   string `json:"builder"`
}

// Tools are the versions of what built the image.
type Tools struct {
	Plugin string `json:"plugin"` // packer-plugin-msilab
	Packer string `json:"packer"`
	// OpModuleSHA256 is the SHA-256 of the op module installed on the image.
	OpModuleSHA256 string `json:"op_module_sha256"`
}

// Host is what the image is, from host.info.
type Host struct {
	// OSProfile is the msilab OS profile name (lab/sim/model/profiles).
	OSProfile      string `json:"os_profile"`
	Hostname       string `json:"hostname"`
	ProductName    string `json:"product_name"`
	Edition        string `json:"edition"`
	Build          string `json:"build"` // 10.0.<build>.<UBR>
	DisplayVersion string `json:"display_version"`
	MsiVersion     string `json:"msi_version"` // msi.dll's file version
	// MachineSID is the machine's account domain SID (S-1-5-21-x-y-z): its
	// local accounts' SIDs are it and a RID. Generalizing (sysprep, as a
	// vSphere guest customization does) gives a clone a new one, and new
	// SIDs to every account the baseline names.
	MachineSID string `json:"machine_sid"`
}

// Lab is what the provisioner set up.
type Lab struct {
	// AdminUser is the WinRM account the image was provisioned through.
	AdminUser    string `json:"admin_user"`
	StandardUser User   `json:"standard_user"`
	// InstallerLogging is the Windows Installer Logging policy value set.
	InstallerLogging string `json:"installer_logging"`
	// HostDirSDDL is the security descriptor (owner and DACL) of
	// C:\ProgramData\msilab, as read back after the provisioner set
	// ops.HostDirSDDL.
	HostDirSDDL string `json:"host_dir_sddl"`
	// AutomaticUpdates is "off": the Automatic Updates policy's
	// NoAutoUpdate = 1 (so nothing installs during a cell, and nothing
	// staged changes the build).
	AutomaticUpdates string    `json:"automatic_updates"`
	Packages         []Package `json:"packages"`
}

// License is the Windows licence, from host.license (what slmgr /dli shows).
type License struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Channel     string `json:"channel"`
	Status      string `json:"status"`
	// Evaluation: a time-based evaluation licence. It runs on real time:
	// reverting a snapshot does not give it time back, and an evaluation
	// Server whose licence has ended shuts down every hour.
	Evaluation    bool   `json:"evaluation"`
	GraceMinutes  int64  `json:"grace_minutes"`
	EvaluationEnd string `json:"evaluation_end,omitempty"`
	// ReadAt is the host's clock when the licence was read (RFC 3339 UTC).
	ReadAt string `json:"read_at"`
	// Expires is when the licence's current period ends (RFC 3339 UTC): the
	// earlier of ReadAt plus GraceMinutes and EvaluationEnd; "" when
	// neither applies (a permanent licence).
	Expires string `json:"expires,omitempty"`
}

// Doctor is what `msilab doctor`, the preflight of real labs (not built
// yet), checks a lab host made from the image against. The provisioner
// records it so that doctor needs nothing but the manifest.
type Doctor struct {
	// Same lists the manifest fields, by JSON path (manifest.Field), that a
	// host made from the image must still report: a difference is drift
	// (an update finished at shutdown or at a clone's first boot; a clone
	// generalized by sysprep, which gives it a new machine SID).
	Same []string `json:"same"`
	// LicenseExpires is License.Expires: doctor warns from LicenseWarn
	// before it, and fails the host after it.
	LicenseExpires string `json:"license_expires,omitempty"`
	// LicenseWarn is how long before LicenseExpires doctor warns (a Go
	// duration, e.g. "336h0m0s").
	LicenseWarn string `json:"license_warn"`
}

// User is a local account (never its password).
type User struct {
	Name string `json:"name"`
	SID  string `json:"sid"`
}

// Package is a test package placed on the image.
type Package struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Baseline is every registered fault's probe on the prepared image.
type Baseline struct {
	// The fault target the probes were taken for.
	AdminUser    string `json:"admin_user"`
	StandardUser string `json:"standard_user"`
	Context      string `json:"context"`
	// Faults, sorted by name.
	Faults []FaultState `json:"faults"`
}

// FaultState is one fault's probe and what its Detect made of it.
type FaultState struct {
	Name string `json:"name"`
	// Params are the parameters Detect ran with (one entry per variant).
	Params   json.RawMessage `json:"params"`
	Probe    []ops.Result    `json:"probe"`
	Present  bool            `json:"present"`
	Evidence string          `json:"evidence"`
}

// DoctorSame are the fields Doctor.Same lists.
var DoctorSame = []string{"host.os_profile", "host.build", "host.msi_version", "host.machine_sid",
	"lab.standard_user.sid", "lab.host_dir_sddl", "lab.automatic_updates", "tools.op_module_sha256"}

// DoctorLicenseWarn is Doctor.LicenseWarn: two weeks.
const DoctorLicenseWarn = 14 * 24 * time.Hour

// LicenseExpiry is when a licence read at readAt with graceMinutes left
// and an evaluation end (both RFC 3339; "" for none) ends: the earlier of
// the two that apply, "" when none does.
func LicenseExpiry(readAt string, graceMinutes int64, evaluationEnd string) (string, error) {
	var ends []time.Time
	if graceMinutes > 0 {
		t, err := time.Parse(time.RFC3339, readAt)
		if err != nil {
			return "", fmt.Errorf("manifest: licence read_at %q: %w", readAt, err)
		}
		ends = append(ends, t.Add(time.Duration(graceMinutes)*time.Minute))
	}
	if evaluationEnd != "" {
		t, err := time.Parse(time.RFC3339, evaluationEnd)
		if err != nil {
			return "", fmt.Errorf("manifest: licence evaluation_end %q: %w", evaluationEnd, err)
		}
		ends = append(ends, t)
	}
	if len(ends) == 0 {
		return "", nil
	}
	end := ends[0]
	for _, t := range ends[1:] {
		if t.Before(end) {
			end = t
		}
	}
	return end.UTC().Format(time.RFC3339), nil
}

// Field is the value at a JSON path of the manifest ("host.build",
// "lab.standard_user.sid"), as text; an error when the path names nothing
// or an object. Doctor.Same names fields by such paths.
func (m *Manifest) Field(path string) (string, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return "", err
	}
	for _, part := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("manifest: %s: %s is not an object member", path, part)
		}
		if v, ok = obj[part]; !ok {
			return "", fmt.Errorf("manifest: %s: no field %s", path, part)
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("manifest: %s is not a string, number or boolean", path)
}

// BaselineHash is the uppercase hex SHA-256 of b's compact JSON encoding
// (the encoding of the "baseline" member of a manifest, compacted).
func BaselineHash(b Baseline) (string, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return "", fmt.Errorf("manifest: encode baseline: %w", err)
	}
	sum := sha256.Sum256(data)
	return strings.ToUpper(hex.EncodeToString(sum[:])), nil
}

// Seal sets BaselineSHA256 from Baseline.
func (m *Manifest) Seal() error {
	h, err := BaselineHash(m.Baseline)
	if err != nil {
		return err
	}
	m.BaselineSHA256 = h
	return nil
}

// ErrBaselineHash is matched by *HashError.
var ErrBaselineHash = errors.New("manifest: baseline hash mismatch")

// HashError is a manifest whose baseline does not match its hash.
type HashError struct {
	Want, Got string
}

func (e *HashError) Error() string {
	return fmt.Sprintf("manifest: baseline hash mismatch: the manifest says %s, its baseline hashes to %s", e.Want, e.Got)
}

func (e *HashError) Unwrap() error { return ErrBaselineHash }

// Verify checks the schema and that the baseline matches its hash.
func (m *Manifest) Verify() error {
	if m.Schema != SchemaVersion {
		return fmt.Errorf("manifest: schema %d, this build reads %d", m.Schema, SchemaVersion)
	}
	h, err := BaselineHash(m.Baseline)
	if err != nil {
		return err
	}
	if !strings.EqualFold(h, m.BaselineSHA256) {
		return &HashError{Want: m.BaselineSHA256, Got: h}
	}
	return nil
}

// Encode is the manifest as written to files: indented JSON and a newline.
func (m *Manifest) Encode() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("manifest: encode: %w", err)
	}
	return append(data, '\n'), nil
}

// Read decodes a manifest strictly (unknown fields are errors) and verifies it.
func Read(r io.Reader) (*Manifest, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("manifest: read: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: decode: %w", err)
	}
	if err := m.Verify(); err != nil {
		return nil, err
	}
	return &m, nil
}
