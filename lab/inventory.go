package lab

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Inventory is a lab: its hosts, read from lab.yaml. Credentials are
// named by environment variable and never stored.
//
//	hosts:
//	  - name: win11-a
//	    os: win11-24h2
//	    endpoint: https://10.0.0.5:5986/wsman
//	    auth: ntlm
//	    user: msilab
//	    password_env: MSILAB_WIN11_A_PASSWORD
//	    ca_file: lab-ca.pem
//	    standard_user: msilab-user
//	    standard_password_env: MSILAB_STD_PASSWORD
//	    snapshot: {driver: none}
type Inventory struct {
	Hosts []HostSpec `yaml:"hosts"`
	// File is where the inventory was read.
	File string `yaml:"-"`
}

// HostSpec is one host of the inventory.
type HostSpec struct {
	Name     string `yaml:"name"`
	OS       string `yaml:"os"` // an OS profile name (lab/sim/model/profiles)
	Endpoint string `yaml:"endpoint"`
	Auth     string `yaml:"auth,omitempty"` // ntlm (default) or basic
	User     string `yaml:"user"`
	// PasswordEnv names the environment variable holding User's password.
	PasswordEnv string `yaml:"password_env"`
	CAFile      string `yaml:"ca_file,omitempty"`
	Insecure    bool   `yaml:"insecure,omitempty"`
	// AllowBasicOverHTTP lets auth: basic send the password over plain
	// HTTP (as WinRM's own AllowUnencrypted): refused otherwise.
	AllowBasicOverHTTP bool `yaml:"allow_basic_over_http,omitempty"`
	// StandardUser is the lab's non-admin account (default msilab-user);
	// StandardPasswordEnv names its password's variable (default: a
	// password is generated when msilab creates the account).
	StandardUser        string       `yaml:"standard_user,omitempty"`
	StandardPasswordEnv string       `yaml:"standard_password_env,omitempty"`
	Snapshot            SnapshotSpec `yaml:"snapshot,omitempty"`
	// ProfileFile is an OS profile file (such as msilab profile capture
	// wrote from this host) for the simulated twin msilab run --calibrate
	// compares the host with; "" is the built-in profile os names. A
	// relative path is relative to lab.yaml.
	ProfileFile string `yaml:"profile_file,omitempty"`
	// Role is "" for a host that runs cells, or "hypervisor" for a host
	// that runs none but drives VMs (a Hyper-V host named by the hyperv
	// snapshot driver's setting host).
	Role string `yaml:"role,omitempty"`
	// Line is the host's line in the file, for messages.
	Line int `yaml:"-"`
}

// SnapshotSpec says how a host returns to its clean snapshot: a driver
// registered by name (SnapshotDrivers: vsphere, libvirt, hyperv, sim,
// none) and its settings.
//
//	snapshot:
//	  driver: vsphere
//	  name: msilab-clean
//	  ready_timeout: 10m
//	  settings: {url: "https://vcenter.lab/sdk", vm: win11-a, user_env: VSPHERE_USER, password_env: VSPHERE_PASSWORD}
type SnapshotSpec struct {
	// Driver names a registered snapshot driver (default none).
	Driver string `yaml:"driver"`
	// Name of the clean snapshot (default msilab-clean).
	Name string `yaml:"name,omitempty"`
	// ReadyTimeout bounds the power-on and the wait until WinRM answers
	// after a revert (default 10m).
	ReadyTimeout time.Duration `yaml:"ready_timeout,omitempty"`
	// Settings are the driver's; credentials only as *_env variable names.
	Settings Settings `yaml:"settings,omitempty"`
}

// RoleHypervisor marks a host that drives VMs and runs no cells.
const RoleHypervisor = "hypervisor"

// InventoryError is a mistake in lab.yaml, with its line.
type InventoryError struct {
	File string
	Line int
	Msg  string
}

func (e *InventoryError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

var (
	hostName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	lineOf   = regexp.MustCompile(`line (\d+)`)
)

// LoadInventory reads and checks an inventory file. knownOS lists the OS
// profile names a host may name.
func LoadInventory(path string, knownOS []string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lab: inventory: %w", err)
	}
	return ParseInventory(path, data, knownOS)
}

// ParseInventory parses inventory data strictly: unknown keys, wrong types
// and missing fields are errors with their line.
func ParseInventory(file string, data []byte, knownOS []string) (*Inventory, error) {
	inv := &Inventory{File: file}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &InventoryError{File: file, Line: 1, Msg: "empty file: an inventory is a hosts: list (see lab.yaml in the README)"}
	}
	if errs := checkKeys(file, &root); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(inv); err != nil {
		return nil, typeErrors(file, &root, err)
	}
	lines := hostLines(&root)
	var errs []error
	seen := map[string]bool{}
	for i := range inv.Hosts {
		h := &inv.Hosts[i]
		if i < len(lines) {
			h.Line = lines[i]
		}
		bad := func(format string, a ...any) {
			errs = append(errs, &InventoryError{File: file, Line: h.Line, Msg: fmt.Sprintf("host %q: ", h.Name) + fmt.Sprintf(format, a...)})
		}
		switch {
		case !hostName.MatchString(h.Name):
			bad("name must be letters, digits, '.', '_' or '-'")
		case seen[h.Name]:
			bad("name used twice")
		}
		seen[h.Name] = true
		if !contains(knownOS, h.OS) {
			bad("unknown os %q (known: %s)", h.OS, strings.Join(knownOS, ", "))
		}
		if _, err := h.endpoint(""); err != nil {
			bad("%v", err)
		}
		if !envName.MatchString(h.PasswordEnv) {
			bad("password_env must name an environment variable (passwords are never written in lab.yaml)")
		}
		if h.StandardPasswordEnv != "" && !envName.MatchString(h.StandardPasswordEnv) {
			bad("standard_password_env must name an environment variable")
		}
		if h.Snapshot.Driver == "" {
			h.Snapshot.Driver = "none"
		}
		if info, ok := LookupSnapshotDriver(h.Snapshot.Driver); !ok {
			bad("unknown snapshot driver %q (this build has: %s)", h.Snapshot.Driver, strings.Join(SnapshotDrivers(), ", "))
		} else {
			for _, msg := range checkSettings(info, h.Snapshot.Settings) {
				bad("snapshot: %s", msg)
			}
		}
		switch h.Role {
		case "":
		case RoleHypervisor:
			if h.Snapshot.Driver != "none" {
				bad("a hypervisor host runs no cells and has no snapshot driver")
			}
		default:
			bad("role must be %q or absent, not %q", RoleHypervisor, h.Role)
		}
		if h.Snapshot.ReadyTimeout < 0 {
			bad("snapshot: ready_timeout must be positive")
		}
		if h.Snapshot.Name == "" {
			h.Snapshot.Name = "msilab-clean"
		}
		if h.ProfileFile != "" {
			if ext := filepath.Ext(h.ProfileFile); ext != ".yaml" && ext != ".yml" {
				bad("profile_file must name a .yaml OS profile file, not %q", h.ProfileFile)
			} else if !filepath.IsAbs(h.ProfileFile) {
				h.ProfileFile = filepath.Join(filepath.Dir(file), h.ProfileFile)
			}
		}
		if h.StandardUser == "" {
			h.StandardUser = "msilab-user"
		}
		if name, err := checkStandardUser(h.User, h.StandardUser); err != nil {
			bad("%v", err)
		} else {
			h.StandardUser = name
		}
	}
	if len(inv.Hosts) == 0 {
		errs = append(errs, &InventoryError{File: file, Line: 1, Msg: "no hosts"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for i := range inv.Hosts {
		if err := inv.checkReferences(&inv.Hosts[i]); err != nil {
			errs = append(errs, &InventoryError{File: file, Line: inv.Hosts[i].Line, Msg: fmt.Sprintf("host %q: snapshot: %v", inv.Hosts[i].Name, err)})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return inv, nil
}

// syntaxError is a YAML syntax error with its line.
func syntaxError(file string, err error) error {
	line := 1
	if m := lineOf.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &InventoryError{File: file, Line: line, Msg: "YAML syntax: " + yamlMsg.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")}
}

var yamlMsg = regexp.MustCompile(`^line \d+: `)

// keysOf lists the YAML keys of a struct type, in field order.
func keysOf(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if k := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; k != "" && k != "-" {
			out = append(out, k)
		}
	}
	return out
}

// checkKeys reports, by their YAML names, the keys lab.yaml does not
// have: at the top, in a host, in a host's snapshot.
func checkKeys(file string, root *yaml.Node) []error {
	var errs []error
	check := func(n *yaml.Node, where string, known []string) {
		if n.Kind != yaml.MappingNode {
			return // a wrong type: the decoder says so, with its line
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			switch first, dup := seen[k.Value]; {
			case !contains(known, k.Value):
				errs = append(errs, &InventoryError{File: file, Line: k.Line,
					Msg: fmt.Sprintf("unknown key %q %s (known: %s)", k.Value, where, strings.Join(known, ", "))})
			case dup:
				errs = append(errs, &InventoryError{File: file, Line: k.Line, Msg: fmt.Sprintf("%s is set twice %s (first on line %d)", k.Value, where, first)})
			}
			seen[k.Value] = k.Line
		}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return []error{&InventoryError{File: file, Line: doc.Line, Msg: "an inventory is a mapping with a hosts: list"}}
	}
	check(doc, "at the top", keysOf(Inventory{}))
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "hosts" || doc.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for j, h := range doc.Content[i+1].Content {
			check(h, fmt.Sprintf("in host %d", j+1), keysOf(HostSpec{}))
			if h.Kind != yaml.MappingNode {
				continue
			}
			for k := 0; k+1 < len(h.Content); k += 2 {
				if h.Content[k].Value == "snapshot" {
					check(h.Content[k+1], fmt.Sprintf("in host %d's snapshot", j+1), keysOf(SnapshotSpec{}))
				}
			}
		}
	}
	return errs
}

// typeErrors turns the decoder's type errors ("cannot unmarshal !!str
// `maybe` into bool") into messages that name the key and the type in
// YAML's words.
func typeErrors(file string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return syntaxError(file, err)
	}
	keys := map[int]string{} // line -> the key whose value starts there
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if _, outer := keys[n.Content[i+1].Line]; !outer {
					keys[n.Content[i+1].Line] = n.Content[i].Value
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	var errs []error
	for _, msg := range te.Errors {
		line := 1
		if m := lineOf.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		text := yamlMsg.ReplaceAllString(msg, "")
		if m := typeMsg.FindStringSubmatch(text); m != nil {
			want := map[string]string{"bool": "true or false", "string": "a string", "int": "an integer"}[m[3]]
			if want == "" {
				want = "a " + strings.TrimPrefix(m[3], "[]lab.") + " (see lab.yaml in the README)"
				if strings.HasPrefix(m[3], "[]") {
					want = "a list"
				} else if strings.HasPrefix(m[3], "lab.") {
					want = "a mapping"
				}
			}
			got := map[string]string{"!!str": "a string", "!!int": "an integer", "!!bool": "a boolean", "!!map": "a mapping", "!!seq": "a list", "!!float": "a number", "!!null": "nothing"}[m[1]]
			if got == "" {
				got = m[1]
			}
			if m[2] != "" {
				got += " (" + m[2] + ")"
			}
			text = fmt.Sprintf("expected %s, got %s", want, got)
			if k, ok := keys[line]; ok {
				text = k + ": " + text
			}
		}
		errs = append(errs, &InventoryError{File: file, Line: line, Msg: text})
	}
	return errors.Join(errs...)
}

// typeMsg is yaml.v3's type error: "cannot unmarshal !!str `maybe` into bool".
var typeMsg = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")

// hostLines returns the line of each item of the top-level hosts list.
func hostLines(root *yaml.Node) []int {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "hosts" {
			var out []int
			for _, item := range m.Content[i+1].Content {
				out = append(out, item.Line)
			}
			return out
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Connect builds the host's endpoint, reading its password from the
// environment variable the inventory names.
func (h HostSpec) Connect() (Endpoint, error) {
	pw, ok := os.LookupEnv(h.PasswordEnv)
	if !ok || pw == "" {
		return Endpoint{}, fmt.Errorf("lab: host %s: environment variable %s (its password) is not set", h.Name, h.PasswordEnv)
	}
	return h.endpoint(pw)
}

func (h HostSpec) endpoint(password string) (Endpoint, error) {
	raw := h.Endpoint
	if raw == "" {
		return Endpoint{}, fmt.Errorf("endpoint is required")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Endpoint{}, fmt.Errorf("endpoint %q is not http(s)://host[:port][/wsman] or host:port", redact(h.Endpoint))
	}
	if u.User != nil {
		return Endpoint{}, fmt.Errorf("endpoint %q carries credentials: passwords are never written in lab.yaml (use user and password_env)", redact(h.Endpoint))
	}
	ep := Endpoint{Host: u.Hostname(), HTTPS: u.Scheme == "https", User: h.User, Password: password,
		Auth: AuthMethod(strings.ToLower(h.Auth)), CAFile: h.CAFile, Insecure: h.Insecure, AllowBasicOverHTTP: h.AllowBasicOverHTTP}
	if ep.Auth == "" {
		ep.Auth = AuthNTLM
	}
	if p := u.Port(); p != "" {
		if ep.Port, err = strconv.Atoi(p); err != nil || ep.Port < 1 || ep.Port > 65535 {
			return Endpoint{}, fmt.Errorf("endpoint port %q is invalid", p)
		}
	}
	if ep.User == "" {
		return Endpoint{}, fmt.Errorf("user is required")
	}
	if ep.Auth != AuthBasic && ep.Auth != AuthNTLM {
		return Endpoint{}, fmt.Errorf("auth must be ntlm or basic, not %q", h.Auth)
	}
	if ep.HTTPS && !ep.Insecure && ep.CAFile == "" {
		return Endpoint{}, fmt.Errorf("an https endpoint needs ca_file (or insecure: true)")
	}
	if ep.Auth == AuthBasic && !ep.HTTPS && !h.AllowBasicOverHTTP {
		return Endpoint{}, fmt.Errorf("auth: basic over plain HTTP sends the password in clear: use https or ntlm, or set allow_basic_over_http: true")
	}
	return ep, nil
}

// redact hides the password of a URL's user information.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
		return raw[:i+3] + "xxxxx" + raw[j:]
	}
	return raw
}

// BasicOverHTTP reports a host whose password the inventory lets go over
// plain HTTP with basic authentication (allow_basic_over_http), for a warning.
func (h HostSpec) BasicOverHTTP() bool {
	ep, err := h.endpoint("")
	return err == nil && ep.Auth == AuthBasic && !ep.HTTPS
}

// Host returns the inventory's host of that name.
func (inv *Inventory) Host(name string) (HostSpec, bool) {
	for _, h := range inv.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return HostSpec{}, false
}

// checkReferences checks a snapshot setting that names another host of
// the lab (setting "host", the Hyper-V host): it must exist and not be
// the host itself.
func (inv *Inventory) checkReferences(h *HostSpec) error {
	ref := h.Snapshot.Settings["host"]
	if ref == "" {
		return nil
	}
	if ref == h.Name {
		return fmt.Errorf("setting host names the host itself")
	}
	hv, ok := inv.Host(ref)
	if !ok {
		return fmt.Errorf("setting host: no host %q in the lab", ref)
	}
	if hv.Role != RoleHypervisor {
		return fmt.Errorf("setting host: host %q needs role: %s (so that it runs no cells)", ref, RoleHypervisor)
	}
	return nil
}

// Connect makes a lab.Host of every host spec kept (hypervisors aside) (credentials read from the
// environment), each knowing the inventory.
func (inv *Inventory) Connect(keep func(HostSpec) bool) ([]*Host, error) {
	var out []*Host
	for _, spec := range inv.Hosts {
		if spec.Role == RoleHypervisor || (keep != nil && !keep(spec)) {
			continue
		}
		ep, err := spec.Connect()
		if err != nil {
			return nil, err
		}
		h := NewHost(spec, ep)
		h.Inventory = inv
		out = append(out, h)
	}
	return out, nil
}
