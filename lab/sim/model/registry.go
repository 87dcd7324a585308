package model

import (
	"fmt"
	"github.com/msilab/msilab/win"
	"slices"
	"strings"
)

// The registry: hives HKLM and HKU; HKCU is HKU\<token user SID>. Keys and
// value names are case-insensitive and case-preserving.
//
// Access (a simplified rule): anyone reads; writes under HKLM need an
// enabled Administrators group (an elevated admin or SYSTEM) — standard
// users and UAC-filtered admins have no write access to HKLM\SOFTWARE
// (D: Microsoft "Registry Virtualization": such writes fail or are
// redirected to the VirtualStore; virtualization is not modelled, as
// msiexec is a manifested 64-bit process) nor to HKLM\SYSTEM (D: SCM and
// service keys are admin-only, "Service Security and Access Rights").
// HKU\<SID> is writable by that user and by admins.

type rkey struct {
	name string
	kids map[string]*rkey
	vals map[string]Value
	// denyDelete: the key's DACL denies DELETE to everyone (DenyDelete).
	denyDelete bool
}

func newKey(name string) *rkey {
	return &rkey{name: name, kids: map[string]*rkey{}, vals: map[string]Value{}}
}

func (k *rkey) clone() *rkey {
	c := newKey(k.name)
	c.denyDelete = k.denyDelete
	for n, v := range k.vals {
		c.vals[n] = v.clone()
	}
	for n, s := range k.kids {
		c.kids[n] = s.clone()
	}
	return c
}

func (k *rkey) sortedKids() []*rkey {
	out := make([]*rkey, 0, len(k.kids))
	for _, s := range k.kids {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *rkey) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return out
}

func (k *rkey) sortedValues() []Value {
	out := make([]Value, 0, len(k.vals))
	for _, v := range k.vals {
		out = append(out, v.clone())
	}
	slices.SortFunc(out, func(a, b Value) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// Registry is the machine's registry.
type Registry struct{ m *Machine }

// Registry returns the registry.
func (m *Machine) Registry() Registry { return Registry{m} }

type keyPath struct {
	hive  string // "HKLM" or "HKU"
	parts []string
}

func (p keyPath) String() string {
	if len(p.parts) == 0 {
		return p.hive
	}
	return p.hive + `\` + strings.Join(p.parts, `\`)
}

var hiveAliases = map[string]string{"HKLM": "HKLM", "HKEY_LOCAL_MACHINE": "HKLM",
	"HKU": "HKU", "HKEY_USERS": "HKU", "HKCU": "HKCU", "HKEY_CURRENT_USER": "HKCU"}

// parseKey accepts HKLM\..., HKEY_LOCAL_MACHINE\..., PowerShell's HKLM:\...
// and Registry::HKEY_...; HKCU resolves to HKU\<tok.User>.
func parseKey(p string, tok *win.Token) (keyPath, error) {
	s := strings.ReplaceAll(p, "/", `\`)
	if i := strings.Index(strings.ToLower(s), "registry::"); i >= 0 {
		s = s[i+len("registry::"):]
	}
	var parts []string
	for _, c := range strings.Split(s, `\`) {
		if c != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return keyPath{}, pathErr("RegOpenKey", p, ErrorInvalidName, ErrInvalidName)
	}
	hive, ok := hiveAliases[strings.ToUpper(strings.TrimSuffix(parts[0], ":"))]
	if !ok {
		return keyPath{}, pathErr("RegOpenKey", p, ErrorInvalidName, ErrInvalidName)
	}
	kp := keyPath{hive: hive, parts: parts[1:]}
	if hive == "HKCU" {
		if tok == nil {
			return keyPath{}, pathErr("RegOpenKey", p, ErrorInvalidName, ErrInvalidName)
		}
		kp = keyPath{hive: "HKU", parts: append([]string{string(tok.User)}, parts[1:]...)}
	}
	return kp, nil
}

// findKey walks to a key; it returns nil when a component is missing, and
// the path with stored case as far as it got.
func (st *state) findKey(kp keyPath) (*rkey, keyPath) {
	k := st.hives[kp.hive]
	shown := keyPath{hive: kp.hive}
	for _, c := range kp.parts {
		if k == nil {
			shown.parts = append(shown.parts, c)
			continue
		}
		k = k.kids[strings.ToLower(c)]
		if k != nil {
			c = k.name
		}
		shown.parts = append(shown.parts, c)
	}
	return k, shown
}

func regWriteAllowed(tok *win.Token, kp keyPath) bool {
	if tok == nil {
		return false
	}
	if tok.IsAdmin() {
		return true
	}
	return kp.hive == "HKU" && len(kp.parts) > 0 && strings.EqualFold(kp.parts[0], string(tok.User))
}

func (r Registry) open(tok *win.Token, op, path string, write bool) (*rkey, keyPath, error) {
	kp, err := parseKey(path, tok)
	if err != nil {
		return nil, kp, err
	}
	k, shown := r.m.st.findKey(kp)
	if k == nil {
		return nil, shown, pathErr(op, shown.String(), ErrorFileNotFound, ErrNotFound)
	}
	if write && !regWriteAllowed(tok, kp) {
		return nil, shown, deniedErr(op, shown.String(), win.KeyWrite, tok)
	}
	return k, shown, nil
}

// CreateKey creates a key and any missing parents; an existing key is
// fine (RegCreateKeyEx).
//
// Keys directly under HKU are hives, which only RegLoadKey adds: creating
// one is refused (G: the error code), so a write into a user hive that is
// not loaded fails rather than creating it (hives.go).
func (r Registry) CreateKey(tok *win.Token, path string) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	if kp, err := parseKey(path, tok); err == nil && kp.hive == "HKU" && len(kp.parts) > 0 {
		if _, ok := r.m.st.hives["HKU"].kids[strings.ToLower(kp.parts[0])]; !ok {
			return deniedErr("RegCreateKey", `HKU\`+kp.parts[0], win.KeyWrite, tok)
		}
	}
	return r.m.createKey(tok, path)
}

func (m *Machine) createKey(tok *win.Token, path string) error {
	const op = "RegCreateKey"
	kp, err := parseKey(path, tok)
	if err != nil {
		return err
	}
	if !regWriteAllowed(tok, kp) {
		return deniedErr(op, kp.String(), win.KeyWrite, tok)
	}
	k := m.st.hives[kp.hive]
	for _, c := range kp.parts {
		next := k.kids[strings.ToLower(c)]
		if next == nil {
			next = newKey(c)
			k.kids[strings.ToLower(c)] = next
		}
		k = next
	}
	return nil
}

// DeleteKey deletes a key and everything under it, as .NET's
// RegistryKey.DeleteSubKeyTree does: each subkey's tree first (in name
// order), then the key. A key that denies DELETE (DenyDelete) stops it
// there with ERROR_ACCESS_DENIED, what was deleted before it staying
// deleted: a partial delete (D: RegDeleteKeyEx needs DELETE on the key;
// the order is .NET's recursion). Hive roots cannot be deleted.
func (r Registry) DeleteKey(tok *win.Token, path string) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	return r.m.deleteKey(tok, path)
}

// DenyDelete makes a key's DACL deny DELETE to everyone, as a key owned by
// TrustedInstaller denies it to administrators (G: a test's stand-in for
// any key that cannot be deleted).
func (r Registry) DenyDelete(path string) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	k, _, err := r.open(win.SystemToken(), "RegSetKeySecurity", path, false)
	if err != nil {
		return err
	}
	k.denyDelete = true
	return nil
}

func (m *Machine) deleteKey(tok *win.Token, path string) error {
	const op = "RegDeleteTree"
	k, kp, err := Registry{m}.open(tok, op, path, true)
	if err != nil {
		return err
	}
	if len(kp.parts) == 0 {
		return deniedErr(op, kp.String(), win.Delete, tok)
	}
	parent, _ := m.st.findKey(keyPath{kp.hive, kp.parts[:len(kp.parts)-1]})
	return deleteTree(op, kp.String(), parent, k, tok)
}

// deleteTree deletes k's subkeys' trees, then k from parent.
func deleteTree(op, path string, parent, k *rkey, tok *win.Token) error {
	for _, kid := range k.sortedKids() {
		if err := deleteTree(op, path+`\`+kid.name, k, kid, tok); err != nil {
			return err
		}
	}
	if k.denyDelete {
		return deniedErr(op, path, win.Delete, tok)
	}
	delete(parent.kids, strings.ToLower(k.name))
	return nil
}

// KeyExists reports whether a key exists (tok resolves HKCU; may be nil).
func (r Registry) KeyExists(tok *win.Token, path string) bool {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	kp, err := parseKey(path, tok)
	if err != nil {
		return false
	}
	k, _ := r.m.st.findKey(kp)
	return k != nil
}

// SetValue writes a value into an existing key.
func (r Registry) SetValue(tok *win.Token, path string, v Value) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	return r.m.setValue(tok, path, v)
}

func (m *Machine) setValue(tok *win.Token, path string, v Value) error {
	k, _, err := Registry{m}.open(tok, "RegSetValue", path, true)
	if err != nil {
		return err
	}
	k.vals[strings.ToLower(v.Name)] = v.clone()
	return nil
}

// GetValue reads a value; a missing key or value is ERROR_FILE_NOT_FOUND.
func (r Registry) GetValue(tok *win.Token, path, name string) (Value, error) {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	return r.m.getValue(tok, path, name)
}

func (m *Machine) getValue(tok *win.Token, path, name string) (Value, error) {
	const op = "RegQueryValue"
	k, kp, err := Registry{m}.open(tok, op, path, false)
	if err != nil {
		return Value{}, err
	}
	v, ok := k.vals[strings.ToLower(name)]
	if !ok {
		return Value{}, pathErr(op, kp.String()+`\`+name, ErrorFileNotFound, ErrNotFound)
	}
	return v.clone(), nil
}

// DeleteValue removes a value; a missing one is ERROR_FILE_NOT_FOUND.
func (r Registry) DeleteValue(tok *win.Token, path, name string) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	const op = "RegDeleteValue"
	k, kp, err := r.open(tok, op, path, true)
	if err != nil {
		return err
	}
	if _, ok := k.vals[strings.ToLower(name)]; !ok {
		return pathErr(op, kp.String()+`\`+name, ErrorFileNotFound, ErrNotFound)
	}
	delete(k.vals, strings.ToLower(name))
	return nil
}

// Subkeys lists the names of a key's subkeys, sorted.
func (r Registry) Subkeys(tok *win.Token, path string) ([]string, error) {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	k, _, err := r.open(tok, "RegEnumKey", path, false)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range k.sortedKids() {
		out = append(out, s.name)
	}
	return out, nil
}

// Values lists a key's values, sorted by name.
func (r Registry) Values(tok *win.Token, path string) ([]Value, error) {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	k, _, err := r.open(tok, "RegEnumValue", path, false)
	if err != nil {
		return nil, err
	}
	return k.sortedValues(), nil
}

func regLines(out *[]string, path string, k *rkey) {
	if k.denyDelete {
		*out = append(*out, "reg "+strings.ToLower(path)+" deny-delete")
	} else {
		*out = append(*out, "reg "+strings.ToLower(path))
	}
	for _, v := range k.sortedValues() {
		*out = append(*out, fmt.Sprintf("reg %s value %q %s %q", strings.ToLower(path), strings.ToLower(v.Name), v.Type, v.Data()))
	}
	for _, s := range k.sortedKids() {
		regLines(out, path+`\`+s.name, s)
	}
}
