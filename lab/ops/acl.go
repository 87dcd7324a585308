package ops

// Security descriptor ops on files and folders.
const (
	OpACLGet = "acl.get"
	OpACLSet = "acl.set"
)

// ACLGetArgs names a file or folder.
type ACLGetArgs struct {
	Path string `json:"path"`
}

// ACL is a security descriptor: SDDL (owner, group, DACL with its P/AI
// flags) and the icacls lines a person reads.
type ACL struct {
	Path      string   `json:"path"`
	Exists    bool     `json:"exists"`
	SDDL      string   `json:"sddl,omitempty"`
	Owner     string   `json:"owner,omitempty"` // SID
	Protected bool     `json:"protected"`       // DACL does not inherit
	ICACLS    []string `json:"icacls,omitempty"`
}

// ACLSetArgs sets parts of a security descriptor from SDDL. Sections
// lists which of "owner", "group", "dacl" to apply (default: "dacl").
// Inheritance follows the DACL's flags: "D:P" protects it; without P the
// parent's inheritable ACEs are merged back, and children are re-propagated.
type ACLSetArgs struct {
	Path     string   `json:"path"`
	SDDL     string   `json:"sddl"`
	Sections []string `json:"sections,omitempty"`
}

// ACLChange is what acl.set returns. After has no SDDL when the new DACL
// denies the caller READ_CONTROL.
type ACLChange struct {
	Before ACL `json:"before"`
	After  ACL `json:"after"`
}
