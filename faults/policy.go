package faults

import (
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// Windows Installer policy keys (D: docs/evidence.md#E-policy-keys).
const (
	machinePolicyKey  = `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`
	machinePolicyRoot = `HKLM\SOFTWARE\Policies`
	// userPolicyKey is under HKU\<SID> (what HKCU is for that user).
	userPolicyKey = `SOFTWARE\Policies\Microsoft\Windows\Installer`
)

// dwordValue is one REG_DWORD policy value that a fault sets and its
// revert restores: the value as it was, or no value, or no key (then the
// outermost key that was missing goes). Root is a key known to exist
// (HKLM\SOFTWARE\Policies; a loaded user hive's SOFTWARE).
type dwordValue struct {
	Key, Name, Root string
}

// keys lists Key and its parents down to Root, innermost first.
func (v dwordValue) keys() []string {
	out := []string{v.Key}
	for k := v.Key; !strings.EqualFold(k, v.Root); {
		i := strings.LastIndexByte(k, '\\')
		if i < 0 || len(k) <= len(v.Root) {
			break
		}
		k = k[:i]
		out = append(out, k)
	}
	return out
}

// probe reads the value, then each key from Key down to Root.
func (v dwordValue) probe() []ops.Op {
	out := []ops.Op{ops.MustNew(ops.OpRegistryGet, ops.RegistryValueArgs{Path: v.Key, Name: v.Name})}
	for _, k := range v.keys() {
		out = append(out, ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: k}))
	}
	return out
}

// probeLen is how many results probe gives.
func (v dwordValue) probeLen() int { return 1 + len(v.keys()) }

// dwordState is what a dwordValue's probe found.
type dwordState struct {
	v       dwordValue
	value   ops.RegistryValue
	missing string // the outermost key that does not exist ("" when Key exists)
	noRoot  bool   // Root itself is missing
}

// read decodes a dwordValue's probe results from p at i.
func (v dwordValue) read(p Probe, i int) (dwordState, error) {
	st := dwordState{v: v}
	if err := p.result(i, ops.OpRegistryGet, &st.value); err != nil {
		return st, err
	}
	keys := v.keys()
	for j, k := range keys {
		var key ops.RegistryKey
		if err := p.result(i+1+j, ops.OpRegistryList, &key); err != nil {
			return st, err
		}
		if !key.Exists {
			st.missing = k
			st.noRoot = j == len(keys)-1
		}
	}
	return st, nil
}

// set is the change that writes n.
func (st dwordState) set(n uint64) ops.Op {
	return ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: st.v.Key, Name: st.v.Name, Type: "REG_DWORD", Number: n})
}

// restore is the change that puts back what the probe saw: the old value
// (with its type), or no value, or no key.
func (st dwordState) restore() ops.Op {
	switch {
	case st.value.Exists:
		return ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: st.v.Key, Name: st.v.Name, Type: st.value.Type,
			String: st.value.String, Strings: st.value.Strings, Number: st.value.Number, Binary: st.value.Binary})
	case st.missing != "":
		return ops.MustNew(ops.OpRegistryDeleteKey, ops.RegistryKeyArgs{Path: st.missing})
	}
	return ops.MustNew(ops.OpRegistryDeleteValue, ops.RegistryValueArgs{Path: st.v.Key, Name: st.v.Name})
}

// is reports whether the value is a number equal to n.
func (st dwordState) is(n uint64) bool {
	return st.value.Exists && (st.value.Type == "REG_DWORD" || st.value.Type == "REG_QWORD") && st.value.Number == n
}

// String describes the value for Evidence.
func (st dwordState) String() string {
	name := st.v.Key + `\` + st.v.Name
	switch {
	case st.value.Exists && (st.value.Type == "REG_DWORD" || st.value.Type == "REG_QWORD"):
		return fmt.Sprintf("%s = %d", name, st.value.Number)
	case st.value.Exists:
		return fmt.Sprintf("%s is a %s", name, st.value.Type)
	case st.missing != "":
		return fmt.Sprintf("%s absent (no key %s)", name, st.missing)
	}
	return name + " absent"
}
