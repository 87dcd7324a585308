package model

import (
	"strings"

	"github.com/msilab/msilab/win"
)

// User hives. A user's hive (NTUSER.DAT in the profile) is in HKU\<SID>
// only while it is loaded: while the user is logged on, or while
// LoadUserProfile or RegLoadKey holds it; otherwise HKU\<SID> does not
// exist (D: "User Profiles in Windows": the hive is loaded at logon and
// unloaded at logoff; RegLoadKey and RegUnLoadKey need SeRestorePrivilege
// and SeBackupPrivilege). The machine's own hives (HKU\.DEFAULT,
// HKU\S-1-5-18) are always loaded.

// UserHiveOf returns the local account SID of the user hive a registry
// path lies in (HKU\S-1-5-21-…\…), or "".
func UserHiveOf(path string) win.SID {
	kp, err := parseKey(path, nil)
	if err != nil || kp.hive != "HKU" || len(kp.parts) == 0 {
		return ""
	}
	sid := win.SID(kp.parts[0])
	if _, err := win.ParseSID(string(sid)); err != nil || !strings.HasPrefix(string(sid), "S-1-5-21-") {
		return ""
	}
	return sid
}

// UserHive reports whether a user's hive is loaded, and whether it exists
// at all (loaded, or as its file).
func (r Registry) UserHive(sid win.SID) (loaded, exists bool) {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	key := strings.ToLower(string(sid))
	_, loaded = r.m.st.hives["HKU"].kids[key]
	_, stored := r.m.st.hiveFiles[key]
	return loaded, loaded || stored
}

// LoadUserHive loads a user's hive into HKU\<SID> (RegLoadKey, or what
// LoadUserProfile does). It reports whether it loaded it: false when it
// was loaded already. A hive that does not exist is ErrNotFound.
func (r Registry) LoadUserHive(tok *win.Token, sid win.SID) (bool, error) {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	return r.m.loadHive(tok, sid)
}

func (m *Machine) loadHive(tok *win.Token, sid win.SID) (bool, error) {
	const op = "RegLoadKey"
	path := `HKU\` + string(sid)
	if tok == nil || !tok.HasPrivilege("SeRestorePrivilege") || !tok.HasPrivilege("SeBackupPrivilege") {
		return false, deniedErr(op, path, win.KeyWrite, tok)
	}
	key := strings.ToLower(string(sid))
	if _, ok := m.st.hives["HKU"].kids[key]; ok {
		return false, nil
	}
	h, ok := m.st.hiveFiles[key]
	if !ok {
		return false, pathErr(op, path, ErrorFileNotFound, ErrNotFound)
	}
	delete(m.st.hiveFiles, key)
	m.st.hives["HKU"].kids[key] = h
	return true, nil
}

// UnloadUserHive writes a loaded user hive back to its file and removes
// HKU\<SID> (RegUnLoadKey); a hive not loaded is left as it is.
func (r Registry) UnloadUserHive(tok *win.Token, sid win.SID) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	return r.m.unloadHive(tok, sid)
}

func (m *Machine) unloadHive(tok *win.Token, sid win.SID) error {
	const op = "RegUnLoadKey"
	path := `HKU\` + string(sid)
	if tok == nil || !tok.HasPrivilege("SeRestorePrivilege") || !tok.HasPrivilege("SeBackupPrivilege") {
		return deniedErr(op, path, win.KeyWrite, tok)
	}
	key := strings.ToLower(string(sid))
	h, ok := m.st.hives["HKU"].kids[key]
	if !ok {
		return nil
	}
	delete(m.st.hives["HKU"].kids, key)
	m.st.hiveFiles[key] = h
	return nil
}

// WithUserHive runs fn with the user hive that path lies in loaded, and
// unloads it afterwards if it was not loaded before: what msilab's
// registry ops do for a user who is not logged on. Paths outside a user
// hive, and hives that do not exist, run fn as they are.
func (r Registry) WithUserHive(tok *win.Token, path string, fn func() error) error {
	sid := UserHiveOf(path)
	if sid == "" {
		return fn()
	}
	if _, exists := r.UserHive(sid); !exists {
		return fn()
	}
	loaded, err := r.LoadUserHive(tok, sid)
	if err != nil {
		return err
	}
	ferr := fn()
	if loaded {
		if err := r.UnloadUserHive(tok, sid); err != nil && ferr == nil {
			ferr = err
		}
	}
	return ferr
}
