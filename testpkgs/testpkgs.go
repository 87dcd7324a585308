// Package testpkgs holds the lab's test packages: small .msi files built by
// wixl from the .wxs sources beside them (go generate rebuilds them), and the
// facts authored in those sources.
package testpkgs

import (
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
)

//go:embed permachine.msi peruser.msi ca-ok.msi ca-fail.msi ca-missing-exe.msi
var files embed.FS

// ErrUnknown is matched (errors.Is) by every *UnknownError.
var ErrUnknown = errors.New("testpkgs: unknown test package")

// UnknownError reports a name that is not a test package.
type UnknownError struct {
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("testpkgs: unknown test package %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

func (e *UnknownError) Unwrap() error { return ErrUnknown }

// Info is what a package's .wxs source authors.
type Info struct {
	Name        string // "permachine": the file is Name + ".msi"
	ProductCode string
	UpgradeCode string
	ProductName string
	PerMachine  bool // ALLUSERS=1; otherwise per-user (no ALLUSERS, no-elevation bit)
	// DeferredCA is the deferred, no-impersonate EXE custom action (type
	// 3122) that runs "cmd.exe /c exit CAExitCode" on first install; "" if none.
	DeferredCA string
	CAExitCode int
	// CAProgram, when set, is the program DeferredCA runs instead of
	// cmd.exe (what the type 51 setter gives CMDEXE) and CACommand its
	// command line: a program the package does not install (Error 1721).
	CAProgram  string
	CACommand  string
	InstallDir string // directory of File, from its standard folder: `ProgramFilesFolder\MsiLab\PerMachine`
	File       string // the one payload file
	// RegistryKey (with hive) holds the value named RegistryValue, whose data
	// is the product version, "1.0.0".
	RegistryKey   string
	RegistryValue string
}

var infos = map[string]Info{
	"permachine": {
		Name:          "permachine",
		ProductCode:   "{92281016-51D7-4D16-BEF2-82F4FB32D003}",
		UpgradeCode:   "{AAD81C30-4226-40B5-B472-34B1AC5E1756}",
		ProductName:   "MsiLab PerMachine",
		PerMachine:    true,
		InstallDir:    `ProgramFilesFolder\MsiLab\PerMachine`,
		File:          "readme.txt",
		RegistryKey:   `HKLM\Software\MsiLab\PerMachine`,
		RegistryValue: "Version",
	},
	"peruser": {
		Name:          "peruser",
		ProductCode:   "{C4BB9232-1F8B-474C-AFC1-5328A2F9E74F}",
		UpgradeCode:   "{5A15B0C3-316A-4687-A378-2B6C0F85B5D0}",
		ProductName:   "MsiLab PerUser",
		InstallDir:    `LocalAppDataFolder\MsiLab\PerUser`,
		File:          "readme.txt",
		RegistryKey:   `HKCU\Software\MsiLab\PerUser`,
		RegistryValue: "Version",
	},
	"ca-ok": {
		Name:          "ca-ok",
		ProductCode:   "{BAD30D05-07E9-40CF-91AB-F695A8564AFD}",
		UpgradeCode:   "{D42E3099-C642-4860-BA86-DD0ED9541FF6}",
		ProductName:   "MsiLab CustomAction OK",
		PerMachine:    true,
		DeferredCA:    "MsiLabDeferredOk",
		CAExitCode:    0,
		InstallDir:    `ProgramFilesFolder\MsiLab\CaOk`,
		File:          "readme.txt",
		RegistryKey:   `HKLM\Software\MsiLab\CaOk`,
		RegistryValue: "Version",
	},
	"ca-fail": {
		Name:          "ca-fail",
		ProductCode:   "{77F16A45-9408-4CC5-84F5-EB6BB829F681}",
		UpgradeCode:   "{4A14578B-6158-47B9-A013-06F451F2FDC3}",
		ProductName:   "MsiLab CustomAction Fail",
		PerMachine:    true,
		DeferredCA:    "MsiLabDeferredFail",
		CAExitCode:    3,
		InstallDir:    `ProgramFilesFolder\MsiLab\CaFail`,
		File:          "readme.txt",
		RegistryKey:   `HKLM\Software\MsiLab\CaFail`,
		RegistryValue: "Version",
	},
	"ca-missing-exe": {
		Name:          "ca-missing-exe",
		ProductCode:   "{330A1836-D16A-46D0-BB31-6D4CF98BB992}",
		UpgradeCode:   "{428CEC4B-EC5A-47A2-BF69-3ECEEE26D9BF}",
		ProductName:   "MsiLab CustomAction Missing Exe",
		PerMachine:    true,
		DeferredCA:    "MsiLabDeferredMissingExe",
		CAProgram:     "[INSTALLDIR]MsiLabSetup.exe",
		CACommand:     "/quiet",
		InstallDir:    `ProgramFilesFolder\MsiLab\CaMissingExe`,
		File:          "readme.txt",
		RegistryKey:   `HKLM\Software\MsiLab\CaMissingExe`,
		RegistryValue: "Version",
	},
}

// Names returns the test packages' names, sorted.
func Names() []string {
	names := make([]string, 0, len(infos))
	for n := range infos {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Bytes returns a copy of the named package's .msi file.
func Bytes(name string) ([]byte, error) {
	if _, ok := infos[name]; !ok {
		return nil, &UnknownError{Name: name, Known: Names()}
	}
	return files.ReadFile(name + ".msi")
}

// Lookup returns the facts authored in the named package's source.
func Lookup(name string) (Info, error) {
	info, ok := infos[name]
	if !ok {
		return Info{}, &UnknownError{Name: name, Known: Names()}
	}
	return info, nil
}
