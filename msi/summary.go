package msi

import (
	"encoding/binary"
	"time"
)

// Summary holds the \x05SummaryInformation property set.
type Summary struct {
	Codepage    int
	Title       string
	Subject     string
	Author      string
	Keywords    string
	Comments    string
	Template    string // platform;language list, e.g. "Intel;1033"
	LastSavedBy string
	PackageCode string // revision number: the package code GUID
	Created     time.Time
	LastSaved   time.Time
	PageCount   int // minimum installer version, e.g. 200
	WordCount   int // source image flags
	CharCount   int
	AppName     string
	Security    int
	// Present reports which property IDs were found.
	Present map[uint32]bool
}

// Word count bits.
const (
	WordCountShortNames   = 1 // short file names in the source image
	WordCountCompressed   = 2 // files compressed by default
	WordCountAdminImage   = 4 // administrative image
	WordCountNoPrivileges = 8 // elevated privileges not required (per-user)
)

// Revision is an alias of PackageCode (PID_REVNUMBER).
func (s *Summary) Revision() string { return s.PackageCode }

// Compressed reports the compressed word-count bit.
func (s *Summary) Compressed() bool { return s.WordCount&WordCountCompressed != 0 }

// NoPrivileges reports whether the package declares that it needs no
// elevation (wixl/WiX set it for InstallScope="perUser").
func (s *Summary) NoPrivileges() bool { return s.WordCount&WordCountNoPrivileges != 0 }

// ShortNames reports the short-file-names word-count bit.
func (s *Summary) ShortNames() bool { return s.WordCount&WordCountShortNames != 0 }

// AdminImage reports the administrative-image word-count bit.
func (s *Summary) AdminImage() bool { return s.WordCount&WordCountAdminImage != 0 }

const summaryStream = "\x05SummaryInformation"

// Summary returns the package's summary information. A package without the
// stream yields an empty Summary.
func (p *Package) Summary() (*Summary, error) {
	if p.summary != nil {
		return p.summary, nil
	}
	s := &Summary{Present: map[uint32]bool{}}
	if b, ok := p.streams[summaryStream]; ok {
		if err := parseSummary(b, s); err != nil {
			return nil, err
		}
	}
	p.summary = s
	return s, nil
}

// parseSummary hand-decodes an OLE property set (MS-OLEPS): a 28-byte
// header, a list of (FMTID, offset) sections, and in the first section a
// table of (property ID, offset) pairs pointing at typed values.
func parseSummary(b []byte, s *Summary) error {
	le := binary.LittleEndian
	bad := func(off int, msg string, args ...any) error {
		return formatErr(summaryStream, int64(off), msg, args...)
	}
	if len(b) < 48 {
		return bad(0, "property set header truncated")
	}
	if le.Uint16(b) != 0xFFFE {
		return bad(0, "bad byte order mark %#x", le.Uint16(b))
	}
	if le.Uint32(b[24:]) < 1 {
		return bad(24, "no sections")
	}
	sec := int(le.Uint32(b[44:]))
	if sec < 0 || sec > len(b)-8 {
		return bad(44, "section offset %d out of range", sec)
	}
	nprops := int(le.Uint32(b[sec+4:]))
	if nprops < 0 || nprops > (len(b)-sec-8)/8 {
		return bad(sec+4, "property count %d too large", nprops)
	}
	s.Codepage = 1252
	type entry struct {
		id  uint32
		off int
	}
	entries := make([]entry, nprops)
	for i := range entries {
		o := sec + 8 + 8*i
		entries[i] = entry{le.Uint32(b[o:]), int(le.Uint32(b[o+4:]))}
		if entries[i].id == 1 { // codepage first: strings depend on it
			entries[0], entries[i] = entries[i], entries[0]
		}
	}
	for _, e := range entries {
		o := sec + e.off
		if e.off < 0 || o < sec || o > len(b)-4 {
			return bad(sec+8, "property %d offset %d out of range", e.id, e.off)
		}
		vt := le.Uint16(b[o:])
		o += 4
		var ival int
		var sval string
		var tval time.Time
		switch vt {
		case 2: // VT_I2
			if o+2 > len(b) {
				return bad(o, "property %d: truncated VT_I2", e.id)
			}
			ival = int(int16(le.Uint16(b[o:])))
		case 3: // VT_I4
			if o+4 > len(b) {
				return bad(o, "property %d: truncated VT_I4", e.id)
			}
			ival = int(int32(le.Uint32(b[o:])))
		case 30: // VT_LPSTR: length (including NUL) then bytes
			if o+4 > len(b) {
				return bad(o, "property %d: truncated string length", e.id)
			}
			n := int(le.Uint32(b[o:]))
			o += 4
			if n < 0 || n > len(b)-o {
				return bad(o, "property %d: string length %d out of range", e.id, n)
			}
			v := b[o : o+n]
			for len(v) > 0 && v[len(v)-1] == 0 {
				v = v[:len(v)-1]
			}
			sval = decodeCodepage(v, s.Codepage)
		case 64: // VT_FILETIME: 100ns ticks since 1601-01-01
			if o+8 > len(b) {
				return bad(o, "property %d: truncated FILETIME", e.id)
			}
			ft := int64(le.Uint64(b[o:]))
			if ft > 0 {
				const epochDiff = 116444736000000000 // 1601→1970 in 100ns
				tval = time.Unix(0, 0).UTC().Add(time.Duration(ft-epochDiff) * 100)
			}
		default:
			continue // unknown types are skipped, not fatal
		}
		s.Present[e.id] = true
		switch e.id {
		case 1:
			s.Codepage = ival & 0xFFFF
		case 2:
			s.Title = sval
		case 3:
			s.Subject = sval
		case 4:
			s.Author = sval
		case 5:
			s.Keywords = sval
		case 6:
			s.Comments = sval
		case 7:
			s.Template = sval
		case 8:
			s.LastSavedBy = sval
		case 9:
			s.PackageCode = sval
		case 12:
			s.Created = tval
		case 13:
			s.LastSaved = tval
		case 14:
			s.PageCount = ival
		case 15:
			s.WordCount = ival
		case 16:
			s.CharCount = ival
		case 18:
			s.AppName = sval
		case 19:
			s.Security = ival
		}
	}
	return nil
}
