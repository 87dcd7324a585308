package msi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func openBytes(b []byte) (*Package, error) { return Open(bytes.NewReader(b), int64(len(b))) }

// exercise walks the whole API; it must never panic.
func exercise(p *Package) {
	for _, n := range p.Tables() {
		_, _ = p.Table(n)
	}
	_, _ = p.Table("_Columns")
	_, _ = p.Sequence("InstallExecuteSequence")
	_, _ = p.Sequence("File")
	_, _ = p.Property("ALLUSERS")
	_ = p.ProductCode() + p.ProductName() + p.ProductVersion() + p.AllUsers()
	if s, err := p.Summary(); err == nil {
		_ = s.NoPrivileges()
	}
	_, _ = p.Files()
	_, _ = p.FileData()
}

func TestNotMSI(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte("MZ"), 4096)} {
		if _, err := openBytes(b); !errors.Is(err, ErrNotMSI) {
			t.Errorf("Open(%d bytes) err = %v, want ErrNotMSI", len(b), err)
		}
	}
	if _, err := OpenFile(filepath.Join("testdata", "permachine.wxs")); !errors.Is(err, ErrNotMSI) {
		t.Errorf("OpenFile(wxs) err = %v, want ErrNotMSI", err)
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing.msi")); err == nil || errors.Is(err, ErrNotMSI) {
		t.Errorf("OpenFile(missing) err = %v", err)
	}
}

// TestCorrupt damages the prebuilt package in many ways; each must give an
// error or a package, never a panic, and errors must be typed.
func TestCorrupt(t *testing.T) {
	orig, err := os.ReadFile(prebuilt)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, b []byte) {
		p, err := openBytes(b)
		if err != nil {
			var fe *FormatError
			if !errors.Is(err, ErrNotMSI) && !(errors.As(err, &fe) && errors.Is(err, ErrFormat)) {
				t.Errorf("%s: untyped error %T %v", name, err, err)
			}
			return
		}
		exercise(p)
	}
	// Truncations.
	for n := 0; n < len(orig); n += 97 {
		check("truncate", orig[:n])
	}
	// Single-byte damage across the header, FAT, directory and streams.
	for off := 0; off < len(orig); off += 13 {
		for _, v := range []byte{0x00, 0xFF, 0x7F} {
			b := bytes.Clone(orig)
			b[off] = v
			check("damage", b)
		}
	}
}

// TestFormatErrors feeds hand-made string pools and tables to the decoders.
func TestFormatErrors(t *testing.T) {
	base := func() *Package {
		return &Package{streams: map[string][]byte{}, schemas: map[string][]Column{}, cache: map[string]*Table{}}
	}
	pool := func(words ...uint16) []byte {
		b := make([]byte, 2*len(words))
		for i, w := range words {
			binary.LittleEndian.PutUint16(b[2*i:], w)
		}
		return b
	}
	isFormat := func(name string, err error, stream string) {
		t.Helper()
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) || fe.Stream != stream {
			t.Errorf("%s: err = %v, want FormatError in %q", name, err, stream)
		}
	}

	p := base()
	isFormat("no pool", p.loadStrings(), "!_StringPool")

	p = base()
	p.streams["!_StringPool"] = pool(1252, 0, 5, 1)
	p.streams["!_StringData"] = []byte("abc")
	isFormat("short data", p.loadStrings(), "!_StringData")

	p = base()
	p.streams["!_StringPool"] = pool(1252, 0, 0, 1)
	isFormat("truncated long entry", p.loadStrings(), "!_StringPool")

	// Long string: size-0 entry followed by a 32-bit length; 3-byte refs.
	p = base()
	p.streams["!_StringPool"] = pool(65001, 0x8000, 3, 1, 0, 0, 0, 1, 3, 0)
	p.streams["!_StringData"] = []byte("héllo")
	if err := p.loadStrings(); err != nil {
		t.Fatal(err)
	}
	if !p.longRefs || p.codepage != 65001 || len(p.strs) != 4 || p.strs[1] != "hé" || p.strs[2] != "" || p.strs[3] != "llo" {
		t.Errorf("pool = %q longRefs=%v cp=%d", p.strs, p.longRefs, p.codepage)
	}
	// A one-column string table with 3-byte refs: indices 3, 1, 0 (null).
	p.streams["!T"] = []byte{3, 0, 0, 1, 0, 0, 0, 0, 0}
	tb, err := p.decode("T", []Column{{Name: "C", String: true, Nullable: true, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 3 || tb.Rows[0][0].Str != "llo" || tb.Rows[1][0].Str != "hé" || !tb.Rows[2][0].IsNull() {
		t.Errorf("rows = %v", tb.Rows)
	}
	p.streams["!T"] = []byte{9, 0, 0}
	_, err = p.decode("T", []Column{{Name: "C", String: true, Size: 10}})
	isFormat("bad string index", err, "!T")
	p.streams["!T"] = []byte{1, 0}
	_, err = p.decode("T", []Column{{Name: "C", String: true, Size: 10}})
	isFormat("ragged table", err, "!T")

	// Integer columns, column-major: i2 values then i4 values.
	p = base()
	p.streams["!I"] = []byte{
		0x01, 0x80, 0x00, 0x00, 0xFF, 0x7F, // i2: 1, null, -1
		0x05, 0, 0, 0x80, 0, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0x7F, // i4: 5, null, -2
	}
	tb, err = p.decode("I", []Column{{Name: "A", Size: 2, Nullable: true}, {Name: "B", Size: 4, Nullable: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"1", "5"}, {"", ""}, {"-1", "-2"}}
	for i, w := range want {
		if tb.Rows[i][0].String() != w[0] || tb.Rows[i][1].String() != w[1] {
			t.Errorf("row %d = %v, want %v", i, tb.Rows[i], w)
		}
	}
	if !tb.Rows[1][0].IsNull() || tb.Rows[0][0].Kind != KindInt {
		t.Errorf("kinds: %v", tb.Rows)
	}
	_, err = p.decode("I", []Column{{Name: "A", Size: 3}})
	isFormat("bad int size", err, "!I")

	// Summary information.
	s := &Summary{Present: map[uint32]bool{}}
	isFormat("short summary", parseSummary([]byte{0xFE, 0xFF}, s), summaryStream)
	hdr := make([]byte, 48)
	binary.LittleEndian.PutUint16(hdr, 0xFFFE)
	binary.LittleEndian.PutUint32(hdr[24:], 1)
	binary.LittleEndian.PutUint32(hdr[44:], 1000)
	isFormat("bad section", parseSummary(hdr, s), summaryStream)
}

func TestDecodeStreamName(t *testing.T) {
	// "_StringPool" as a table stream, as written by Windows Installer.
	enc := []uint16{0x4840, 0x3F3F, 0x4577, 0x446C, 0x3E6A, 0x44B2, 0x482F}
	if got := decodeStreamName(enc); got != "!_StringPool" {
		t.Errorf("decode = %q", got)
	}
	if got := decodeStreamName([]uint16{5, 'S', 'u', 'm'}); got != "\x05Sum" {
		t.Errorf("decode = %q", got)
	}
}

func FuzzOpen(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.msi"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("not an msi"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := openBytes(b)
		if err != nil {
			var fe *FormatError
			if !errors.Is(err, ErrNotMSI) && !errors.As(err, &fe) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		exercise(p)
	})
}

func FuzzCabinet(f *testing.F) {
	for _, s := range cabSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("MSCF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := ReadCabinet(b)
		if err != nil {
			var fe *FormatError
			var ue *UnsupportedCabinetError
			if !(errors.As(err, &fe) && errors.Is(err, ErrFormat)) && !(errors.As(err, &ue) && errors.Is(err, ErrUnsupportedCabinet)) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		// Output is bounded by 32 KiB per data block, and a block header
		// takes 8 bytes of input.
		for _, f := range files {
			if len(f.Data) > cabMaxBlock*(len(b)/cabDataSize+1) {
				t.Fatalf("file %q: %d bytes from %d bytes of input", f.Name, len(f.Data), len(b))
			}
		}
	})
}
