package win

// AccessMask is a Windows ACCESS_MASK.
type AccessMask uint32

// File and directory rights: Microsoft "File Security and Access Rights",
// "File Access Rights Constants" and "Standard Access Rights" (D).
const (
	FileReadData        AccessMask = 0x1 // also FILE_LIST_DIRECTORY
	FileWriteData       AccessMask = 0x2 // also FILE_ADD_FILE
	FileAppendData      AccessMask = 0x4 // also FILE_ADD_SUBDIRECTORY
	FileReadEA          AccessMask = 0x8
	FileWriteEA         AccessMask = 0x10
	FileExecute         AccessMask = 0x20 // also FILE_TRAVERSE
	FileDeleteChild     AccessMask = 0x40
	FileReadAttributes  AccessMask = 0x80
	FileWriteAttributes AccessMask = 0x100

	FileListDirectory   = FileReadData
	FileAddFile         = FileWriteData
	FileAddSubdirectory = FileAppendData
	FileTraverse        = FileExecute

	Delete      AccessMask = 0x10000
	ReadControl AccessMask = 0x20000
	WriteDAC    AccessMask = 0x40000
	WriteOwner  AccessMask = 0x80000
	Synchronize AccessMask = 0x100000

	MaximumAllowed AccessMask = 0x02000000
	GenericAll     AccessMask = 0x10000000
	GenericExecute AccessMask = 0x20000000
	GenericWrite   AccessMask = 0x40000000
	GenericRead    AccessMask = 0x80000000

	FileAllAccess     AccessMask = 0x1F01FF // FA
	FileGenericRead   AccessMask = 0x120089 // FR
	FileGenericWrite  AccessMask = 0x120116 // FW
	FileGenericExec   AccessMask = 0x1200A0 // FX
	FileModify        AccessMask = 0x1301BF // icacls M
	FileReadExecute   AccessMask = 0x1200A9 // icacls RX
	KeyAllAccess      AccessMask = 0xF003F  // KA
	KeyRead           AccessMask = 0x20019  // KR (= KX)
	KeyWrite          AccessMask = 0x20006  // KW
	genericRightsMask            = GenericAll | GenericExecute | GenericWrite | GenericRead
)

// GenericMapping maps GENERIC_* bits to an object type's specific rights.
type GenericMapping struct {
	Read, Write, Execute, All AccessMask
}

// FileMapping is the generic mapping of files and directories (D: "File
// Security and Access Rights": GENERIC_READ is FILE_GENERIC_READ, ...).
var FileMapping = GenericMapping{Read: FileGenericRead, Write: FileGenericWrite,
	Execute: FileGenericExec, All: FileAllAccess}

// KeyMapping is the generic mapping of registry keys (D: "Registry Key
// Security and Access Rights").
var KeyMapping = GenericMapping{Read: KeyRead, Write: KeyWrite,
	Execute: KeyRead, All: KeyAllAccess}

// Map replaces generic bits of m with the specific rights they stand for.
func (g GenericMapping) Map(m AccessMask) AccessMask {
	out := m &^ genericRightsMask
	if m&GenericRead != 0 {
		out |= g.Read
	}
	if m&GenericWrite != 0 {
		out |= g.Write
	}
	if m&GenericExecute != 0 {
		out |= g.Execute
	}
	if m&GenericAll != 0 {
		out |= g.All
	}
	return out
}
