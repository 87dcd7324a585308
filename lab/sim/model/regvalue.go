package model

import (
	"fmt"
	"slices"
	"strings"
)

// ValueType is a registry value type (REG_* constants, D).
type ValueType uint32

// Value types.
const (
	RegSZ       ValueType = 1
	RegExpandSZ ValueType = 2
	RegBinary   ValueType = 3
	RegDWORD    ValueType = 4
	RegMultiSZ  ValueType = 7
	RegQWORD    ValueType = 11
)

func (t ValueType) String() string {
	switch t {
	case RegSZ:
		return "REG_SZ"
	case RegExpandSZ:
		return "REG_EXPAND_SZ"
	case RegBinary:
		return "REG_BINARY"
	case RegDWORD:
		return "REG_DWORD"
	case RegMultiSZ:
		return "REG_MULTI_SZ"
	case RegQWORD:
		return "REG_QWORD"
	}
	return fmt.Sprintf("REG_TYPE_%d", uint32(t))
}

// Value is a typed registry value. Str holds REG_SZ and REG_EXPAND_SZ,
// Multi REG_MULTI_SZ, Num REG_DWORD and REG_QWORD, Bin REG_BINARY. The
// empty Name is the key's default value.
type Value struct {
	Name  string
	Type  ValueType
	Str   string
	Multi []string
	Num   uint64
	Bin   []byte
}

// SZ, ExpandSZ, MultiSZ, DWORD, QWORD and Binary build values.
func SZ(name, s string) Value       { return Value{Name: name, Type: RegSZ, Str: s} }
func ExpandSZ(name, s string) Value { return Value{Name: name, Type: RegExpandSZ, Str: s} }
func MultiSZ(name string, s ...string) Value {
	return Value{Name: name, Type: RegMultiSZ, Multi: slices.Clone(s)}
}
func DWORD(name string, n uint32) Value { return Value{Name: name, Type: RegDWORD, Num: uint64(n)} }
func QWORD(name string, n uint64) Value { return Value{Name: name, Type: RegQWORD, Num: n} }
func Binary(name string, b []byte) Value {
	return Value{Name: name, Type: RegBinary, Bin: slices.Clone(b)}
}

// Data renders the data as reg.exe would, roughly: text, 0x-hex numbers,
// "\0"-joined strings, hex bytes.
func (v Value) Data() string {
	switch v.Type {
	case RegSZ, RegExpandSZ:
		return v.Str
	case RegMultiSZ:
		return strings.Join(v.Multi, `\0`)
	case RegDWORD, RegQWORD:
		return fmt.Sprintf("0x%x", v.Num)
	}
	return fmt.Sprintf("%x", v.Bin)
}

func (v Value) clone() Value {
	v.Multi = slices.Clone(v.Multi)
	v.Bin = slices.Clone(v.Bin)
	return v
}
