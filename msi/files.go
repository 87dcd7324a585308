package msi

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// ErrExternalFiles is wrapped by FileData's error when a file is not stored
// in a cabinet embedded in the package: it is in an external cabinet, or
// it is an uncompressed file of the source image.
var ErrExternalFiles = errors.New("msi: package files are not embedded in the package")

// File table attribute bits (File.Attributes).
const (
	FileAttrReadOnly      = 0x0001
	FileAttrHidden        = 0x0002
	FileAttrSystem        = 0x0004
	FileAttrVital         = 0x0200
	FileAttrChecksum      = 0x0400
	FileAttrPatchAdded    = 0x1000
	FileAttrNoncompressed = 0x2000
	FileAttrCompressed    = 0x4000
)

// File describes one row of the File table joined with its component.
type File struct {
	Key        string // File table key (column File); the file's name in its cabinet
	Component  string // Component_
	Directory  string // the component's Directory_
	LongName   string // FileName after '|', or the whole FileName
	ShortName  string // FileName before '|', or the whole FileName
	Size       int    // FileSize
	Version    string // Version: a version string or a companion file key
	Language   string
	Attributes int // FileAttr* bits; 0 when null
	Sequence   int
}

// Files returns the rows of the File table, with each component's
// directory, sorted by Sequence then Key. A package without a File table
// has no files.
func (p *Package) Files() ([]File, error) {
	p.filesOnce.Do(func() { p.files, p.filesErr = p.loadFiles() })
	if p.filesErr != nil {
		return nil, p.filesErr
	}
	return slices.Clone(p.files), nil
}

// columns returns the indices of the named columns of t; the first
// nRequired must exist, the others are -1 when absent.
func columns(t *Table, nRequired int, names ...string) ([]int, error) {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = t.ColumnIndex(n)
		if idx[i] < 0 && i < nRequired {
			return nil, formatErr("!"+t.Name, -1, "table has no %s column", n)
		}
	}
	return idx, nil
}

func cellString(row []Value, i int) string {
	if i < 0 {
		return ""
	}
	return row[i].String()
}

func cellInt(row []Value, i int) int {
	if i < 0 || row[i].Kind != KindInt {
		return 0
	}
	return row[i].Int
}

func (p *Package) loadFiles() ([]File, error) {
	ft, err := p.Table("File")
	if errors.Is(err, ErrNoTable) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(ft.Rows) == 0 {
		return nil, nil
	}
	fc, err := columns(ft, 4, "File", "Component_", "FileName", "Sequence", "FileSize", "Version", "Language", "Attributes")
	if err != nil {
		return nil, err
	}
	ct, err := p.Table("Component")
	if err != nil {
		return nil, err
	}
	cc, err := columns(ct, 2, "Component", "Directory_")
	if err != nil {
		return nil, err
	}
	dirs := make(map[string]string, len(ct.Rows))
	for _, row := range ct.Rows {
		dirs[row[cc[0]].String()] = row[cc[1]].String()
	}
	out := make([]File, 0, len(ft.Rows))
	for i, row := range ft.Rows {
		f := File{
			Key:        row[fc[0]].String(),
			Component:  row[fc[1]].String(),
			Size:       cellInt(row, fc[4]),
			Version:    cellString(row, fc[5]),
			Language:   cellString(row, fc[6]),
			Attributes: cellInt(row, fc[7]),
			Sequence:   cellInt(row, fc[3]),
		}
		if f.Key == "" {
			return nil, formatErr("!File", -1, "row %d: null File key", i)
		}
		dir, ok := dirs[f.Component]
		if !ok {
			return nil, formatErr("!File", -1, "file %q: component %q not in the Component table", f.Key, f.Component)
		}
		f.Directory = dir
		name := row[fc[2]].String()
		f.ShortName, f.LongName = name, name
		if short, long, ok := strings.Cut(name, "|"); ok {
			f.ShortName, f.LongName = short, long
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Sequence != out[j].Sequence {
			return out[i].Sequence < out[j].Sequence
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// FileData returns the content of every file of the File table, keyed by
// File table key, extracted from the package's embedded cabinets. Each
// file is looked up, by its key, in the cabinet of the Media row with the
// smallest LastSequence not below the file's Sequence.
//
// Errors: ErrExternalFiles (wrapped) when a file is uncompressed or its
// Media row names an external cabinet (no '#' prefix); a *FormatError
// when the tables are inconsistent, a cabinet is malformed, or a file is
// missing from its cabinet; an *UnsupportedCabinetError for Quantum/LZX
// compression or cabinet sets.
//
// The result is computed once. The map is the caller's; the byte slices
// are shared between calls and must not be modified.
func (p *Package) FileData() (map[string][]byte, error) {
	p.dataOnce.Do(func() { p.data, p.dataErr = p.loadFileData() })
	if p.dataErr != nil {
		return nil, p.dataErr
	}
	return maps.Clone(p.data), nil
}

type media struct {
	diskID  int
	last    int
	cabinet string
}

func (p *Package) loadFileData() (map[string][]byte, error) {
	files, err := p.Files()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(files))
	if len(files) == 0 {
		return out, nil
	}
	mt, err := p.Table("Media")
	if errors.Is(err, ErrNoTable) {
		return nil, formatErr("!Media", -1, "package has files but no Media table")
	}
	if err != nil {
		return nil, err
	}
	mc, err := columns(mt, 2, "LastSequence", "Cabinet", "DiskId")
	if err != nil {
		return nil, err
	}
	ms := make([]media, 0, len(mt.Rows))
	for _, row := range mt.Rows {
		ms = append(ms, media{diskID: cellInt(row, mc[2]), last: cellInt(row, mc[0]), cabinet: row[mc[1]].String()})
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].last != ms[j].last {
			return ms[i].last < ms[j].last
		}
		return ms[i].diskID < ms[j].diskID
	})
	compressed := false
	if s, err := p.Summary(); err == nil {
		compressed = s.Compressed()
	}
	cabs := map[string]map[string][]byte{} // stream -> file name -> data
	for _, f := range files {
		c := compressed
		switch {
		case f.Attributes&FileAttrCompressed != 0:
			c = true
		case f.Attributes&FileAttrNoncompressed != 0:
			c = false
		}
		if !c {
			return nil, fmt.Errorf("%w: file %q is an uncompressed file of the source image", ErrExternalFiles, f.Key)
		}
		i := sort.Search(len(ms), func(i int) bool { return ms[i].last >= f.Sequence })
		if i == len(ms) {
			return nil, formatErr("!Media", -1, "file %q: sequence %d is past the last media", f.Key, f.Sequence)
		}
		m := ms[i]
		if m.cabinet == "" {
			return nil, formatErr("!Media", -1, "file %q: compressed, but media %d has no cabinet", f.Key, m.diskID)
		}
		stream, embedded := strings.CutPrefix(m.cabinet, "#")
		if !embedded {
			return nil, fmt.Errorf("%w: file %q is in the external cabinet %q", ErrExternalFiles, f.Key, m.cabinet)
		}
		cab, ok := cabs[stream]
		if !ok {
			if cab, err = p.cabinet(stream); err != nil {
				return nil, err
			}
			cabs[stream] = cab
		}
		data, ok := cab[f.Key]
		if !ok {
			return nil, formatErr(stream, -1, "file %q (sequence %d) is not in the cabinet", f.Key, f.Sequence)
		}
		out[f.Key] = data
	}
	return out, nil
}

// cabinet extracts the embedded cabinet in the named stream.
func (p *Package) cabinet(stream string) (map[string][]byte, error) {
	if err := p.streamErr[stream]; err != nil {
		return nil, err
	}
	raw, ok := p.streams[stream]
	if !ok {
		return nil, formatErr("!Media", -1, "cabinet stream %q is not in the package", stream)
	}
	files, err := ReadCabinet(raw)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, &FormatError{Stream: stream, Offset: fe.Offset, Msg: fe.Msg}
		}
		return nil, fmt.Errorf("msi: cabinet stream %q: %w", stream, err)
	}
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		if _, dup := m[f.Name]; dup {
			return nil, formatErr(stream, -1, "cabinet holds two files named %q", f.Name)
		}
		m[f.Name] = f.Data
	}
	return m, nil
}
