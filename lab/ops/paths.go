package ops

import "strings"

// File system ops.
const (
	OpPathStat   = "path.stat"
	OpPathList   = "path.list"
	OpPathCreate = "path.create"
	OpPathMove   = "path.move"
	OpPathRemove = "path.remove"
	// OpPathSetAttributes sets which of ReadOnly, Hidden and System a
	// file or folder has (C:\Windows\Installer is Hidden and System).
	OpPathSetAttributes = "path.set_attributes"
)

// PathArgs names a path.
type PathArgs struct {
	Path string `json:"path"`
}

// PathInfo describes a path. Exists is false for a missing one;
// ParentExists tells a missing file from a missing folder on its way
// (Windows' "file not found" vs "path not found").
type PathInfo struct {
	Path         string   `json:"path"`
	Exists       bool     `json:"exists"`
	ParentExists bool     `json:"parent_exists"`
	IsDir        bool     `json:"is_dir,omitempty"`
	Size         int64    `json:"size,omitempty"`
	Attributes   []string `json:"attributes,omitempty"` // Hidden, System, ReadOnly
}

// PathList is a folder's entries.
type PathList struct {
	Path    string     `json:"path"`
	Entries []PathInfo `json:"entries"`
}

// PathCreateArgs creates a folder (with missing parents) or a file.
type PathCreateArgs struct {
	Path string `json:"path"`
	Type string `json:"type"` // "directory" or "file"
	// Content of a file; a file that exists is replaced.
	Content []byte `json:"content,omitempty"`
}

// PathCreated lists what path.create created, outermost first (undo: remove
// them in reverse), and the content of a file it replaced (undo: write it back).
type PathCreated struct {
	Created         []string `json:"created"`
	Replaced        bool     `json:"replaced,omitempty"`
	ReplacedContent []byte   `json:"replaced_content,omitempty"`
}

// PathMoveArgs moves From to To; To must not exist.
type PathMoveArgs struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// PathMoved is what path.move returns (undo: move To back to From).
type PathMoved struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// PathRemoveArgs removes a file or an empty folder. With Marker, it removes
// only the folder msilab created: one that holds the file Marker (a bare
// name) and nothing else; the marker goes with it. A folder without the
// marker is not msilab's and is kept (Kept says so): the undo of a
// creation is then already done, and never removes what was there before.
type PathRemoveArgs struct {
	Path   string `json:"path"`
	Marker string `json:"marker,omitempty"`
}

// PathRemoved is what path.remove returns: the removed object, its
// security descriptor, and a file's content, so that it can be recreated.
// Kept is why nothing was removed ("" when Path was removed or was gone).
type PathRemoved struct {
	Before  PathInfo `json:"before"`
	SDDL    string   `json:"sddl,omitempty"`
	Content []byte   `json:"content,omitempty"`
	Kept    string   `json:"kept,omitempty"`
}

// ValidMarker reports whether m is a bare file name a marker may have:
// letters, digits, '.', '-' and '_', not only dots.
func ValidMarker(m string) bool {
	if m == "" || len(m) > 64 || strings.Trim(m, ".") == "" {
		return false
	}
	for _, r := range m {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Attributes path.set_attributes sets (FILE_ATTRIBUTE_READONLY, _HIDDEN,
// _SYSTEM); the others a path has (Archive, Directory, ...) are kept.
var Attributes = []string{"ReadOnly", "Hidden", "System"}

// PathSetAttributesArgs gives the attributes, of Attributes, that Path
// must have; those of Attributes not listed are cleared (an empty list
// clears all three).
type PathSetAttributesArgs struct {
	Path       string   `json:"path"`
	Attributes []string `json:"attributes"`
}

// PathAttributesChange is what path.set_attributes returns (undo: set
// Before.Attributes back).
type PathAttributesChange struct {
	Before PathInfo `json:"before"`
	After  PathInfo `json:"after"`
}
