package msi

// Microsoft Cabinet (CAB) reader, after [MS-CAB] "Cabinet File Format".
//
// A cabinet is laid out as
//
//	CFHEADER  (36 bytes, then optional reserve sizes, reserve area and
//	           previous/next cabinet names)
//	CFFOLDER  × cFolders  (8 bytes + per-folder reserve)
//	CFFILE    × cFiles    (16 bytes + NUL-terminated name), at coffFiles
//	CFDATA    blocks      (8 bytes + per-block reserve + cbData bytes),
//	                      each folder's chain starting at its coffCabStart
//
// A folder is one compression stream: the concatenated uncompressed
// contents of its CFDATA blocks, in which each file occupies cbFile bytes
// at uoffFolderStart. Only the NONE and MSZIP compression types are
// decoded; Quantum and LZX yield an *UnsupportedCabinetError, as do
// cabinets that are part of a multi-cabinet set.

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
	"unicode/utf8"
)

// ErrUnsupportedCabinet is wrapped by every *UnsupportedCabinetError.
var ErrUnsupportedCabinet = errors.New("msi: unsupported cabinet feature")

// UnsupportedCabinetError reports a well-formed cabinet feature that this
// reader does not implement: Quantum or LZX compression, or files and data
// blocks spanning several cabinets.
type UnsupportedCabinetError struct {
	Offset  int64  // byte offset in the cabinet of the structure using it
	Feature string // e.g. "LZX compression"
}

func (e *UnsupportedCabinetError) Error() string {
	return fmt.Sprintf("msi: unsupported cabinet feature at offset %d: %s", e.Offset, e.Feature)
}

// Unwrap lets errors.Is(err, ErrUnsupportedCabinet) match.
func (e *UnsupportedCabinetError) Unwrap() error { return ErrUnsupportedCabinet }

// Cabinet file attributes (CFFILE.attribs).
const (
	CabAttrReadOnly  = 0x01
	CabAttrHidden    = 0x02
	CabAttrSystem    = 0x04
	CabAttrArchive   = 0x20
	CabAttrExec      = 0x40
	CabAttrNameIsUTF = 0x80 // the name is UTF-8 rather than the local code page
)

// CabFile is one file extracted from a cabinet.
type CabFile struct {
	Name string
	// Data is the file's content. Files whose ranges overlap within a
	// folder share backing memory; do not modify it.
	Data  []byte
	Attrs uint16    // CabAttr* bits
	Time  time.Time // MS-DOS date and time (no zone; reported as UTC), zero if invalid
}

// CFHEADER flags.
const (
	cabFlagPrev    = 0x0001
	cabFlagNext    = 0x0002
	cabFlagReserve = 0x0004
)

// Compression types (CFFOLDER.typeCompress & 0x000F).
const (
	cabCompNone    = 0
	cabCompMSZIP   = 1
	cabCompQuantum = 2
	cabCompLZX     = 3
)

const (
	cabHeaderSize = 36
	cabFolderSize = 8
	cabFileSize   = 16
	cabDataSize   = 8
	cabMaxBlock   = 32768 // uncompressed bytes per CFDATA block
	cabMaxName    = 256   // CB_MAX_FILENAME, including the terminating NUL
	cabMaxString  = 256   // CB_MAX_CABINET_NAME / CB_MAX_DISK_NAME
	// maxCabOutput caps the total uncompressed size that one ReadCabinet
	// call decodes. Folder sizes are already bounded by 32 KiB per block,
	// but a block header costs only a few input bytes.
	maxCabOutput = 1 << 30
)

func cabErr(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: "cabinet: " + fmt.Sprintf(format, args...)}
}

type cabFolder struct {
	index    int
	off      int64 // CFFOLDER entry offset (for errors)
	start    int64 // coffCabStart
	blocks   int   // cCFData
	comp     uint16
	size     int   // sum of cbUncomp, filled by the block walk
	blockOff []int // offset of each CFDATA header, filled by the block walk
}

type cabEntry struct {
	off    int64 // CFFILE entry offset
	size   int64 // cbFile
	start  int64 // uoffFolderStart
	folder int
	date   uint16
	time   uint16
	attrs  uint16
	name   string
}

// ReadCabinet parses a whole cabinet and returns its files, in CFFILE
// order, with their uncompressed contents. Malformed input yields a
// *FormatError (errors.Is(err, ErrFormat)); Quantum or LZX compressed
// folders and multi-cabinet sets yield an *UnsupportedCabinetError.
//
// Non-zero CFDATA checksums are verified.
func ReadCabinet(data []byte) ([]CabFile, error) {
	le := binary.LittleEndian
	if len(data) < cabHeaderSize {
		return nil, cabErr(0, "header truncated (%d bytes)", len(data))
	}
	if !bytes.Equal(data[:4], []byte("MSCF")) {
		return nil, cabErr(0, "bad signature %q", data[:4])
	}
	size := le.Uint32(data[8:])
	if size < cabHeaderSize || uint64(size) > uint64(len(data)) {
		return nil, cabErr(8, "cabinet size %d, have %d bytes", size, len(data))
	}
	data = data[:size] // ignore anything after the cabinet
	coffFiles := le.Uint32(data[16:])
	nFolders := int(le.Uint16(data[26:]))
	nFiles := int(le.Uint16(data[28:]))
	flags := le.Uint16(data[30:])

	pos := cabHeaderSize
	var resFolder, resData int
	if flags&cabFlagReserve != 0 {
		if len(data) < pos+4 {
			return nil, cabErr(int64(pos), "reserve sizes truncated")
		}
		resHeader := int(le.Uint16(data[pos:]))
		resFolder = int(data[pos+2])
		resData = int(data[pos+3])
		pos += 4
		if resHeader > len(data)-pos {
			return nil, cabErr(int64(pos), "header reserve of %d bytes runs past end", resHeader)
		}
		pos += resHeader
	}
	if flags&(cabFlagPrev|cabFlagNext) != 0 {
		return nil, &UnsupportedCabinetError{Offset: 30, Feature: "multi-cabinet set (previous/next cabinet flags)"}
	}

	// CFFOLDER entries.
	if nFolders > (len(data)-pos)/(cabFolderSize+resFolder) {
		return nil, cabErr(26, "%d folders do not fit in %d bytes", nFolders, len(data)-pos)
	}
	folders := make([]cabFolder, nFolders)
	for i := range folders {
		folders[i] = cabFolder{
			index:  i,
			off:    int64(pos),
			start:  int64(le.Uint32(data[pos:])),
			blocks: int(le.Uint16(data[pos+4:])),
			comp:   le.Uint16(data[pos+6:]),
		}
		pos += cabFolderSize + resFolder
	}

	// CFFILE entries.
	if uint64(coffFiles) > uint64(len(data)) {
		return nil, cabErr(16, "file table offset %d past end (%d bytes)", coffFiles, len(data))
	}
	pos = int(coffFiles)
	if nFiles > (len(data)-pos)/(cabFileSize+1) {
		return nil, cabErr(28, "%d files do not fit in %d bytes", nFiles, len(data)-pos)
	}
	files := make([]cabEntry, nFiles)
	for i := range files {
		if len(data)-pos < cabFileSize+1 {
			return nil, cabErr(int64(pos), "file entry %d truncated", i)
		}
		e := cabEntry{
			off:    int64(pos),
			size:   int64(le.Uint32(data[pos:])),
			start:  int64(le.Uint32(data[pos+4:])),
			folder: int(le.Uint16(data[pos+8:])),
			date:   le.Uint16(data[pos+10:]),
			time:   le.Uint16(data[pos+12:]),
			attrs:  le.Uint16(data[pos+14:]),
		}
		name := data[pos+cabFileSize:]
		n := bytes.IndexByte(name[:min(len(name), cabMaxName)], 0)
		if n < 0 {
			return nil, cabErr(int64(pos+cabFileSize), "file entry %d: name not terminated within %d bytes", i, cabMaxName)
		}
		e.name = cabName(name[:n], e.attrs)
		pos += cabFileSize + n + 1
		if e.folder >= 0xFFFD {
			return nil, &UnsupportedCabinetError{Offset: e.off + 8, Feature: fmt.Sprintf("file %q continued from/to another cabinet", e.name)}
		}
		if e.folder >= nFolders {
			return nil, cabErr(e.off+8, "file %q: folder %d out of range (%d folders)", e.name, e.folder, nFolders)
		}
		files[i] = e
	}

	// Walk the CFDATA chains of the folders in data order, requiring them
	// to be disjoint: total work is then bounded by the input size.
	byStart := make([]*cabFolder, len(folders))
	for i := range folders {
		byStart[i] = &folders[i]
	}
	sort.SliceStable(byStart, func(i, j int) bool { return byStart[i].start < byStart[j].start })
	end := 0
	for _, f := range byStart {
		if f.blocks == 0 {
			continue
		}
		if f.start < int64(end) || f.start > int64(len(data)) {
			return nil, cabErr(f.off, "folder %d: data offset %d overlaps other data or is past end (%d bytes)", f.index, f.start, len(data))
		}
		p := int(f.start)
		f.blockOff = make([]int, 0, min(f.blocks, (len(data)-p)/cabDataSize))
		for b := 0; b < f.blocks; b++ {
			if len(data)-p < cabDataSize+resData {
				return nil, cabErr(int64(p), "folder %d: data block %d header truncated", f.index, b)
			}
			cb := int(le.Uint16(data[p+4:]))
			ucb := int(le.Uint16(data[p+6:]))
			if ucb > cabMaxBlock {
				return nil, cabErr(int64(p+6), "folder %d: data block %d uncompressed size %d exceeds %d", f.index, b, ucb, cabMaxBlock)
			}
			if cb > len(data)-p-cabDataSize-resData {
				return nil, cabErr(int64(p+4), "folder %d: data block %d of %d bytes runs past end", f.index, b, cb)
			}
			f.blockOff = append(f.blockOff, p)
			f.size += ucb
			p += cabDataSize + resData + cb
		}
		end = p
	}

	// Check every file against its folder's size before decoding anything,
	// and decode only the folders that hold files.
	var total int64
	need := make([]bool, len(folders))
	for _, e := range files {
		f := &folders[e.folder]
		if e.start > int64(f.size) || e.size > int64(f.size)-e.start {
			return nil, cabErr(e.off, "file %q: range %d+%d exceeds folder %d size %d", e.name, e.start, e.size, e.folder, f.size)
		}
		if !need[e.folder] && e.size > 0 {
			need[e.folder] = true
			if total += int64(f.size); total > maxCabOutput {
				return nil, cabErr(0, "uncompressed size exceeds limit of %d bytes", maxCabOutput)
			}
		}
	}
	out := make([][]byte, len(folders))
	for i := range folders {
		if !need[i] {
			continue
		}
		b, err := decodeFolder(data, &folders[i], resData)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}

	res := make([]CabFile, len(files))
	for i, e := range files {
		res[i] = CabFile{Name: e.name, Attrs: e.attrs, Time: dosTime(e.date, e.time)}
		if e.size > 0 {
			lo, hi := int(e.start), int(e.start+e.size)
			res[i].Data = out[e.folder][lo:hi:hi]
		} else {
			res[i].Data = []byte{}
		}
	}
	return res, nil
}

// cabName decodes a CFFILE name: UTF-8 when _A_NAME_IS_UTF is set (or the
// bytes are plain ASCII), Windows-1252 otherwise.
func cabName(b []byte, attrs uint16) string {
	if attrs&CabAttrNameIsUTF != 0 && utf8.Valid(b) {
		return string(b)
	}
	return decodeCodepage(b, 1252)
}

func dosTime(d, t uint16) time.Time {
	year, month, day := 1980+int(d>>9), int(d>>5&0xF), int(d&0x1F)
	hour, minute, sec := int(t>>11), int(t>>5&0x3F), 2*int(t&0x1F)
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
}

// cabChecksum is CSUMCompute from [MS-CAB]: the XOR of the input taken
// as little-endian 32-bit words, with the 1–3 trailing bytes combined
// most-significant first (a quirk of the reference implementation).
func cabChecksum(b []byte, seed uint32) uint32 {
	sum := seed
	n := len(b) &^ 3
	for i := 0; i < n; i += 4 {
		sum ^= binary.LittleEndian.Uint32(b[i:])
	}
	var t uint32
	for _, c := range b[n:] {
		t = t<<8 | uint32(c)
	}
	return sum ^ t
}

// decodeFolder returns the uncompressed contents of f, whose block chain
// has been validated against data by ReadCabinet.
func decodeFolder(data []byte, f *cabFolder, resData int) ([]byte, error) {
	le := binary.LittleEndian
	var fr io.ReadCloser
	switch f.comp & 0x000F {
	case cabCompNone:
	case cabCompMSZIP:
	case cabCompQuantum:
		return nil, &UnsupportedCabinetError{Offset: f.off + 6, Feature: fmt.Sprintf("Quantum compression (folder %d)", f.index)}
	case cabCompLZX:
		return nil, &UnsupportedCabinetError{Offset: f.off + 6, Feature: fmt.Sprintf("LZX compression (folder %d)", f.index)}
	default:
		return nil, cabErr(f.off+6, "folder %d: unknown compression type %#x", f.index, f.comp)
	}
	// Grow with the data actually decoded rather than trusting f.size for
	// the initial allocation: a block header costs 8 bytes of input.
	out := make([]byte, 0, min(f.size, 4*len(data)))
	for b, p := range f.blockOff {
		sum := le.Uint32(data[p:])
		cb := int(le.Uint16(data[p+4:]))
		ucb := int(le.Uint16(data[p+6:]))
		hdr := data[p+4 : p+cabDataSize+resData] // cbData, cbUncomp, abReserve
		blk := data[p+cabDataSize+resData : p+cabDataSize+resData+cb]
		if sum != 0 {
			if got := cabChecksum(hdr, cabChecksum(blk, 0)); got != sum {
				return nil, cabErr(int64(p), "folder %d: data block %d checksum %#08x, computed %#08x", f.index, b, sum, got)
			}
		}
		if ucb == 0 {
			return nil, cabErr(int64(p+6), "folder %d: data block %d has no uncompressed data", f.index, b)
		}
		if f.comp&0x000F == cabCompNone {
			if cb != ucb {
				return nil, cabErr(int64(p+4), "folder %d: uncompressed data block %d has %d bytes, declares %d", f.index, b, cb, ucb)
			}
			out = append(out, blk...)
			continue
		}
		// MSZIP: "CK" then a raw DEFLATE stream whose window holds the
		// folder's previous output (up to 32 KiB).
		if cb < 2 || blk[0] != 'C' || blk[1] != 'K' {
			return nil, cabErr(int64(p+cabDataSize+resData), "folder %d: data block %d lacks the MSZIP \"CK\" signature", f.index, b)
		}
		dict := out[max(0, len(out)-cabMaxBlock):]
		src := bytes.NewReader(blk[2:])
		if fr == nil {
			fr = flate.NewReaderDict(src, dict)
		} else if err := fr.(flate.Resetter).Reset(src, dict); err != nil {
			return nil, cabErr(int64(p), "folder %d: data block %d: %v", f.index, b, err)
		}
		n := len(out)
		out = slices.Grow(out, ucb)[:n+ucb]
		if _, err := io.ReadFull(fr, out[n:]); err != nil {
			return nil, cabErr(int64(p), "folder %d: data block %d: inflating %d bytes: %v", f.index, b, ucb, err)
		}
		// The stream should end here. Accept a stream without a final
		// block (it ends at the input's end); reject surplus output.
		var probe [1]byte
		if m, err := fr.Read(probe[:]); m > 0 {
			return nil, cabErr(int64(p+6), "folder %d: data block %d inflates to more than %d bytes", f.index, b, ucb)
		} else if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, cabErr(int64(p), "folder %d: data block %d: %v", f.index, b, err)
		}
	}
	if len(out) != f.size {
		return nil, cabErr(f.off, "folder %d: decoded %d bytes, declared %d", f.index, len(out), f.size)
	}
	return out, nil
}
