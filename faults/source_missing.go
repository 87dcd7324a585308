package faults

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// SourceMissing hides an installed per-machine product's cached package
// (C:\Windows\Installer\<x>.msi) and its original package at the source
// list's last used source: a removal by product code then needs the
// source and finds none, exit 1612 (docs/evidence.md#E-source-missing).
type SourceMissing struct {
	Product string `json:"product" doc:"the ProductCode {GUID} of an installed per-machine product (default: the permachine test package's)"`
}

var _ Fault = (*SourceMissing)(nil)
var _ Validator = (*SourceMissing)(nil)
var _ FollowUpProber = (*SourceMissing)(nil)
var _ ProductBound = (*SourceMissing)(nil)

// permachineProduct is the permachine test package's ProductCode.
const permachineProduct = "{92281016-51D7-4D16-BEF2-82F4FB32D003}"

var productCodeRE = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)

func init() {
	Register(Info{
		Name:    "source-missing",
		Summary: `an installed product's cached package and its last used source are gone: a removal needs the source, finds none, exit 1612`,
		Evidence: "docs/evidence.md#E-source-missing: the cached package missing and the source list's last used source gone; " +
			"1612 with the SOURCEMGMT lines (D: the code; R: owncloud/client#6861 and a published log, line by line)",
		Inject: `path.move the product's LocalPackage and <LastUsedSource><PackageName> to <name>.msilab-hidden`,
		Revert: `path.move both back from their .msilab-hidden names`,
		New:    func() Fault { return &SourceMissing{Product: permachineProduct} },
	})
}

// Validate accepts a {GUID} ProductCode.
func (f *SourceMissing) Validate() error {
	if !productCodeRE.MatchString(f.Product) {
		return &ParamError{Param: "product", Value: jsonString(f.Product), Want: "a ProductCode like {92281016-51D7-4D16-BEF2-82F4FB32D003}"}
	}
	return nil
}

// packed is the ProductCode as Windows Installer's registry keys name it.
func (f *SourceMissing) packed() string {
	g := strings.ToUpper(strings.Trim(f.Product, "{}"))
	g = strings.ReplaceAll(g, "-", "")
	rev := func(s string) string {
		b := []byte(s)
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		return string(b)
	}
	out := rev(g[0:8]) + rev(g[8:12]) + rev(g[12:16])
	for i := 16; i < 32; i += 2 {
		out += rev(g[i : i+2])
	}
	return out
}

// The per-machine registration's keys (D: Windows Installer's UserData
// and Classes\Installer\Products keys, S-1-5-18 for per-machine).
func (f *SourceMissing) installProps() string {
	return `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\UserData\S-1-5-18\Products\` + f.packed() + `\InstallProperties`
}

func (f *SourceMissing) sourceList() string {
	return `HKLM\SOFTWARE\Classes\Installer\Products\` + f.packed() + `\SourceList`
}

// Probe reads where the cached package and the source are.
func (f *SourceMissing) Probe(Target) []ops.Op {
	get := func(path, name string) ops.Op {
		return ops.MustNew(ops.OpRegistryGet, ops.RegistryValueArgs{Path: path, Name: name})
	}
	return []ops.Op{get(f.installProps(), "LocalPackage"), get(f.sourceList(), "LastUsedSource"), get(f.sourceList(), "PackageName")}
}

// paths reads the cached package's and the source package's paths from
// the first three results; "" when the product is not registered.
func (f *SourceMissing) paths(p Probe) (cached, source string, err error) {
	var lp, lus, name ops.RegistryValue
	for i, v := range []*ops.RegistryValue{&lp, &lus, &name} {
		if err := p.result(i, ops.OpRegistryGet, v); err != nil {
			return "", "", err
		}
	}
	if !lp.Exists || !lus.Exists || !name.Exists {
		return "", "", nil
	}
	// LastUsedSource is type;index;source (D: "SourceList"; n is a folder).
	parts := strings.SplitN(lus.String, ";", 3)
	dir := parts[len(parts)-1]
	if len(parts) != 3 || parts[0] != "n" || dir == "" || strings.ContainsAny(name.String, `\/`) {
		return "", "", hostState("%s: LastUsedSource %q and PackageName %q are not a folder and a file name", f.sourceList(), lus.String, name.String)
	}
	return lp.String, strings.TrimSuffix(dir, `\`) + `\` + name.String, nil
}

// ProbeFollowUp stats both files and their hidden names.
func (f *SourceMissing) ProbeFollowUp(_ Target, first Probe) ([]ops.Op, error) {
	cached, source, err := f.paths(first)
	if err != nil || cached == "" {
		return nil, err
	}
	return append(hideProbe(cached), hideProbe(source)...), nil
}

// state reads the whole probe: the paths, then each file and its hidden name.
func (f *SourceMissing) state(p Probe) (cached, source string, files [4]ops.PathInfo, err error) {
	if cached, source, err = f.paths(p); err != nil || cached == "" {
		return
	}
	if len(p) < 7 {
		err = fmt.Errorf("%w: no follow-up reads in the probe: take it with RunProbe", ErrProbe)
		return
	}
	for i := range files {
		if err = p.result(3+i, ops.OpPathStat, &files[i]); err != nil {
			return
		}
	}
	return
}

// Inject hides both files; the product must be installed with both there.
func (f *SourceMissing) Inject(_ Target, p Probe) ([]ops.Op, error) {
	cached, source, files, err := f.state(p)
	switch {
	case err != nil:
		return nil, err
	case cached == "":
		return nil, hostState("product %s is not installed per-machine (no LocalPackage and source list)", f.Product)
	}
	var out []ops.Op
	for i, path := range []string{cached, source} {
		file, hidden := files[2*i], files[2*i+1]
		switch {
		case hidden.Exists:
			return nil, hostState("%s exists: an earlier run's fault was not reverted", hidden.Path)
		case !file.Exists || file.IsDir:
			return nil, hostState("%s is not a file", path)
		}
		out = append(out, ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: path, To: path + hiddenSuffix}))
	}
	return out, nil
}

// Revert moves back what Inject moved.
func (f *SourceMissing) Revert(_ Target, undo Probe) ([]ops.Op, error) {
	if undo.readFailed(0, len(undo)) {
		return nil, nil
	}
	cached, source, files, err := f.state(undo)
	if err != nil || cached == "" {
		return nil, nil // Inject refused: nothing was changed
	}
	var out []ops.Op
	for i, path := range []string{cached, source} {
		if files[2*i].Exists && !files[2*i+1].Exists {
			out = append(out, ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: path + hiddenSuffix, To: path}))
		}
	}
	return out, nil
}

// Detect reports a registered product whose cached package and source
// package are both missing.
func (f *SourceMissing) Detect(_ Target, now Probe) (Detection, error) {
	cached, source, files, err := f.state(now)
	if err != nil {
		return Detection{}, err
	}
	if cached == "" {
		return Detection{Present: false, Evidence: "product " + f.Product + " is not installed per-machine"}, nil
	}
	if files[0].Exists || files[2].Exists {
		return Detection{Present: false, Evidence: fmt.Sprintf("cached package %s exists: %v; source %s exists: %v", cached, files[0].Exists, source, files[2].Exists)}, nil
	}
	return Detection{Present: true, Evidence: fmt.Sprintf("neither the cached package %s nor the source %s exists", cached, source)}, nil
}

// Unchanged compares the source package as it was and as it is; the
// cached package and the registration only while the product is still
// registered (its removal deletes them: not the fault's doing).
func (f *SourceMissing) Unchanged(_ Target, undo, now Probe) string {
	cached, source, was, err := f.state(undo)
	if err != nil || cached == "" {
		return "" // Inject refused: the fault changed nothing
	}
	var lp ops.RegistryValue
	if err := now.result(0, ops.OpRegistryGet, &lp); err != nil {
		return err.Error()
	}
	if !lp.Exists { // removed: the source must be back as it was
		var file, hidden ops.PathInfo
		if len(now) < 2 || now.result(len(now)-2, ops.OpPathStat, &file) != nil || now.result(len(now)-1, ops.OpPathStat, &hidden) != nil {
			return "no reads of the source " + source
		}
		if !reflect.DeepEqual(file, was[2]) || !reflect.DeepEqual(hidden, was[3]) {
			return fmt.Sprintf("source %s: was %+v / %+v, now %+v / %+v", source, was[2], was[3], file, hidden)
		}
		return ""
	}
	c, s, is, err := f.state(now)
	if err != nil {
		return err.Error()
	}
	if c != cached || s != source || !reflect.DeepEqual(is, was) {
		return fmt.Sprintf("cached package %s and source %s: was %+v, now %+v", cached, source, was, is)
	}
	return ""
}
