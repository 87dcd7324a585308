package ops

// Registry ops. Paths are like "HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer"
// (HKLM, HKCU, HKU and the HKEY_ forms). Values are typed:
//
//	REG_SZ, REG_EXPAND_SZ: "string"; REG_MULTI_SZ: "strings";
//	REG_DWORD, REG_QWORD: "number"; REG_BINARY: "binary" (base64).
const (
	OpRegistryGet         = "registry.get"
	OpRegistryList        = "registry.list"
	OpRegistrySet         = "registry.set"
	OpRegistryDeleteValue = "registry.delete_value"
	OpRegistryDeleteKey   = "registry.delete_key"
)

// RegistryValueArgs names a value ("" is the key's default value).
type RegistryValueArgs struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

// RegistryKeyArgs names a key.
type RegistryKeyArgs struct {
	Path string `json:"path"`
}

// RegistryValue is a typed value. Exists is false for a missing value
// (or key); the other fields are then empty.
type RegistryValue struct {
	Path    string   `json:"path"`
	Name    string   `json:"name"`
	Exists  bool     `json:"exists"`
	Type    string   `json:"type,omitempty"`
	String  string   `json:"string,omitempty"`
	Strings []string `json:"strings,omitempty"`
	Number  uint64   `json:"number,omitempty"`
	Binary  []byte   `json:"binary,omitempty"`
}

// RegistrySetArgs writes a value: Type and the field of that type.
type RegistrySetArgs struct {
	Path    string   `json:"path"`
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	String  string   `json:"string,omitempty"`
	Strings []string `json:"strings,omitempty"`
	Number  uint64   `json:"number,omitempty"`
	Binary  []byte   `json:"binary,omitempty"`
}

// RegistryValueChange is what registry.set and registry.delete_value return.
type RegistryValueChange struct {
	Before RegistryValue `json:"before"`
	After  RegistryValue `json:"after"`
	// KeyCreated lists the keys registry.set had to create, outermost first.
	KeyCreated []string `json:"key_created,omitempty"`
}

// RegistryKey is a key's content, recursively (for registry.list, one level).
type RegistryKey struct {
	Path    string          `json:"path"`
	Exists  bool            `json:"exists"`
	Values  []RegistryValue `json:"values,omitempty"`
	Subkeys []RegistryKey   `json:"subkeys,omitempty"`
}

// RegistryKeyChange is what registry.delete_key returns: the deleted tree.
type RegistryKeyChange struct {
	Before RegistryKey `json:"before"`
}
