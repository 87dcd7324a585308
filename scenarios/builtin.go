package scenarios

import (
	"embed"
	"io/fs"
	"path"
	"strings"
)

// The built-in catalog: one scenario per file, file name = scenario name.
//
//go:embed builtin/*.yaml
var builtinFiles embed.FS

// builtinPrefix marks Scenario.File of the built-in catalog.
const builtinPrefix = "builtin:"

// BuiltinFS is the built-in catalog's files (builtin/<name>.yaml), for
// tools that show or export them.
func BuiltinFS() fs.FS {
	sub, err := fs.Sub(builtinFiles, "builtin")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	return sub
}

// Builtin returns the built-in catalog, checked against the faults
// package's registry, sorted by name.
func Builtin() ([]*Scenario, error) { return (*Loader)(nil).Builtin() }

// Builtin returns the built-in catalog checked by l. Each call parses the
// files afresh, so callers may change what they get.
func (l *Loader) Builtin() ([]*Scenario, error) {
	entries, err := fs.ReadDir(builtinFiles, "builtin")
	if err != nil {
		return nil, err
	}
	var files []loaded
	for _, e := range entries { // ReadDir sorts by name
		if e.IsDir() || path.Ext(e.Name()) != ".yaml" {
			continue
		}
		data, err := builtinFiles.ReadFile("builtin/" + e.Name())
		if err != nil {
			return nil, err
		}
		file := builtinPrefix + e.Name()
		sc, name, err := l.parse(file, data, "", true)
		if err == nil && sc.Name != strings.TrimSuffix(e.Name(), ".yaml") {
			err = FileErrors{{File: file, Line: name.Line, Column: name.Column,
				Msg: "a built-in scenario's file is named after it: " + sc.Name + ".yaml"}}
		}
		files = append(files, loaded{sc: sc, name: name, err: err})
	}
	return collect(files)
}
