package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msi"
	"github.com/msilab/msilab/testpkgs"
	"github.com/msilab/msilab/win"
)

// Actions of a scenario.
const (
	ActionInstall   = "install"
	ActionUninstall = "uninstall"
)

// FaultCatalog is what scenario files are checked against and what Explain
// asks about faults. The faults package's registry is the default; tests
// and tools may supply their own.
type FaultCatalog interface {
	Lookup(name string) (faults.Info, error)
	Decode(name string, params json.RawMessage) (faults.Fault, error)
	ParamsOf(name string) ([]faults.Param, error)
}

// registry is the faults package's catalog.
type registry struct{}

func (registry) Lookup(name string) (faults.Info, error) { return faults.Lookup(name) }
func (registry) Decode(name string, p json.RawMessage) (faults.Fault, error) {
	return faults.Decode(name, p)
}
func (registry) ParamsOf(name string) ([]faults.Param, error) { return faults.ParamsOf(name) }

// Loader reads and checks scenario files. The zero Loader checks against
// the faults package's registry and the built-in OS profiles; the
// package-level Parse, LoadFile, LoadDir, Builtin and Explain use it.
type Loader struct {
	// Faults is the fault catalog (nil: the faults package).
	Faults FaultCatalog
	// Profiles are the known OS profile names (nil: model.Profiles()).
	Profiles []string
}

func (l *Loader) faults() FaultCatalog {
	if l == nil || l.Faults == nil {
		return registry{}
	}
	return l.Faults
}

func (l *Loader) profiles() []string {
	if l != nil && l.Profiles != nil {
		return l.Profiles
	}
	var names []string
	for _, p := range win.Profiles() {
		names = append(names, p.Name)
	}
	return names
}

// Parse reads one scenario from data; file names it in errors and in
// Scenario.File, and a package path is resolved against file's directory.
func Parse(file string, data []byte) (*Scenario, error) { return (*Loader)(nil).Parse(file, data) }

// LoadFile reads one scenario file.
func LoadFile(path string) (*Scenario, error) { return (*Loader)(nil).LoadFile(path) }

// LoadDir reads every *.yaml file of dir (not its subdirectories), sorted by
// file name.
func LoadDir(dir string) ([]*Scenario, error) { return (*Loader)(nil).LoadDir(dir) }

// Parse reads one scenario from data, strictly: unknown keys, values of
// the wrong type and invalid values are all reported, as FileErrors.
func (l *Loader) Parse(file string, data []byte) (*Scenario, error) {
	sc, _, err := l.parse(file, data, filepath.Dir(file), false)
	return sc, err
}

// LoadFile reads one scenario file.
func (l *Loader) LoadFile(path string) (*Scenario, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, FileErrors{{File: path, Msg: readMsg(err), Err: err}}
	}
	return l.Parse(path, data)
}

// MaxFileSize is the largest scenario file read: scenarios are a few
// dozen lines.
const MaxFileSize = 1 << 20

// readFile reads a scenario file: a regular file (a FIFO would block the
// read, /dev/zero never end it) of at most MaxFileSize bytes.
func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a scenario", path, MaxFileSize)
	}
	return data, nil
}

func readMsg(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ErrNoScenarios is returned by LoadDir for a directory without *.yaml files.
var ErrNoScenarios = errors.New("scenarios: no scenario files (*.yaml)")

// LoadDir reads every *.yaml file of dir, sorted by file name. Problems of
// all files are reported together; two files with the same scenario name
// are an error.
func (l *Loader) LoadDir(dir string) ([]*Scenario, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("scenarios: %w", err)
		}
		return nil, fmt.Errorf("%w in %s", ErrNoScenarios, dir)
	}
	sort.Strings(paths)
	var files []loaded
	for _, p := range paths {
		data, err := readFile(p)
		if err != nil {
			files = append(files, loaded{err: FileErrors{{File: p, Msg: readMsg(err), Err: err}}})
			continue
		}
		sc, name, err := l.parse(p, data, filepath.Dir(p), false)
		files = append(files, loaded{sc: sc, name: name, err: err})
	}
	return collect(files)
}

// loaded is one parsed file and the position of its name.
type loaded struct {
	sc   *Scenario
	name *yaml.Node
	err  error
}

// collect gathers the scenarios of a set of files, or all their problems,
// including repeated scenario names.
func collect(files []loaded) ([]*Scenario, error) {
	var errs FileErrors
	var out []*Scenario
	first := map[string]*Scenario{}
	firstPos := map[string]*yaml.Node{}
	for _, f := range files {
		if f.err != nil {
			var fe FileErrors
			if errors.As(f.err, &fe) {
				errs = append(errs, fe...)
			} else {
				errs = append(errs, &FileError{Msg: f.err.Error(), Err: f.err})
			}
			continue
		}
		if prev, dup := first[f.sc.Name]; dup {
			p := firstPos[f.sc.Name]
			errs = append(errs, &FileError{File: f.sc.File, Line: f.name.Line, Column: f.name.Column,
				Msg: fmt.Sprintf("duplicate scenario name %q (also in %s:%d)", f.sc.Name, prev.File, p.Line)})
			continue
		}
		first[f.sc.Name], firstPos[f.sc.Name] = f.sc, f.name
		out = append(out, f.sc)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// The keys of each mapping, in the order the documentation lists them.
var (
	scenarioKeys = []string{"name", "summary", "references", "evidence", "package", "action", "contexts", "ui",
		"logon", "properties", "faults", "os", "expect", "overrides"}
	expectKeys   = []string{"exit_code", "messages", "log", "not_log", "events", "no_events"}
	overrideKeys = []string{"os", "contexts", "exit_code", "messages", "log", "not_log", "events", "no_events", "reason"}
)

var (
	nameRE        = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	productCodeRE = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)
	yamlLineRE    = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// parser collects the problems of one file.
type parser struct {
	l        *Loader
	file     string
	dir      string
	builtin  bool
	profiles []string
	errs     FileErrors
}

func (p *parser) errAt(n *yaml.Node, err error, format string, args ...any) {
	fe := &FileError{File: p.file, Msg: fmt.Sprintf(format, args...), Err: err}
	if n != nil {
		fe.Line, fe.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, fe)
}

func (p *parser) errf(n *yaml.Node, format string, args ...any) { p.errAt(n, nil, format, args...) }

// parse returns the scenario and its name's node (for duplicate reports).
func (l *Loader) parse(file string, data []byte, dir string, builtin bool) (*Scenario, *yaml.Node, error) {
	p := &parser{l: l, file: file, dir: dir, builtin: builtin, profiles: l.profiles()}
	root := p.document(data)
	if root == nil {
		return nil, nil, p.errs
	}
	sc, name := p.scenario(root)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i], p.errs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		return nil, nil, p.errs
	}
	sum := sha256.Sum256(data)
	sc.File, sc.SHA256 = file, hex.EncodeToString(sum[:])
	return sc, name, nil
}

// document decodes the one YAML document of a file and returns its root mapping.
func (p *parser) document(data []byte) *yaml.Node {
	if err := p.encoding(data); err != nil {
		p.errs = append(p.errs, err)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errf(nil, "empty file: a scenario needs at least name, package and expect")
		} else {
			p.syntax(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		p.errf(&next, "a second YAML document: a file holds one scenario")
		return nil
	case !errors.Is(err, io.EOF):
		p.syntax(err)
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		p.errf(root, "a scenario is a mapping of keys (%s), got %s", strings.Join(scenarioKeys, ", "), describe(root))
		return nil
	}
	return root
}

// encoding checks that data is text YAML can read: UTF-8 (or UTF-16 with
// its byte-order mark, which YAML decodes), reporting the line and column
// of the first byte that is not, and of a NUL or another control character
// that YAML refuses without saying where.
func (p *parser) encoding(data []byte) *FileError {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &FileError{File: p.file, Line: line, Column: col,
				Msg: fmt.Sprintf("not UTF-8 text: byte 0x%02X (save the file as UTF-8)", data[i])}
		case r == '\n':
			line, col = line+1, 0
		case r != '\t' && r != '\r' && (r < 0x20 || r == 0x7f):
			return &FileError{File: p.file, Line: line, Column: col, Msg: fmt.Sprintf("control character %U in the text", r)}
		}
		i += size
		col++
	}
	return nil
}

// syntax reports a YAML syntax error. yaml.v3 has no typed syntax error:
// its message carries the line, which is the only place to read it from.
func (p *parser) syntax(err error) {
	fe := &FileError{File: p.file, Msg: err.Error(), Err: err}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Msg = "YAML syntax: " + m[2]
	}
	p.errs = append(p.errs, fe)
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// field is one key of a mapping and its value.
type field struct {
	key, val *yaml.Node
}

// fields returns a mapping's keys by name, reporting unknown and repeated
// keys (where names the mapping in messages: "" for the top level).
func (p *parser) fields(n *yaml.Node, where string, known []string) map[string]field {
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" && k.Tag != "!!merge" {
			p.errf(k, "keys%s are names, got %s", where, describe(k))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			p.errf(k, "%s%s is set twice (first on line %d)", k.Value, where, prev.key.Line)
			continue
		}
		if !slices.Contains(known, k.Value) {
			p.errf(k, "unknown key %q%s (known: %s)", k.Value, where, strings.Join(known, ", "))
			continue
		}
		out[k.Value] = field{k, v}
	}
	return out
}

// describe names a node's kind for messages: `a string ("abc")`.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("a string (%q)", n.Value)
		case "!!int":
			return fmt.Sprintf("an integer (%s)", n.Value)
		case "!!float":
			return fmt.Sprintf("a number (%s)", n.Value)
		case "!!bool":
			return fmt.Sprintf("a boolean (%s)", n.Value)
		case "!!null":
			return "nothing (null)"
		}
		return fmt.Sprintf("%s (%s)", n.Tag, n.Value)
	}
	return "an unsupported YAML node"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// str reads a string; null reads as "".
func (p *parser) str(f field) (string, bool) {
	if isNull(f.val) {
		return "", true
	}
	if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!str" {
		p.errf(f.val, "%s: expected a string, got %s", f.key.Value, describe(f.val))
		return "", false
	}
	return f.val.Value, true
}

func (p *parser) integer(key string, n *yaml.Node) (int, bool) {
	var i int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		p.errf(n, "%s: expected an integer, got %s", key, describe(n))
		return 0, false
	}
	return i, true
}

func (p *parser) boolean(f field) (bool, bool) {
	var b bool
	if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!bool" || f.val.Decode(&b) != nil {
		p.errf(f.val, "%s: expected true or false, got %s", f.key.Value, describe(f.val))
		return false, false
	}
	return b, true
}

// list returns a sequence's items; null is an empty list.
func (p *parser) list(f field) ([]*yaml.Node, bool) {
	if isNull(f.val) {
		return nil, true
	}
	if f.val.Kind != yaml.SequenceNode {
		p.errf(f.val, "%s: expected a list, got %s", f.key.Value, describe(f.val))
		return nil, false
	}
	items := make([]*yaml.Node, len(f.val.Content))
	for i, it := range f.val.Content {
		items[i] = deref(it)
	}
	return items, true
}

// strings reads a list of non-empty strings (never nil when ok).
func (p *parser) strings(f field) ([]string, []*yaml.Node, bool) {
	items, ok := p.list(f)
	if !ok {
		return nil, nil, false
	}
	out := []string{}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Tag != "!!str" {
			p.errf(it, "%s: expected strings, got %s", f.key.Value, describe(it))
			ok = false
			continue
		}
		if it.Value == "" {
			p.errf(it, "%s: empty string", f.key.Value)
			ok = false
			continue
		}
		out = append(out, it.Value)
	}
	return out, items, ok
}

// ints reads a list of positive integers (never nil when ok).
func (p *parser) ints(f field) ([]int, bool) {
	items, ok := p.list(f)
	if !ok {
		return nil, false
	}
	out := []int{}
	for _, it := range items {
		i, good := p.integer(f.key.Value, it)
		if good && i <= 0 {
			p.errf(it, "%s: %d is not a message or event number", f.key.Value, i)
			good = false
		}
		ok = ok && good
		out = append(out, i)
	}
	return out, ok
}

// names reads a list of names that must each be in known, without repeats.
func (p *parser) names(f field, what string, known []string) ([]string, bool) {
	vals, items, ok := p.strings(f)
	if !ok {
		return nil, false
	}
	if len(vals) == 0 {
		p.errf(f.val, "%s: empty list (omit the key instead)", f.key.Value)
		return nil, false
	}
	seen := map[string]bool{}
	for i, v := range vals {
		switch {
		case !slices.Contains(known, v):
			p.errf(items[i], "unknown %s %q (known: %s)", what, v, strings.Join(known, ", "))
			ok = false
		case seen[v]:
			p.errf(items[i], "%s %q is listed twice", what, v)
			ok = false
		}
		seen[v] = true
	}
	return vals, ok
}

// scenario decodes the root mapping.
func (p *parser) scenario(root *yaml.Node) (*Scenario, *yaml.Node) {
	fs := p.fields(root, "", scenarioKeys)
	sc := &Scenario{}
	for _, req := range []string{"name", "package", "expect"} {
		if _, ok := fs[req]; !ok {
			p.errf(root, "missing %s", req)
		}
	}
	var nameNode *yaml.Node
	if f, ok := fs["name"]; ok {
		nameNode = f.val
		if s, ok := p.str(f); ok {
			sc.Name = s
			if s == "" {
				p.errf(f.val, "name is empty")
			} else if !nameRE.MatchString(s) {
				p.errf(f.val, "name %q: use lowercase letters, digits and single dashes (kebab-case, like temp-acl-read-only)", s)
			}
		}
	}
	if f, ok := fs["summary"]; ok {
		sc.Summary, _ = p.str(f)
	}
	if f, ok := fs["references"]; ok {
		refs, items, ok := p.strings(f)
		for i, r := range refs {
			u, err := url.Parse(r)
			if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
				p.errf(items[i], "reference %q is not an http(s) URL", r)
			}
		}
		if ok && len(refs) > 0 {
			sc.References = refs
		}
	}
	if f, ok := fs["evidence"]; ok {
		sc.Evidence, _ = p.str(f)
	}
	if f, ok := fs["package"]; ok {
		if s, ok := p.str(f); ok {
			sc.Package = s
			p.checkPackage(f.val, s)
		}
	}
	sc.Action = ActionInstall
	if f, ok := fs["action"]; ok {
		if s, ok := p.str(f); ok && s != "" {
			sc.Action = s
			if s != ActionInstall && s != ActionUninstall {
				p.errf(f.val, "action %q: expected install or uninstall", s)
			}
		}
	}
	sc.Contexts = []string{ops.ContextAdminElevated}
	if f, ok := fs["contexts"]; ok {
		if cs, ok := p.names(f, "context", ops.Contexts); ok {
			sc.Contexts = cs
		}
	}
	sc.UI = ops.UINone
	if f, ok := fs["ui"]; ok {
		if s, ok := p.str(f); ok && s != "" {
			sc.UI = s
			if s != ops.UINone && s != ops.UIFull {
				p.errf(f.val, "ui %q: expected none or full", s)
			}
		}
	}
	if f, ok := fs["logon"]; ok {
		if s, ok := p.str(f); ok && s != "" {
			sc.Logon = s
			for _, c := range sc.Contexts {
				if !slices.Contains(ops.ContextLogons[c], s) {
					p.errf(f.val, "logon %q: context %s can use %s", s, c, strings.Join(ops.ContextLogons[c], ", "))
				}
			}
		}
	}
	if f, ok := fs["properties"]; ok {
		sc.Properties = p.properties(f)
	}
	if f, ok := fs["faults"]; ok {
		items, _ := p.list(f)
		for _, it := range items {
			if spec, ok := p.fault(it); ok {
				sc.Faults = append(sc.Faults, spec)
			}
		}
	}
	if f, ok := fs["os"]; ok {
		if oses, ok := p.names(f, "OS profile", p.profiles); ok {
			sc.OS = oses
		}
	}
	if f, ok := fs["expect"]; ok {
		sc.Expect = p.expect(f)
	}
	if f, ok := fs["overrides"]; ok {
		items, _ := p.list(f)
		for i, it := range items {
			if o, ok := p.override(sc, i, it); ok {
				sc.Overrides = append(sc.Overrides, o)
			}
		}
	}
	return sc, nameNode
}

// checkPackage accepts a built-in test package name or an existing .msi
// file (relative to the scenario file).
func (p *parser) checkPackage(n *yaml.Node, pkg string) {
	if _, err := testpkgs.Lookup(pkg); err == nil {
		return
	}
	known := strings.Join(testpkgs.Names(), ", ")
	switch {
	case pkg == "":
		p.errf(n, "package is empty: name a built-in test package (%s) or an .msi file", known)
	case !strings.EqualFold(filepath.Ext(pkg), ".msi"):
		p.errf(n, "unknown package %q: neither a built-in test package (%s) nor an .msi file", pkg, known)
	case p.builtin:
		p.errf(n, "package %q: built-in scenarios use built-in test packages (%s)", pkg, known)
	default:
		if _, err := lab.PackageName(pkg); err != nil {
			p.errf(n, "package %q: %s", pkg, strings.TrimPrefix(err.Error(), "lab: "))
			return
		}
		path := pkg
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.dir, path)
		}
		// What the run reads: a regular file (never a FIFO or a device,
		// which would block or never end), an MSI database with a
		// Property table and a ProductCode.
		db, err := msi.OpenFile(path)
		switch {
		case errors.Is(err, msi.ErrNotRegular) || errors.Is(err, msi.ErrTooLarge):
			p.errAt(n, err, "package %q: %s", pkg, strings.TrimPrefix(err.Error(), "msi: "))
		case errors.Is(err, msi.ErrNotMSI) || errors.Is(err, msi.ErrFormat):
			p.errAt(n, err, "package %q is not a Windows Installer package: %v", pkg, err)
		case err != nil:
			p.errAt(n, err, "package %q: %s", pkg, readMsg(err))
		default:
			if _, terr := db.Table("Property"); terr != nil {
				p.errf(n, "package %q is not a Windows Installer package: it has no Property table", pkg)
			} else if !productCodeRE.MatchString(db.ProductCode()) {
				p.errf(n, "package %q is not a Windows Installer package: its ProductCode %q is not a GUID", pkg, db.ProductCode())
			}
		}
	}
}

func (p *parser) properties(f field) map[string]string {
	if isNull(f.val) {
		return nil
	}
	if f.val.Kind != yaml.MappingNode {
		p.errf(f.val, "properties: expected a mapping of NAME: value, got %s", describe(f.val))
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(f.val.Content); i += 2 {
		k, v := deref(f.val.Content[i]), deref(f.val.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errf(k, "property name: expected a NAME, got %s", describe(k))
			continue
		}
		if err := ops.CheckProperty(k.Value, ""); err != nil {
			p.errf(k, "%v", err)
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errf(k, "property %s is set twice", k.Value)
			continue
		}
		if v.Kind != yaml.ScalarNode || isNull(v) {
			p.errf(v, "property %s: expected a value, got %s", k.Value, describe(v))
			continue
		}
		if err := ops.CheckProperty(k.Value, v.Value); err != nil {
			p.errf(v, "%v", err)
			continue
		}
		out[k.Value] = v.Value
	}
	return out
}

// fault decodes one fault entry: type plus the fault's parameters as
// sibling keys, checked against the catalog and then by faults.Decode.
func (p *parser) fault(n *yaml.Node) (FaultSpec, bool) {
	if n.Kind != yaml.MappingNode {
		p.errf(n, "a fault is a mapping with type: and its parameters, got %s", describe(n))
		return FaultSpec{}, false
	}
	spec := FaultSpec{Line: n.Line}
	var typeNode *yaml.Node
	type kv struct{ k, v *yaml.Node }
	var params []kv
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			p.errf(k, "fault keys are names, got %s", describe(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			p.errf(k, "%s is set twice in this fault (first on line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		if k.Value == "type" {
			typeNode = v
			continue
		}
		params = append(params, kv{k, v})
	}
	if typeNode == nil {
		p.errf(n, "fault without type: (see `msilab faults list`)")
		return FaultSpec{}, false
	}
	if typeNode.Kind != yaml.ScalarNode || typeNode.Tag != "!!str" {
		p.errf(typeNode, "type: expected a fault name, got %s", describe(typeNode))
		return FaultSpec{}, false
	}
	spec.Type = typeNode.Value
	cat := p.l.faults()
	known, err := cat.ParamsOf(spec.Type)
	if err != nil {
		var unknown *faults.UnknownError
		if errors.As(err, &unknown) {
			p.errAt(typeNode, err, "unknown fault type %q (known: %s)", spec.Type, strings.Join(unknown.Known, ", "))
		} else {
			p.errAt(typeNode, err, "fault type %q: %v", spec.Type, err)
		}
		return FaultSpec{}, false
	}
	ok := true
	var buf bytes.Buffer
	buf.WriteByte('{')
	for _, kv := range params {
		i := slices.IndexFunc(known, func(pr faults.Param) bool { return pr.Name == kv.k.Value })
		if i < 0 {
			p.errf(kv.k, "unknown parameter %q for fault %s (%s)", kv.k.Value, spec.Type, paramList(known))
			ok = false
			continue
		}
		if !p.paramType(spec.Type, known[i], kv.v) {
			ok = false
			continue
		}
		var val any
		if err := kv.v.Decode(&val); err != nil {
			p.errAt(kv.v, err, "parameter %s of fault %s: %v", kv.k.Value, spec.Type, err)
			ok = false
			continue
		}
		raw, err := json.Marshal(val)
		if err != nil {
			p.errAt(kv.v, err, "parameter %s of fault %s: %v", kv.k.Value, spec.Type, err)
			ok = false
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(kv.k.Value)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	if !ok {
		return FaultSpec{}, false
	}
	buf.WriteByte('}')
	if len(params) > 0 {
		spec.Params = json.RawMessage(buf.Bytes())
	}
	if _, err := cat.Decode(spec.Type, spec.Params); err != nil {
		msg := strings.TrimPrefix(err.Error(), "faults: ")
		if !strings.HasPrefix(msg, spec.Type) {
			msg = "fault " + spec.Type + ": " + msg
		}
		p.errAt(n, err, "%s", msg)
		return FaultSpec{}, false
	}
	return spec, true
}

func paramList(ps []faults.Param) string {
	if len(ps) == 0 {
		return "it has no parameters"
	}
	names := make([]string, len(ps))
	for i, pr := range ps {
		names[i] = pr.Name
	}
	return "parameters: " + strings.Join(names, ", ")
}

// paramType checks a parameter's YAML value against its Go type, so a type
// error is reported on the value's own line.
func (p *parser) paramType(fault string, pr faults.Param, v *yaml.Node) bool {
	var want string
	okTag := func(tags ...string) bool {
		return v.Kind == yaml.ScalarNode && slices.Contains(tags, v.Tag)
	}
	t := pr.Type
	switch {
	case t == "string":
		if okTag("!!str") {
			return true
		}
		want = "a string"
	case t == "bool":
		if okTag("!!bool") {
			return true
		}
		want = "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		if okTag("!!int") {
			return true
		}
		want = "an integer"
	case strings.HasPrefix(t, "float"):
		if okTag("!!int", "!!float") {
			return true
		}
		want = "a number"
	case strings.HasPrefix(t, "[]"):
		if v.Kind == yaml.SequenceNode {
			return true
		}
		want = "a list"
	default:
		return true // faults.Decode checks the rest
	}
	p.errf(v, "parameter %s of fault %s: expected %s, got %s", pr.Name, fault, want, describe(v))
	return false
}

func (p *parser) expect(f field) Expectation {
	var e Expectation
	if f.val.Kind != yaml.MappingNode {
		p.errf(f.val, "expect: expected a mapping (%s), got %s", strings.Join(expectKeys, ", "), describe(f.val))
		return e
	}
	fs := p.fields(f.val, " in expect", expectKeys)
	if ef, ok := fs["exit_code"]; !ok {
		p.errf(f.val, "expect needs exit_code")
	} else if c, ok := p.integer("exit_code", ef.val); ok {
		if c < 0 {
			p.errf(ef.val, "exit_code: %d is negative", c)
		}
		e.ExitCode = c
	}
	if v, ok := fs["messages"]; ok {
		e.Messages = nilIfEmpty(p.ints(v))
	}
	if v, ok := fs["log"]; ok {
		s, _, good := p.strings(v)
		e.Log = nilIfEmpty(s, good)
	}
	if v, ok := fs["not_log"]; ok {
		s, _, good := p.strings(v)
		e.NotLog = nilIfEmpty(s, good)
	}
	if v, ok := fs["events"]; ok {
		e.Events = nilIfEmpty(p.ints(v))
	}
	if v, ok := fs["no_events"]; ok {
		e.NoEvents, _ = p.boolean(v)
		if e.NoEvents && len(e.Events) > 0 {
			p.errf(v.key, "no_events: true contradicts events")
		}
	}
	return e
}

func nilIfEmpty[T any](s []T, ok bool) []T {
	if !ok || len(s) == 0 {
		return nil
	}
	return s
}

func (p *parser) override(sc *Scenario, i int, n *yaml.Node) (Override, bool) {
	var o Override
	if n.Kind != yaml.MappingNode {
		p.errf(n, "an override is a mapping (%s), got %s", strings.Join(overrideKeys, ", "), describe(n))
		return o, false
	}
	where := fmt.Sprintf(" in overrides[%d]", i)
	fs := p.fields(n, where, overrideKeys)
	ok := true
	if f, has := fs["os"]; has {
		known := p.profiles
		if len(sc.OS) > 0 {
			known = sc.OS
		}
		what := "OS profile"
		if len(sc.OS) > 0 {
			what = "OS profile of this scenario"
		}
		o.OS, ok = p.names(f, what, known)
	}
	if f, has := fs["contexts"]; has {
		var good bool
		o.Contexts, good = p.names(f, "context of this scenario", sc.Contexts)
		ok = ok && good
	}
	if len(o.OS) == 0 && len(o.Contexts) == 0 && ok {
		p.errf(n, "override%s names no os and no contexts: change expect instead", where)
		ok = false
	}
	set := false
	if f, has := fs["exit_code"]; has {
		set = true
		if c, good := p.integer("exit_code", f.val); good {
			o.ExitCode = &c
		} else {
			ok = false
		}
	}
	if f, has := fs["messages"]; has {
		set = true
		v, good := p.ints(f)
		o.Messages, ok = &v, ok && good
	}
	if f, has := fs["log"]; has {
		set = true
		v, _, good := p.strings(f)
		o.Log, ok = &v, ok && good
	}
	if f, has := fs["not_log"]; has {
		set = true
		v, _, good := p.strings(f)
		o.NotLog, ok = &v, ok && good
	}
	if f, has := fs["events"]; has {
		set = true
		v, good := p.ints(f)
		o.Events, ok = &v, ok && good
	}
	if f, has := fs["no_events"]; has {
		set = true
		if b, good := p.boolean(f); good {
			o.NoEvents = &b
			if b && o.Events != nil && len(*o.Events) > 0 {
				p.errf(f.key, "no_events: true contradicts events")
				ok = false
			}
		} else {
			ok = false
		}
	}
	if f, has := fs["reason"]; has {
		o.Reason, _ = p.str(f)
	}
	if !set {
		p.errf(n, "override%s changes nothing: set exit_code, messages, log, not_log, events or no_events", where)
		ok = false
	}
	return o, ok
}

// PackageFile is the local .msi file of a scenario whose package is a
// path (resolved against the scenario file's directory), or "" for a
// built-in test package.
func (s *Scenario) PackageFile() string {
	if _, err := testpkgs.Lookup(s.Package); err == nil || s.Package == "" {
		return ""
	}
	if filepath.IsAbs(s.Package) || strings.HasPrefix(s.File, builtinPrefix) {
		return s.Package
	}
	return filepath.Join(filepath.Dir(s.File), s.Package)
}

// HostPackage is where the package is put on a host:
// lab.PackageDir\<name>.msi (lab.PackageName of a local .msi, which
// loading checked).
func (s *Scenario) HostPackage() string {
	name := s.Package + ".msi"
	if f := s.PackageFile(); f != "" {
		name, _ = lab.PackageName(f)
	}
	return lab.PackageDir + `\` + name
}
