package msi

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// textData returns n bytes of deterministic, compressible text: repeated
// words, so DEFLATE finds matches across 32 KiB block boundaries.
func textData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := make([]string, 300)
	for i := range words {
		w := make([]byte, 2+r.IntN(7))
		for j := range w {
			w[j] = byte('a' + r.IntN(10))
		}
		words[i] = string(w)
	}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

// randomData returns n deterministic incompressible bytes.
func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

type testCabFile struct {
	name  string
	data  []byte
	attrs uint16
}

type cabOpts struct {
	comp     uint16 // written as CFFOLDER.typeCompress; 0 or 1 are encoded
	checksum bool
	reserve  bool // header, folder and data reserve areas
}

// writeCab builds a cabinet with one folder per element of folders. MSZIP
// blocks are compressed with the previous 32 KiB of the folder as DEFLATE
// dictionary, like Microsoft's compressor (gcab does not use one). The
// checksums, when asked for, use the implementation's cabChecksum; gcab's
// cabinets check it independently.
func writeCab(t testing.TB, opts cabOpts, folders ...[]testCabFile) []byte {
	t.Helper()
	le := binary.LittleEndian
	var resH, resF, resD int
	if opts.reserve {
		resH, resF, resD = 6, 3, 5
	}
	type blk struct {
		data []byte
		ucb  int
	}
	blocks := make([][]blk, len(folders))
	for i, files := range folders {
		var stream []byte
		for _, f := range files {
			stream = append(stream, f.data...)
		}
		for off := 0; off < len(stream); off += cabMaxBlock {
			chunk := stream[off:min(off+cabMaxBlock, len(stream))]
			b := blk{data: chunk, ucb: len(chunk)}
			if opts.comp == cabCompMSZIP {
				var buf bytes.Buffer
				buf.WriteString("CK")
				w, err := flate.NewWriterDict(&buf, flate.BestCompression, stream[max(0, off-cabMaxBlock):off])
				if err != nil {
					t.Fatal(err)
				}
				w.Write(chunk)
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				b.data = buf.Bytes()
			}
			blocks[i] = append(blocks[i], b)
		}
	}
	var hdr, fold, files, data bytes.Buffer
	hdrSize := cabHeaderSize
	if opts.reserve {
		hdrSize += 4 + resH
	}
	nfiles := 0
	for _, fs := range folders {
		nfiles += len(fs)
	}
	foldStart := hdrSize
	filesStart := foldStart + len(folders)*(cabFolderSize+resF)
	for fi, fs := range folders {
		off := 0
		for _, f := range fs {
			var e [cabFileSize]byte
			le.PutUint32(e[0:], uint32(len(f.data)))
			le.PutUint32(e[4:], uint32(off))
			le.PutUint16(e[8:], uint16(fi))
			le.PutUint16(e[10:], 0x5865) // 2024-03-05
			le.PutUint16(e[12:], 0x30E4) // 06:07:08
			le.PutUint16(e[14:], f.attrs)
			files.Write(e[:])
			files.WriteString(f.name)
			files.WriteByte(0)
			off += len(f.data)
		}
	}
	dataStart := filesStart + files.Len()
	for fi := range folders {
		var e [cabFolderSize]byte
		le.PutUint32(e[0:], uint32(dataStart+data.Len()))
		le.PutUint16(e[4:], uint16(len(blocks[fi])))
		le.PutUint16(e[6:], opts.comp)
		fold.Write(e[:])
		fold.Write(bytes.Repeat([]byte{0xF0}, resF))
		for _, b := range blocks[fi] {
			h := make([]byte, cabDataSize+resD)
			le.PutUint16(h[4:], uint16(len(b.data)))
			le.PutUint16(h[6:], uint16(b.ucb))
			for k := cabDataSize; k < len(h); k++ {
				h[k] = byte(0xD0 + k)
			}
			if opts.checksum {
				le.PutUint32(h, cabChecksum(h[4:], cabChecksum(b.data, 0)))
			}
			data.Write(h)
			data.Write(b.data)
		}
	}
	total := dataStart + data.Len()
	h := make([]byte, cabHeaderSize)
	copy(h, "MSCF")
	le.PutUint32(h[8:], uint32(total))
	le.PutUint32(h[16:], uint32(filesStart))
	h[24], h[25] = 3, 1
	le.PutUint16(h[26:], uint16(len(folders)))
	le.PutUint16(h[28:], uint16(nfiles))
	if opts.reserve {
		le.PutUint16(h[30:], cabFlagReserve)
	}
	hdr.Write(h)
	if opts.reserve {
		hdr.Write([]byte{byte(resH), 0, byte(resF), byte(resD)})
		hdr.Write(bytes.Repeat([]byte{0xEE}, resH))
	}
	out := append(append(append(hdr.Bytes(), fold.Bytes()...), files.Bytes()...), data.Bytes()...)
	if len(out) != total {
		t.Fatalf("writeCab: built %d bytes, expected %d", len(out), total)
	}
	return out
}

// cabBlock locates one CFDATA block of a cabinet without reserve areas.
type cabBlock struct {
	folder, off, cb, ucb int
	sum                  uint32
}

func cabBlocks(t testing.TB, b []byte) []cabBlock {
	t.Helper()
	le := binary.LittleEndian
	var out []cabBlock
	for fi := 0; fi < int(le.Uint16(b[26:])); fi++ {
		fo := cabHeaderSize + cabFolderSize*fi
		p := int(le.Uint32(b[fo:]))
		for range int(le.Uint16(b[fo+4:])) {
			c := cabBlock{folder: fi, off: p, sum: le.Uint32(b[p:]), cb: int(le.Uint16(b[p+4:])), ucb: int(le.Uint16(b[p+6:]))}
			out = append(out, c)
			p += cabDataSize + c.cb
		}
	}
	return out
}

func checkCabFiles(t *testing.T, name string, got []CabFile, want []testCabFile) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d files, want %d", name, len(got), len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || !bytes.Equal(got[i].Data, w.data) {
			t.Errorf("%s: file %d = %q (%d bytes), want %q (%d bytes), equal data: %v", name, i,
				got[i].Name, len(got[i].Data), w.name, len(w.data), bytes.Equal(got[i].Data, w.data))
		}
	}
}

func isFormatErr(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe) && errors.Is(err, ErrFormat)
}

func isUnsupported(err error) bool {
	var ue *UnsupportedCabinetError
	return errors.As(err, &ue) && errors.Is(err, ErrUnsupportedCabinet)
}

// gcabFiles are the inputs of the gcab-built cabinets.
func gcabFiles() []testCabFile {
	return []testCabFile{
		{name: "a.txt", data: []byte("hello, cabinet\n")},
		{name: "empty.txt", data: []byte{}},
		{name: "text.txt", data: textData(100_003, 1)},    // several MSZIP blocks
		{name: "random.bin", data: randomData(40_001, 2)}, // stored DEFLATE blocks, odd sizes
		{name: "naïve.txt", data: []byte("utf-8 name\n")},
	}
}

// buildGcab writes files into a temporary directory and runs
// gcab -c [-z]; it returns the cabinet bytes.
func buildGcab(t testing.TB, zip bool, files []testCabFile) []byte {
	t.Helper()
	gcab := needTool(t, "gcab")
	dir := t.TempDir()
	mtime := time.Date(2024, 3, 5, 6, 7, 8, 0, time.UTC)
	args := []string{"-c"}
	if zip {
		args = append(args, "-z")
	}
	args = append(args, "out.cab")
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		args = append(args, f.name)
	}
	cmd := exec.Command(gcab, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcab %v: %v\n%s", args, err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out.cab"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadCabinetGcab(t *testing.T) {
	want := gcabFiles()
	for _, zip := range []bool{false, true} {
		name := fmt.Sprintf("gcab zip=%v", zip)
		b := buildGcab(t, zip, want)
		if comp := binary.LittleEndian.Uint16(b[cabHeaderSize+6:]); comp != map[bool]uint16{false: cabCompNone, true: cabCompMSZIP}[zip] {
			t.Fatalf("%s: compression type %d", name, comp)
		}
		blocks := cabBlocks(t, b)
		if len(blocks) < 5 {
			t.Errorf("%s: only %d data blocks", name, len(blocks))
		}
		tails := map[int]bool{}
		for _, blk := range blocks {
			if blk.sum == 0 {
				t.Errorf("%s: gcab wrote no checksum; verification is not exercised", name)
			}
			tails[blk.cb%4] = true
		}
		got, err := ReadCabinet(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkCabFiles(t, name, got, want)
		wantTime := time.Date(2024, 3, 5, 6, 7, 8, 0, time.UTC)
		for _, f := range got {
			if !f.Time.Equal(wantTime) {
				t.Errorf("%s: %s time %v, want %v", name, f.Name, f.Time, wantTime)
			}
			wantAttrs := uint16(CabAttrArchive)
			if f.Name == "naïve.txt" {
				wantAttrs |= CabAttrNameIsUTF
			}
			if f.Attrs != wantAttrs {
				t.Errorf("%s: %s attrs %#x, want %#x", name, f.Name, f.Attrs, wantAttrs)
			}
		}
		if zip && len(tails) < 3 {
			t.Errorf("%s: block sizes mod 4 cover only %v; checksum tails not exercised", name, tails)
		}
		// Checksums are optional: zeroing them must not matter.
		z := bytes.Clone(b)
		for _, blk := range blocks {
			binary.LittleEndian.PutUint32(z[blk.off:], 0)
		}
		got, err = ReadCabinet(z)
		if err != nil {
			t.Fatalf("%s without checksums: %v", name, err)
		}
		checkCabFiles(t, name+" without checksums", got, want)
	}
}

// TestReadCabinetDictionary reads MSZIP cabinets whose blocks refer back
// into the previous block, as Microsoft's compressor produces.
func TestReadCabinetDictionary(t *testing.T) {
	f1 := []testCabFile{
		{name: "text.txt", data: textData(150_000, 3), attrs: CabAttrReadOnly},
		{name: "small", data: []byte("x")},
		{name: "random.bin", data: randomData(33_000, 4)},
		{name: "empty", data: []byte{}},
	}
	f2 := []testCabFile{{name: "second-folder.txt", data: textData(70_000, 5)}}
	for _, opts := range []cabOpts{
		{comp: cabCompMSZIP},
		{comp: cabCompMSZIP, checksum: true},
		{comp: cabCompMSZIP, checksum: true, reserve: true},
		{comp: cabCompNone, checksum: true},
		{comp: cabCompNone, checksum: true, reserve: true},
	} {
		name := fmt.Sprintf("%+v", opts)
		b := writeCab(t, opts, f1, f2)
		got, err := ReadCabinet(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkCabFiles(t, name, got, append(append([]testCabFile(nil), f1...), f2...))
		if got[0].Attrs != CabAttrReadOnly || !got[0].Time.Equal(time.Date(2024, 3, 5, 6, 7, 8, 0, time.UTC)) {
			t.Errorf("%s: attrs %#x time %v", name, got[0].Attrs, got[0].Time)
		}
		if opts.checksum {
			// A wrong checksum is detected, in the data or in the header.
			for _, off := range []int{len(b) - 1, len(b) - 40_000} {
				d := bytes.Clone(b)
				d[off] ^= 0x10
				if _, err := ReadCabinet(d); !isFormatErr(err) {
					t.Errorf("%s: damaged byte %d: err = %v", name, off, err)
				}
			}
		}
		if opts.comp != cabCompMSZIP || opts.reserve {
			continue
		}
		// The dictionary matters: some later block cannot be inflated
		// on its own.
		needsDict := false
		for _, blk := range cabBlocks(t, b) {
			if _, err := inflateAlone(b[blk.off+cabDataSize+2:blk.off+cabDataSize+blk.cb], blk.ucb); err != nil {
				needsDict = true
			}
		}
		if !needsDict {
			t.Errorf("%s: no block depends on the dictionary; the test does not exercise it", name)
		}
	}
}

// inflateAlone inflates b without a dictionary and checks its length.
func inflateAlone(b []byte, n int) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b)), int64(n)+1))
	if err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("inflated %d bytes, want %d", len(out), n)
	}
	return out, nil
}

func TestCabChecksum(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		seed uint32
		want uint32
	}{
		{nil, 0, 0},
		{nil, 0x12345678, 0x12345678},
		{[]byte{1, 2, 3, 4}, 0, 0x04030201},
		{[]byte{1, 2, 3, 4, 5}, 0, 0x04030201 ^ 0x05},
		{[]byte{1, 2, 3, 4, 5, 6}, 0, 0x04030201 ^ 0x0506},
		{[]byte{1, 2, 3, 4, 5, 6, 7}, 0, 0x04030201 ^ 0x050607},
		{[]byte{1, 2, 3, 4, 5, 6, 7, 8}, 0xFF, 0x04030201 ^ 0x08070605 ^ 0xFF},
	} {
		if got := cabChecksum(c.in, c.seed); got != c.want {
			t.Errorf("cabChecksum(%v, %#x) = %#x, want %#x", c.in, c.seed, got, c.want)
		}
	}
}

func TestDosTime(t *testing.T) {
	if got := dosTime(0x5865, 0x30E4); !got.Equal(time.Date(2024, 3, 5, 6, 7, 8, 0, time.UTC)) {
		t.Errorf("dosTime = %v", got)
	}
	for _, dt := range [][2]uint16{{0, 0}, {0x5860, 0}, {0x5865, 0xC000}, {0x5865, 0x0780}} {
		if got := dosTime(dt[0], dt[1]); !got.IsZero() {
			t.Errorf("dosTime(%#x, %#x) = %v, want zero", dt[0], dt[1], got)
		}
	}
}

// TestReadCabinetCorrupt damages cabinets in targeted and systematic ways:
// every error must be typed, and nothing may panic.
func TestReadCabinetCorrupt(t *testing.T) {
	le := binary.LittleEndian
	files := []testCabFile{{name: "a", data: textData(70_000, 6)}, {name: "b", data: []byte("bee")}}
	zip := writeCab(t, cabOpts{comp: cabCompMSZIP, checksum: true}, files)
	plain := writeCab(t, cabOpts{comp: cabCompNone}, files)
	blocks := cabBlocks(t, zip)
	fileTable := int(le.Uint32(zip[16:]))

	set16 := func(b []byte, off int, v uint16) []byte { b = bytes.Clone(b); le.PutUint16(b[off:], v); return b }
	set32 := func(b []byte, off int, v uint32) []byte { b = bytes.Clone(b); le.PutUint32(b[off:], v); return b }
	noSum := func(b []byte) []byte {
		b = bytes.Clone(b)
		for _, blk := range cabBlocks(t, b) {
			le.PutUint32(b[blk.off:], 0)
		}
		return b
	}
	// loose shrinks both files to one byte at offset 0, so that the
	// files no longer constrain the folder size and the block checks
	// themselves are reached.
	loose := func(b []byte) []byte {
		b = noSum(b)
		le.PutUint32(b[fileTable:], 1)
		le.PutUint32(b[fileTable+cabFileSize+2:], 1)
		le.PutUint32(b[fileTable+cabFileSize+2+4:], 0)
		return b
	}
	if got, err := ReadCabinet(loose(zip)); err != nil || len(got) != 2 || string(got[1].Data) != string(files[0].data[:1]) {
		t.Fatalf("loose cabinet: %v, %v", got, err)
	}
	formatCases := map[string][]byte{
		"empty":                  nil,
		"short header":           zip[:20],
		"bad signature":          append([]byte("MSCX"), zip[4:]...),
		"truncated":              zip[:len(zip)-1],
		"cabinet size too big":   set32(zip, 8, uint32(len(zip)+1)),
		"cabinet size too small": set32(zip, 8, 10),
		"file table past end":    set32(zip, 16, uint32(len(zip)+5)),
		"file table at end":      set32(zip, 16, uint32(len(zip))),
		"too many folders":       set16(zip, 26, 0xFFFF),
		"too many files":         set16(zip, 28, 0xFFFF),
		"folder data past end":   set32(zip, cabHeaderSize, uint32(len(zip))),
		"folder data huge":       set32(zip, cabHeaderSize, 0xFFFFFFF0),
		"folder data misplaced":  set32(zip, cabHeaderSize, uint32(fileTable)),
		"too many blocks":        set16(zip, cabHeaderSize+4, 0xFFFF),
		"unknown compression":    set16(zip, cabHeaderSize+6, 7),
		"file size too big":      set32(zip, fileTable, 70_001+3),
		"file offset too big":    set32(zip, fileTable+4, 0xFFFFFFFF),
		"file folder range":      set16(zip, fileTable+8, 1),
		"unterminated name":      append(bytes.Clone(zip[:fileTable+cabFileSize]), bytes.Repeat([]byte{'n'}, 300)...),
		"bad checksum":           set32(zip, blocks[1].off, blocks[1].sum^1),
		"block too large":        set16(noSum(zip), blocks[0].off+6, cabMaxBlock+1),
		"block size past end":    set16(noSum(zip), blocks[2].off+4, 0xFFFF),
		"block short":            set16(loose(zip), blocks[1].off+6, uint16(blocks[1].ucb-1)),
		"block long":             set16(noSum(zip), blocks[2].off+6, uint16(blocks[2].ucb+1)),
		"block empty":            set16(loose(zip), blocks[2].off+6, 0),
		"plain size mismatch":    set16(loose(plain), cabBlocks(t, plain)[0].off+6, 100),
	}
	// The "unterminated name" cabinet must keep a consistent size field.
	formatCases["unterminated name"] = set32(formatCases["unterminated name"], 8, uint32(len(formatCases["unterminated name"])))
	badCK := noSum(zip)
	badCK[blocks[1].off+cabDataSize] = 'X'
	formatCases["bad CK"] = badCK
	badDeflate := noSum(zip)
	for i := 0; i < 16; i++ {
		badDeflate[blocks[0].off+cabDataSize+2+i] = 0xFF
	}
	formatCases["bad deflate"] = badDeflate
	badDeflate2 := noSum(zip)
	badDeflate2[blocks[0].off+cabDataSize+2] = 0x07 // BTYPE 11: reserved
	formatCases["reserved deflate block type"] = badDeflate2
	cut := noSum(zip) // deflate data cut short: the block ends early
	le.PutUint16(cut[blocks[2].off+4:], uint16(blocks[2].cb/2))
	formatCases["cut deflate"] = cut
	for name, b := range formatCases {
		_, err := ReadCabinet(b)
		if !isFormatErr(err) {
			t.Errorf("%s: err = %v, want FormatError", name, err)
		}
		t.Logf("%s: %v", name, err)
	}

	for name, b := range map[string][]byte{
		"quantum":       set16(zip, cabHeaderSize+6, cabCompQuantum|0x1000),
		"lzx":           set16(zip, cabHeaderSize+6, cabCompLZX|0x1500),
		"prev cabinet":  set16(zip, 30, cabFlagPrev),
		"next cabinet":  set16(zip, 30, cabFlagNext),
		"continued":     set16(zip, fileTable+8, 0xFFFD),
		"continued out": set16(zip, fileTable+8, 0xFFFE),
	} {
		_, err := ReadCabinet(b)
		if !isUnsupported(err) || errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want UnsupportedCabinetError", name, err)
		}
	}

	// Systematic damage, on smaller cabinets (two blocks): truncations and
	// single bytes.
	small := []testCabFile{{name: "a", data: textData(33_000, 6)}, {name: "b", data: []byte("bee")}}
	for _, orig := range [][]byte{
		writeCab(t, cabOpts{comp: cabCompMSZIP, checksum: true}, small),
		writeCab(t, cabOpts{comp: cabCompNone}, small),
		writeCab(t, cabOpts{comp: cabCompMSZIP, reserve: true}, small),
	} {
		for n := 0; n < len(orig); n += 7 {
			if _, err := ReadCabinet(orig[:n]); !isFormatErr(err) {
				t.Fatalf("truncated to %d: err = %v", n, err)
			}
		}
		// Every byte of the headers, some of the data.
		for off := 0; off < len(orig); off += map[bool]int{true: 1, false: 127}[off < 256] {
			for _, v := range []byte{0x00, 0xFF, 0x7F, 0x80} {
				b := bytes.Clone(orig)
				b[off] = v
				if _, err := ReadCabinet(b); err != nil && !isFormatErr(err) && !isUnsupported(err) {
					t.Fatalf("damage at %d: untyped error %T %v", off, err, err)
				}
			}
		}
	}
}

// TestReadCabinetOverlap: folders sharing data blocks, or many folders
// pointing at the same chain, are rejected before any decoding.
func TestReadCabinetOverlap(t *testing.T) {
	b := writeCab(t, cabOpts{comp: cabCompMSZIP}, []testCabFile{{name: "a", data: textData(40_000, 7)}}, []testCabFile{{name: "b", data: textData(40_000, 8)}})
	le := binary.LittleEndian
	le.PutUint32(b[cabHeaderSize+cabFolderSize:], le.Uint32(b[cabHeaderSize:]))
	if _, err := ReadCabinet(b); !isFormatErr(err) || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("overlapping folders: err = %v", err)
	}
}

func TestFileDataPrebuilt(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "readme.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p := open(t, prebuilt)
	data, err := p.FileData()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 || !bytes.Equal(data["ReadmeFile"], want) {
		t.Errorf("FileData = %q, want ReadmeFile: %q", data, want)
	}
	files, err := p.Files()
	if err != nil {
		t.Fatal(err)
	}
	wantFile := File{Key: "ReadmeFile", Component: "MainComponent", Directory: "INSTALLDIR", LongName: "readme.txt",
		ShortName: "readme.txt", Size: len(want), Attributes: FileAttrVital, Sequence: 1}
	if len(files) != 1 || files[0] != wantFile {
		t.Errorf("Files = %+v, want %+v", files, wantFile)
	}
	// wixl compresses with MSZIP.
	cab, err := ReadCabinet(p.streams["data.cab"])
	if err != nil || len(cab) != 1 || cab[0].Name != "ReadmeFile" {
		t.Fatalf("ReadCabinet(data.cab) = %v, %v", cab, err)
	}
	if comp := binary.LittleEndian.Uint16(p.streams["data.cab"][cabHeaderSize+6:]); comp != cabCompMSZIP {
		t.Errorf("wixl cabinet compression %d, want MSZIP", comp)
	}
	// The map is the caller's; the result is cached.
	delete(data, "ReadmeFile")
	if again, err := p.FileData(); err != nil || len(again) != 1 {
		t.Errorf("second FileData = %v, %v", again, err)
	}
}

// TestFileDataConcurrent runs the lazy accessors from several goroutines
// (meaningful under -race).
func TestFileDataConcurrent(t *testing.T) {
	p := open(t, prebuilt)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d, err := p.FileData(); err != nil || len(d["ReadmeFile"]) != 20 {
				t.Errorf("FileData = %v, %v", d, err)
			}
			if _, err := p.Files(); err != nil {
				t.Error(err)
			}
			if _, err := p.Table("Component"); err != nil {
				t.Error(err)
			}
			_ = p.ProductCode()
		}()
	}
	wg.Wait()
}

// TestFileDataErrors alters a freshly opened prebuilt package in memory.
func TestFileDataErrors(t *testing.T) {
	fresh := func() *Package { return open(t, prebuilt) }
	media := func(p *Package) *Table {
		tb, err := p.Table("Media")
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}

	p := fresh()
	p.summary.WordCount &^= WordCountCompressed
	if _, err := p.FileData(); !errors.Is(err, ErrExternalFiles) {
		t.Errorf("uncompressed source: err = %v", err)
	}

	p = fresh()
	tb, _ := p.Table("File")
	tb.Rows[0][tb.ColumnIndex("Attributes")] = Value{Kind: KindInt, Int: FileAttrNoncompressed}
	if _, err := p.FileData(); !errors.Is(err, ErrExternalFiles) {
		t.Errorf("non-compressed file: err = %v", err)
	}

	p = fresh()
	media(p).Rows[0][media(p).ColumnIndex("Cabinet")] = Value{Kind: KindString, Str: "data.cab"}
	if _, err := p.FileData(); !errors.Is(err, ErrExternalFiles) || errors.Is(err, ErrFormat) {
		t.Errorf("external cabinet: err = %v", err)
	}

	formatCase := func(name, stream string, alter func(p *Package)) {
		t.Helper()
		p := fresh()
		alter(p)
		_, err := p.FileData()
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) || fe.Stream != stream {
			t.Errorf("%s: err = %v, want FormatError in stream %q", name, err, stream)
		}
	}
	formatCase("no cabinet", "!Media", func(p *Package) {
		media(p).Rows[0][media(p).ColumnIndex("Cabinet")] = Value{}
	})
	formatCase("missing stream", "!Media", func(p *Package) {
		media(p).Rows[0][media(p).ColumnIndex("Cabinet")] = Value{Kind: KindString, Str: "#other.cab"}
	})
	formatCase("sequence past media", "!Media", func(p *Package) {
		media(p).Rows[0][media(p).ColumnIndex("LastSequence")] = Value{Kind: KindInt, Int: 0}
	})
	formatCase("garbage cabinet", "data.cab", func(p *Package) { p.streams["data.cab"] = []byte("MSCF garbage") })
	formatCase("file not in cabinet", "data.cab", func(p *Package) {
		p.streams["data.cab"] = writeCab(t, cabOpts{comp: cabCompMSZIP}, []testCabFile{{name: "Other", data: []byte("x")}})
	})
	formatCase("duplicate names", "data.cab", func(p *Package) {
		p.streams["data.cab"] = writeCab(t, cabOpts{comp: cabCompMSZIP}, []testCabFile{{name: "ReadmeFile", data: []byte("x")}, {name: "ReadmeFile"}})
	})
	formatCase("unknown component", "!File", func(p *Package) {
		tb, _ := p.Table("File")
		tb.Rows[0][tb.ColumnIndex("Component_")] = Value{Kind: KindString, Str: "Nope"}
	})

	p = fresh()
	lzx := writeCab(t, cabOpts{comp: cabCompMSZIP}, []testCabFile{{name: "ReadmeFile", data: []byte("x")}})
	binary.LittleEndian.PutUint16(lzx[cabHeaderSize+6:], cabCompLZX)
	p.streams["data.cab"] = lzx
	if _, err := p.FileData(); !errors.Is(err, ErrUnsupportedCabinet) {
		t.Errorf("LZX cabinet: err = %v", err)
	}

	// A package with no File table has no files.
	p = fresh()
	delete(p.schemas, "File")
	if d, err := p.FileData(); err != nil || len(d) != 0 {
		t.Errorf("no File table: %v, %v", d, err)
	}
}

func TestFileDataWixl(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "readme.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"permachine.wxs", "peruser.wxs"} {
		p := open(t, buildMSI(t, src))
		data, err := p.FileData()
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if len(data) != 1 || !bytes.Equal(data["ReadmeFile"], want) {
			t.Errorf("%s: FileData = %q", src, data)
		}
	}
}

const multiWxs = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{5C1D7E2A-3B4F-4A6B-8C9D-0E1F2A3B4C5D}" UpgradeCode="{6D2E8F3B-4C5A-4B7C-9DAE-1F2A3B4C5D6E}"
           Name="MsiLab Multi" Language="1033" Version="1.0.0" Manufacturer="MsiLab Testing">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine" />
    <Media Id="1" Cabinet="files.cab" EmbedCab="%s" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="MsiLabMulti">
          <Component Id="C1" Guid="{7E3F9A4C-5D6B-4C8D-AEBF-2A3B4C5D6E7F}">
            <File Id="Big" Name="big.txt" Source="big.txt" KeyPath="yes" />
            <File Id="Rand" Name="rand.bin" Source="rand.bin" />
            <File Id="Empty" Name="empty.txt" Source="empty.txt" />
          </Component>
          <Directory Id="SUBDIR" Name="Sub Dir">
            <Component Id="C2" Guid="{8F4A0B5D-6E7C-4D9E-BFC0-3B4C5D6E7F80}">
              <File Id="Long" Name="A Long File Name.txt" Source="long.txt" KeyPath="yes" />
            </Component>
          </Directory>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="C1" /><ComponentRef Id="C2" /></Feature>
  </Product>
</Wix>
`

// TestFileDataWixlMulti builds a package with several files, one spanning
// several MSZIP blocks.
func TestFileDataWixlMulti(t *testing.T) {
	wixl := needTool(t, "wixl")
	payload := map[string][]byte{
		"big.txt":   textData(120_000, 9),
		"rand.bin":  randomData(50_000, 10),
		"empty.txt": {},
		"long.txt":  []byte("long name\n"),
	}
	build := func(embed string) *Package {
		dir := t.TempDir()
		for n, b := range payload {
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "multi.wxs"), []byte(fmt.Sprintf(multiWxs, embed)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(wixl, "-o", "out.msi", "multi.wxs")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("wixl: %v\n%s", err, out)
		}
		return open(t, filepath.Join(dir, "out.msi"))
	}
	p := build("yes")
	data, err := p.FileData()
	if err != nil {
		t.Fatal(err)
	}
	wantData := map[string][]byte{"Big": payload["big.txt"], "Rand": payload["rand.bin"], "Empty": {}, "Long": payload["long.txt"]}
	if len(data) != len(wantData) {
		t.Errorf("FileData has %d files, want %d", len(data), len(wantData))
	}
	for k, w := range wantData {
		if !bytes.Equal(data[k], w) {
			t.Errorf("FileData[%s]: %d bytes, want %d", k, len(data[k]), len(w))
		}
	}
	if n := len(cabBlocks(t, p.streams["files.cab"])); n < 4 {
		t.Errorf("cabinet has %d blocks, want several", n)
	}
	files, err := p.Files()
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{}
	for i, f := range files {
		dirs[f.Key] = f.Directory
		if i > 0 && files[i-1].Sequence > f.Sequence {
			t.Errorf("Files not sorted: %+v", files)
		}
		if f.Size != len(wantData[f.Key]) {
			t.Errorf("%s: Size %d, want %d", f.Key, f.Size, len(wantData[f.Key]))
		}
		if f.Key == "Long" && f.LongName != "A Long File Name.txt" {
			t.Errorf("Long: LongName %q ShortName %q", f.LongName, f.ShortName)
		}
	}
	if dirs["Big"] != "INSTALLDIR" || dirs["Long"] != "SUBDIR" || len(dirs) != 4 {
		t.Errorf("directories: %v", dirs)
	}

	// EmbedCab="no": the cabinet is external.
	if _, err := build("no").FileData(); !errors.Is(err, ErrExternalFiles) {
		t.Errorf("external cabinet: err = %v", err)
	}
}

func TestFileNameSplit(t *testing.T) {
	p := open(t, prebuilt)
	tb, _ := p.Table("File")
	tb.Rows[0][tb.ColumnIndex("FileName")] = Value{Kind: KindString, Str: "README~1.TXT|Read Me File.txt"}
	files, err := p.Files()
	if err != nil {
		t.Fatal(err)
	}
	if files[0].ShortName != "README~1.TXT" || files[0].LongName != "Read Me File.txt" {
		t.Errorf("names = %q, %q", files[0].ShortName, files[0].LongName)
	}
}

// cabSeeds returns cabinets for fuzzing: hand-built ones always, the
// prebuilt package's cabinet, and gcab-built ones when gcab is installed.
// Seeds stay small (a few KiB): the fuzzer minimizes every new interesting
// input, which is slow for large ones. Repetitive content keeps multi-block
// MSZIP cabinets small while later blocks still refer to earlier ones.
func cabSeeds(t testing.TB) [][]byte {
	rep := bytes.Repeat(textData(1500, 11), 27)[:40_000] // two blocks
	small := []testCabFile{{name: "a", data: rep}, {name: "b", data: []byte("bee")}, {name: "c"}}
	seeds := [][]byte{
		writeCab(t, cabOpts{comp: cabCompMSZIP, checksum: true}, small),
		writeCab(t, cabOpts{comp: cabCompMSZIP}, small), // mutations reach the inflater
		writeCab(t, cabOpts{comp: cabCompNone, checksum: true}, small[1:]),
		writeCab(t, cabOpts{comp: cabCompMSZIP, reserve: true}, small[1:], small[2:]),
	}
	if p, err := OpenFile(prebuilt); err == nil {
		seeds = append(seeds, p.streams["data.cab"])
	}
	if _, err := exec.LookPath("gcab"); err == nil {
		files := []testCabFile{{name: "a.txt", data: textData(300, 12)}, {name: "r.bin", data: randomData(100, 13)}, {name: "e"}}
		seeds = append(seeds, buildGcab(t, false, files), buildGcab(t, true, files),
			buildGcab(t, true, []testCabFile{{name: "rep.txt", data: rep}}))
	}
	return seeds
}

// TestCabSeeds checks that the fuzzing seeds are small and decode.
func TestCabSeeds(t *testing.T) {
	for i, s := range cabSeeds(t) {
		if len(s) > 4096 {
			t.Errorf("seed %d: %d bytes; keep seeds small for the fuzzer", i, len(s))
		}
		if _, err := ReadCabinet(s); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
}
