package sim

import (
	"errors"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

func init() {
	valueArgs := func(a ops.RegistryValueArgs) error { return required("path", a.Path) }
	keyArgs := func(a ops.RegistryKeyArgs) error { return required("path", a.Path) }
	registerOp(ops.OpRegistryGet, typed(valueArgs, inUserHive(func(a ops.RegistryValueArgs) string { return a.Path },
		func(c opCall, a ops.RegistryValueArgs) (any, error) { return c.h.regValue(c.tok, a.Path, a.Name) })))
	registerOp(ops.OpRegistryList, typed(keyArgs, inUserHive(func(a ops.RegistryKeyArgs) string { return a.Path },
		func(c opCall, a ops.RegistryKeyArgs) (any, error) { return c.h.regKey(c.tok, a.Path, 0) })))
	registerOp(ops.OpRegistrySet, typed(func(a ops.RegistrySetArgs) error { return required("path", a.Path, "type", a.Type) },
		inUserHive(func(a ops.RegistrySetArgs) string { return a.Path }, registrySet)))
	registerOp(ops.OpRegistryDeleteValue, typed(valueArgs, inUserHive(func(a ops.RegistryValueArgs) string { return a.Path }, registryDeleteValue)))
	registerOp(ops.OpRegistryDeleteKey, typed(keyArgs, inUserHive(func(a ops.RegistryKeyArgs) string { return a.Path }, registryDeleteKey)))
}

// inUserHive runs a registry op with the user hive its path lies in loaded
// (HKU\<SID> of a user who is not logged on: the hive is loaded from its
// NTUSER.DAT), and unloaded again afterwards, as the module does.
func inUserHive[A any](path func(A) string, fn func(opCall, A) (any, error)) func(opCall, A) (any, error) {
	return func(c opCall, a A) (any, error) {
		var v any
		err := c.h.m.Registry().WithUserHive(c.tok, path(a), func() error {
			var err error
			v, err = fn(c, a)
			return err
		})
		if err != nil {
			return v, opError(err) // v: what a partial change must still report
		}
		return v, nil
	}
}

func notFound(err error) bool {
	return errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrPathNotFound)
}

// regValue reads a value as registry.get reports it.
func (h *Host) regValue(tok *win.Token, path, name string) (ops.RegistryValue, error) {
	out := ops.RegistryValue{Path: path, Name: name}
	v, err := h.m.Registry().GetValue(tok, path, name)
	if notFound(err) {
		return out, nil
	}
	if err != nil {
		return out, opError(err)
	}
	out.Exists, out.Type = true, v.Type.String()
	switch v.Type {
	case model.RegSZ, model.RegExpandSZ:
		out.String = v.Str
	case model.RegMultiSZ:
		out.Strings = v.Multi
	case model.RegDWORD, model.RegQWORD:
		out.Number = v.Num
	default:
		out.Binary = v.Bin
	}
	return out, nil
}

// regKey reads a key, depth levels of subkeys deep (-1: all).
func (h *Host) regKey(tok *win.Token, path string, depth int) (ops.RegistryKey, error) {
	out := ops.RegistryKey{Path: path}
	reg := h.m.Registry()
	values, err := reg.Values(tok, path)
	if notFound(err) {
		return out, nil
	}
	if err != nil {
		return out, opError(err)
	}
	out.Exists = true
	for _, v := range values {
		rv, err := h.regValue(tok, path, v.Name)
		if err != nil {
			return out, err
		}
		out.Values = append(out.Values, rv)
	}
	subs, err := reg.Subkeys(tok, path)
	if err != nil {
		return out, opError(err)
	}
	for _, sub := range subs {
		child := ops.RegistryKey{Path: path + `\` + sub, Exists: true}
		if depth != 0 {
			if child, err = h.regKey(tok, path+`\`+sub, depth-1); err != nil {
				return out, err
			}
		}
		out.Subkeys = append(out.Subkeys, child)
	}
	return out, nil
}

// modelValue converts a typed value from the catalog's JSON form.
func modelValue(a ops.RegistrySetArgs) (model.Value, error) {
	switch strings.ToUpper(a.Type) {
	case "REG_SZ":
		return model.SZ(a.Name, a.String), nil
	case "REG_EXPAND_SZ":
		return model.ExpandSZ(a.Name, a.String), nil
	case "REG_MULTI_SZ":
		return model.MultiSZ(a.Name, a.Strings...), nil
	case "REG_DWORD":
		if a.Number > 0xFFFFFFFF {
			return model.Value{}, invalidArgs("REG_DWORD number out of range")
		}
		return model.DWORD(a.Name, uint32(a.Number)), nil
	case "REG_QWORD":
		return model.QWORD(a.Name, a.Number), nil
	case "REG_BINARY":
		return model.Binary(a.Name, a.Binary), nil
	}
	return model.Value{}, invalidArgs("type must be REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD or REG_BINARY, not " + a.Type)
}

func registrySet(c opCall, a ops.RegistrySetArgs) (any, error) {
	h, tok := c.h, c.tok
	v, err := modelValue(a)
	if err != nil {
		return nil, err
	}
	before, err := h.regValue(tok, a.Path, a.Name)
	if err != nil {
		return nil, err
	}
	// The keys that do not exist yet, outermost first (undo removes them).
	var created []string
	reg := h.m.Registry()
	for p := a.Path; !reg.KeyExists(tok, p); {
		created = append([]string{p}, created...)
		i := strings.LastIndexByte(p, '\\')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	if err := reg.CreateKey(tok, a.Path); err != nil {
		return nil, opError(err)
	}
	if err := reg.SetValue(tok, a.Path, v); err != nil {
		return nil, opError(err)
	}
	after, err := h.regValue(tok, a.Path, a.Name)
	return ops.RegistryValueChange{Before: before, After: after, KeyCreated: created}, err
}

func registryDeleteValue(c opCall, a ops.RegistryValueArgs) (any, error) {
	h, tok := c.h, c.tok
	before, err := h.regValue(tok, a.Path, a.Name)
	if err != nil {
		return nil, err
	}
	if before.Exists {
		if err := h.m.Registry().DeleteValue(tok, a.Path, a.Name); err != nil {
			return nil, opError(err)
		}
	}
	return ops.RegistryValueChange{Before: before, After: ops.RegistryValue{Path: a.Path, Name: a.Name}}, nil
}

func registryDeleteKey(c opCall, a ops.RegistryKeyArgs) (any, error) {
	h, tok := c.h, c.tok
	before, err := h.regKey(tok, a.Path, -1)
	if err != nil {
		return nil, err
	}
	if before.Exists {
		if err := h.m.Registry().DeleteKey(tok, a.Path); err != nil {
			// Part of the tree may be gone: the error comes with the whole
			// tree as it was, the undo data (ops.Result.Value), as in the module.
			oe := opError(err).(*ops.Error)
			oe.Message = "deleting " + a.Path + " stopped part way (the result's before holds the whole tree): " + oe.Message
			return ops.RegistryKeyChange{Before: before}, &partialChange{oe}
		}
	}
	return ops.RegistryKeyChange{Before: before}, nil
}
