// Package msi reads Windows Installer database (.msi) files.
//
// An MSI file is an OLE compound file. Its database tables are stored as
// streams whose names are compressed with a base-64-like scheme in the
// 0x3800–0x4840 range; all strings live in a shared string pool
// (!_StringPool + !_StringData) and table data is stored column-major.
// The format is not fully documented by Microsoft; this reader follows the
// layout used by Wine's msi.dll and msitools' libmsi.
package msi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"

	"github.com/msilab/msilab/internal/fileutil"
	"github.com/richardlehane/mscfb"
)

// ErrFormat is the sentinel wrapped by every *FormatError.
var ErrFormat = errors.New("msi: malformed package")

// ErrNotMSI is returned when the input is not an OLE compound file.
var ErrNotMSI = errors.New("msi: not a compound file (not an MSI package)")

// ErrNoTable is returned (wrapped) by Table and Sequence for unknown tables.
var ErrNoTable = errors.New("msi: no such table")

// FormatError describes malformed content in a package stream.
type FormatError struct {
	Stream string // decoded stream name, or "" for the container itself
	Offset int64  // byte offset within the stream, -1 if unknown
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Stream == "" {
		return fmt.Sprintf("msi: format error: %s", e.Msg)
	}
	return fmt.Sprintf("msi: format error in stream %q at offset %d: %s", e.Stream, e.Offset, e.Msg)
}

// Unwrap lets errors.Is(err, ErrFormat) match.
func (e *FormatError) Unwrap() error { return ErrFormat }

func formatErr(stream string, off int64, format string, args ...any) error {
	return &FormatError{Stream: stream, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Column type bits as stored in _Columns.Type.
const (
	typeValid       = 0x0100
	typeLocalizable = 0x0200
	typeString      = 0x0800
	typeNullable    = 0x1000
	typeKey         = 0x2000
	typeTemporary   = 0x4000
)

// Column describes one table column.
type Column struct {
	Name     string
	Type     int  // raw _Columns.Type value
	Key      bool // part of the primary key
	Nullable bool
	String   bool // string column (index into the string pool)
	Binary   bool // binary (stream) column; its data lives in stream "Table.Key"
	Size     int  // declared size: max string length, or 2/4 for integers
}

// Kind is the dynamic type of a Value.
type Kind uint8

// Value kinds.
const (
	KindNull Kind = iota
	KindString
	KindInt
)

// Value is one cell: a string, an integer, or null.
type Value struct {
	Kind Kind
	Str  string
	Int  int
}

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// String renders v: "" for null, the decimal value for integers.
func (v Value) String() string {
	switch v.Kind {
	case KindString:
		return v.Str
	case KindInt:
		return strconv.Itoa(v.Int)
	}
	return ""
}

// Table is a decoded database table.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]Value
}

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Package is an opened MSI database. Its methods may be called from
// several goroutines at once.
type Package struct {
	// streams maps decoded stream names to their content. Database
	// streams, the summary information and the embedded cabinets named by
	// the Media table are read by Open; other payload streams (Binary,
	// Icon...) are listed with nil content.
	streams   map[string][]byte
	streamErr map[string]error // errors reading embedded cabinet streams
	codepage  int
	longRefs  bool // string indices are 3 bytes
	strs      []string
	tables    []string            // order of _Tables
	schemas   map[string][]Column // table -> columns ordered by Number
	summary   *Summary

	mu        sync.Mutex // guards cache
	cache     map[string]*Table
	propsOnce sync.Once
	props     map[string]string

	filesOnce sync.Once
	files     []File
	filesErr  error
	dataOnce  sync.Once
	data      map[string][]byte
	dataErr   error
}

// MaxFileSize is the largest package file msilab reads (G: msilab's own
// cap, not Windows Installer's: a package is held in memory to be
// uploaded, so a bigger file is refused with a clear error instead).
const MaxFileSize = 2 << 30

// ErrNotRegular is wrapped when a package path is not a regular file: a
// FIFO would block the read, a device such as /dev/zero never end it.
var ErrNotRegular = errors.New("msi: not a regular file")

// ErrTooLarge is wrapped when a package file is larger than MaxFileSize.
var ErrTooLarge = errors.New("msi: file too large")

// openRegular opens path for reading if it is a regular file of at most
// MaxFileSize bytes, checked before it is opened (opening a FIFO blocks)
// and again on the open file.
func openRegular(path string) (*os.File, int64, error) {
	check := func(fi os.FileInfo) error {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is a %s", ErrNotRegular, path, fileutil.Kind(fi.Mode()))
		}
		if fi.Size() > MaxFileSize {
			return fmt.Errorf("%w: %s is %d bytes, more than msilab reads (%d)", ErrTooLarge, path, fi.Size(), MaxFileSize)
		}
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if err := check(fi); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	if fi, err = f.Stat(); err == nil {
		err = check(fi)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// ReadFile reads a package file whole: a regular file of at most
// MaxFileSize bytes (ErrNotRegular, ErrTooLarge).
func ReadFile(path string) ([]byte, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("msi: read %s: %w", path, err)
	}
	return b, nil
}

// OpenFile opens the MSI package at path, a regular file of at most
// MaxFileSize bytes (Open reads what it needs, cabinets included, before
// the file is closed).
func OpenFile(path string) (*Package, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Open(f, size)
}

var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// checkHeader validates the compound file header counts against the file
// size before the compound file library allocates anything from them.
func checkHeader(r io.ReaderAt, size int64) error {
	h := make([]byte, 512)
	if _, err := r.ReadAt(h, 0); err != nil {
		return &FormatError{Offset: 0, Msg: "reading compound file header: " + err.Error()}
	}
	le := binary.LittleEndian
	shift := le.Uint16(h[30:])
	if shift != 9 && shift != 12 {
		return &FormatError{Offset: 30, Msg: fmt.Sprintf("illegal sector shift %d", shift)}
	}
	sectors := size >> shift
	for _, f := range []struct {
		off  int
		name string
	}{{40, "directory"}, {44, "FAT"}, {64, "mini FAT"}, {72, "DIFAT"}} {
		if n := int64(le.Uint32(h[f.off:])); n > sectors {
			return &FormatError{Offset: int64(f.off), Msg: fmt.Sprintf("%s sector count %d exceeds file (%d sectors)", f.name, n, sectors)}
		}
	}
	return nil
}

// Open reads an MSI package of the given size from r. All database streams
// are decoded eagerly so that later calls cannot fail on I/O.
func Open(r io.ReaderAt, size int64) (p *Package, err error) {
	if size < 512 {
		return nil, ErrNotMSI
	}
	var magic [8]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("msi: reading header: %w", err)
	}
	if !bytes.Equal(magic[:], cfbMagic) {
		return nil, ErrNotMSI
	}
	if err := checkHeader(r, size); err != nil {
		return nil, err
	}
	defer func() {
		// The compound file library is not hardened against every hostile
		// input; never let a panic escape to the caller.
		if rec := recover(); rec != nil {
			p, err = nil, formatErr("", -1, "corrupt compound file: %v", rec)
		}
	}()
	doc, err := mscfb.New(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, &FormatError{Offset: -1, Msg: "compound file: " + err.Error()}
	}
	p = &Package{
		streams: map[string][]byte{},
		schemas: map[string][]Column{},
		cache:   map[string]*Table{},
	}
	var total int64
	payload := map[string]*mscfb.File{}
	for f, ferr := doc.Next(); ferr == nil; f, ferr = doc.Next() {
		if len(f.Path) != 0 || !f.FileInfo().Mode().IsRegular() {
			continue // storages and their contents (embedded transforms etc.)
		}
		name := decodeStreamName(rawName(f))
		if f.Size < 0 || f.Size > size || total+f.Size > size {
			return nil, formatErr(name, 0, "stream size %d exceeds file size %d", f.Size, size)
		}
		total += f.Size
		if strings.HasPrefix(name, "!") || name == "\x05SummaryInformation" {
			buf := make([]byte, f.Size)
			n, rerr := io.ReadFull(f, buf)
			if rerr != nil && rerr != io.EOF {
				return nil, formatErr(name, int64(n), "reading stream: %v", rerr)
			}
			p.streams[name] = buf[:n]
		} else {
			p.streams[name] = nil // payload streams (cabinets, binaries): see loadCabinets
			payload[name] = f
		}
	}
	if err := p.load(); err != nil {
		return nil, err
	}
	p.loadCabinets(payload)
	return p, nil
}

// loadCabinets reads the streams holding the embedded cabinets ("#name" in
// Media.Cabinet) so that FileData needs no I/O. Problems are left for
// FileData to report: a package with broken cabinets still opens.
func (p *Package) loadCabinets(payload map[string]*mscfb.File) {
	t, err := p.Table("Media")
	if err != nil {
		return
	}
	ci := t.ColumnIndex("Cabinet")
	if ci < 0 {
		return
	}
	for _, row := range t.Rows {
		name, ok := strings.CutPrefix(row[ci].Str, "#")
		f := payload[name]
		if !ok || f == nil || p.streams[name] != nil {
			continue
		}
		buf := make([]byte, f.Size) // f.Size was checked against the file size
		n, rerr := io.ReadFull(f, buf)
		if rerr != nil && rerr != io.EOF {
			if p.streamErr == nil {
				p.streamErr = map[string]error{}
			}
			p.streamErr[name] = formatErr(name, int64(n), "reading stream: %v", rerr)
		}
		p.streams[name] = buf[:n]
	}
}

// rawName reconstructs the full UTF-16 directory name; mscfb strips a
// leading non-printable character (such as 0x05) into File.Initial.
func rawName(f *mscfb.File) []uint16 {
	u := utf16.Encode([]rune(f.Name))
	if f.Initial != 0 && !unicode.IsPrint(rune(f.Initial)) {
		u = append([]uint16{f.Initial}, u...)
	}
	return u
}

func mime2utf(x uint16) uint16 {
	switch {
	case x < 10:
		return x + '0'
	case x < 10+26:
		return x - 10 + 'A'
	case x < 10+26+26:
		return x - 10 - 26 + 'a'
	case x == 10+26+26:
		return '.'
	}
	return '_'
}

// decodeStreamName decodes MSI's compressed stream names. A leading 0x4840
// (the table marker) becomes '!'.
func decodeStreamName(in []uint16) string {
	out := make([]uint16, 0, 2*len(in))
	for _, ch := range in {
		switch {
		case ch == 0x4840:
			out = append(out, '!')
		case ch >= 0x4800 && ch < 0x4840:
			out = append(out, mime2utf(ch-0x4800))
		case ch >= 0x3800 && ch < 0x4800:
			ch -= 0x3800
			out = append(out, mime2utf(ch&0x3f), mime2utf((ch>>6)&0x3f))
		default:
			out = append(out, ch)
		}
	}
	return string(utf16.Decode(out))
}

// Streams returns the names of all top-level streams (decoded), sorted.
func (p *Package) Streams() []string {
	names := make([]string, 0, len(p.streams))
	for n := range p.streams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Codepage returns the string pool's codepage (0 = neutral).
func (p *Package) Codepage() int { return p.codepage }

func (p *Package) load() error {
	if err := p.loadStrings(); err != nil {
		return err
	}
	if err := p.loadSchemas(); err != nil {
		return err
	}
	if _, err := p.Summary(); err != nil {
		return err
	}
	return nil
}

func (p *Package) loadStrings() error {
	const poolName, dataName = "!_StringPool", "!_StringData"
	pool, ok := p.streams[poolName]
	if !ok {
		return formatErr(poolName, 0, "missing string pool")
	}
	data := p.streams[dataName]
	if len(pool) < 4 {
		return formatErr(poolName, 0, "string pool header truncated (%d bytes)", len(pool))
	}
	if len(pool)%4 != 0 {
		return formatErr(poolName, int64(len(pool)), "string pool size %d not a multiple of 4", len(pool))
	}
	w := func(i int) uint32 { return uint32(pool[2*i]) | uint32(pool[2*i+1])<<8 }
	hdr := w(0) | w(1)<<16
	p.longRefs = hdr&0x80000000 != 0
	p.codepage = int(hdr &^ 0x80000000)
	count := len(pool) / 4
	p.strs = make([]string, 1, count) // index 0 is the null string
	var off int64
	for i := 1; i < count; {
		n, refs := w(2*i), w(2*i+1)
		if n == 0 && refs == 0 { // unused slot keeps its id
			p.strs = append(p.strs, "")
			i++
			continue
		}
		var length int64
		if n == 0 { // long string: next entry holds the 32-bit length
			if i+1 >= count {
				return formatErr(poolName, int64(4*i), "long string entry truncated")
			}
			length = int64(w(2*i+2)) | int64(w(2*i+3))<<16
			i += 2
		} else {
			length = int64(n)
			i++
		}
		if off+length > int64(len(data)) {
			return formatErr(dataName, off, "string %d of length %d runs past end of data (%d bytes)", len(p.strs), length, len(data))
		}
		p.strs = append(p.strs, decodeCodepage(data[off:off+length], p.codepage))
		off += length
	}
	if len(p.strs) > 0xFFFF && !p.longRefs {
		// Writers set the flag in this case; accept it anyway, as Wine does.
		p.longRefs = true
	}
	return nil
}

// win1252 maps bytes 0x80–0x9F of Windows-1252 (0 = undefined, kept as is).
var win1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

func decodeCodepage(b []byte, cp int) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii || cp == 65001 {
		return string(b)
	}
	if cp == 0 && isUTF8(b) {
		return string(b)
	}
	// Windows-1252 (also the fallback for neutral and unknown codepages).
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
		if c >= 0x80 && c < 0xA0 && win1252[c-0x80] != 0 {
			r[i] = win1252[c-0x80]
		}
	}
	return string(r)
}

func isUTF8(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

func (p *Package) strRefSize() int {
	if p.longRefs {
		return 3
	}
	return 2
}

func (p *Package) str(stream string, off int64, idx int) (Value, error) {
	if idx == 0 {
		return Value{}, nil
	}
	if idx >= len(p.strs) {
		return Value{}, formatErr(stream, off, "string index %d out of range (pool has %d)", idx, len(p.strs))
	}
	return Value{Kind: KindString, Str: p.strs[idx]}, nil
}

var tablesSchema = []Column{{Name: "Name", Type: typeValid | typeString | typeKey | 64, Key: true, String: true, Size: 64}}

var columnsSchema = []Column{
	{Name: "Table", Type: typeValid | typeString | typeKey | 64, Key: true, String: true, Size: 64},
	{Name: "Number", Type: typeValid | typeKey | 2, Key: true, Size: 2},
	{Name: "Name", Type: typeValid | typeString | 64, String: true, Size: 64},
	{Name: "Type", Type: typeValid | 2, Size: 2},
}

func columnFromType(name string, typ int) Column {
	return Column{
		Name:     name,
		Type:     typ,
		Key:      typ&typeKey != 0,
		Nullable: typ&typeNullable != 0,
		String:   typ&typeString != 0,
		Binary:   typ&^typeNullable == typeString|typeValid,
		Size:     typ & 0xff,
	}
}

func (p *Package) loadSchemas() error {
	p.schemas["_Tables"] = tablesSchema
	p.schemas["_Columns"] = columnsSchema
	tt, err := p.decode("_Tables", tablesSchema)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, row := range tt.Rows {
		name := row[0].Str
		if row[0].Kind == KindString && !seen[name] {
			seen[name] = true
			p.tables = append(p.tables, name)
		}
	}
	ct, err := p.decode("_Columns", columnsSchema)
	if err != nil {
		return err
	}
	type numbered struct {
		n int
		c Column
	}
	cols := map[string][]numbered{}
	for i, row := range ct.Rows {
		if row[0].Kind != KindString || row[1].Kind != KindInt || row[3].Kind != KindInt {
			return formatErr("!_Columns", -1, "row %d: null Table, Number or Type", i)
		}
		t := row[0].Str
		cols[t] = append(cols[t], numbered{row[1].Int, columnFromType(row[2].Str, row[3].Int)})
	}
	for t, list := range cols {
		sort.SliceStable(list, func(i, j int) bool { return list[i].n < list[j].n })
		out := make([]Column, 0, len(list))
		for i, nc := range list {
			if nc.n != i+1 {
				return formatErr("!_Columns", -1, "table %q: column numbers not 1..%d (got %d)", t, len(list), nc.n)
			}
			out = append(out, nc.c)
		}
		p.schemas[t] = out
		if !seen[t] {
			// Present in _Columns but not _Tables: still readable.
			seen[t] = true
			p.tables = append(p.tables, t)
		}
	}
	return nil
}

// Tables returns the names of the package's tables in _Tables order
// (excluding the system tables _Tables and _Columns).
func (p *Package) Tables() []string {
	return append([]string(nil), p.tables...)
}

// Table decodes the named table. _Tables and _Columns are also accepted.
// The returned table is shared between calls; do not modify it.
func (p *Package) Table(name string) (*Table, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.cache[name]; ok {
		return t, nil
	}
	cols, ok := p.schemas[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoTable, name)
	}
	t, err := p.decode(name, cols)
	if err != nil {
		return nil, err
	}
	p.cache[name] = t
	return t, nil
}

func (p *Package) colBytes(stream string, c Column) (int, error) {
	if c.String {
		return p.strRefSize(), nil
	}
	switch {
	case c.Size <= 2:
		return 2, nil
	case c.Size == 4:
		return 4, nil
	}
	return 0, formatErr(stream, -1, "column %q: unsupported integer size %d", c.Name, c.Size)
}

// decode reads a table stream: values are stored column-major; integers
// carry an offset of 0x8000 (2 bytes) or 0x80000000 (4 bytes) and 0 means
// null; string columns hold pool indices where 0 means null.
func (p *Package) decode(name string, cols []Column) (*Table, error) {
	stream := "!" + name
	raw := p.streams[stream] // a missing stream is an empty table
	t := &Table{Name: name, Columns: cols}
	sizes := make([]int, len(cols))
	rowSize := 0
	for i, c := range cols {
		if c.Type&typeTemporary != 0 {
			continue // temporary columns are not persisted
		}
		n, err := p.colBytes(stream, c)
		if err != nil {
			return nil, err
		}
		sizes[i] = n
		rowSize += n
	}
	if rowSize == 0 || len(raw) == 0 {
		return t, nil
	}
	if len(raw)%rowSize != 0 {
		return nil, formatErr(stream, int64(len(raw)), "stream size %d not a multiple of row size %d", len(raw), rowSize)
	}
	nrows := len(raw) / rowSize
	t.Rows = make([][]Value, nrows)
	cells := make([]Value, nrows*len(cols))
	for r := range t.Rows {
		t.Rows[r] = cells[r*len(cols) : (r+1)*len(cols) : (r+1)*len(cols)]
	}
	base := 0
	for j, c := range cols {
		n := sizes[j]
		if n == 0 {
			continue
		}
		for r := 0; r < nrows; r++ {
			off := base + r*n
			b := raw[off : off+n]
			var u uint32
			for k := n - 1; k >= 0; k-- {
				u = u<<8 | uint32(b[k])
			}
			var v Value
			switch {
			case c.String:
				var err error
				if v, err = p.str(stream, int64(off), int(u)); err != nil {
					return nil, err
				}
			case u == 0:
				// null
			case n == 2:
				v = Value{Kind: KindInt, Int: int(int32(u) - 0x8000)}
			default:
				v = Value{Kind: KindInt, Int: int(int32(u ^ 0x80000000))}
			}
			t.Rows[r][j] = v
		}
		base += n * nrows
	}
	return t, nil
}

// Property returns the value of the named row of the Property table.
func (p *Package) Property(name string) (string, bool) {
	p.propsOnce.Do(func() {
		p.props = map[string]string{}
		if t, err := p.Table("Property"); err == nil {
			ki, vi := t.ColumnIndex("Property"), t.ColumnIndex("Value")
			if ki >= 0 && vi >= 0 {
				for _, row := range t.Rows {
					p.props[row[ki].String()] = row[vi].String()
				}
			}
		}
	})
	v, ok := p.props[name]
	return v, ok
}

func (p *Package) prop(name string) string { v, _ := p.Property(name); return v }

// ProductCode returns the ProductCode property.
func (p *Package) ProductCode() string { return p.prop("ProductCode") }

// ProductName returns the ProductName property.
func (p *Package) ProductName() string { return p.prop("ProductName") }

// ProductVersion returns the ProductVersion property.
func (p *Package) ProductVersion() string { return p.prop("ProductVersion") }

// Manufacturer returns the Manufacturer property.
func (p *Package) Manufacturer() string { return p.prop("Manufacturer") }

// UpgradeCode returns the UpgradeCode property.
func (p *Package) UpgradeCode() string { return p.prop("UpgradeCode") }

// AllUsers returns the authored ALLUSERS property ("" if absent): "1" means
// per-machine, "2" per-user-or-machine, "" per-user (unless overridden).
func (p *Package) AllUsers() string { return p.prop("ALLUSERS") }

// Action is one row of a sequence table.
type Action struct {
	Name      string
	Condition string
	Sequence  int // null sequence numbers are reported as 0
}

// Sequence returns the actions of a sequence table (e.g.
// "InstallExecuteSequence") sorted by sequence number, then name.
func (p *Package) Sequence(table string) ([]Action, error) {
	t, err := p.Table(table)
	if err != nil {
		return nil, err
	}
	ai, ci, si := t.ColumnIndex("Action"), t.ColumnIndex("Condition"), t.ColumnIndex("Sequence")
	if ai < 0 || si < 0 {
		return nil, formatErr("!"+table, -1, "not a sequence table (needs Action and Sequence columns)")
	}
	out := make([]Action, 0, len(t.Rows))
	for _, row := range t.Rows {
		a := Action{Name: row[ai].String(), Sequence: row[si].Int}
		if ci >= 0 {
			a.Condition = row[ci].String()
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Sequence != out[j].Sequence {
			return out[i].Sequence < out[j].Sequence
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
