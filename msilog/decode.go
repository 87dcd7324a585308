package msilog

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding names what a log was written in.
type Encoding string

// Encodings the reader tells apart by content.
const (
	UTF16LEBOM Encoding = "utf-16le-bom" // what msiexec /L*v writes
	UTF16LE    Encoding = "utf-16le"     // the same, its byte order mark lost
	UTF16BE    Encoding = "utf-16be"
	UTF8BOM    Encoding = "utf-8-bom"
	UTF8       Encoding = "utf-8"
	ANSI       Encoding = "windows-1252" // /L without *, or a paste saved by Notepad
)

// sniffSize is how much of the input decides its encoding.
const sniffSize = 64 << 10

// lineReader yields decoded lines (line ends removed) from a stream,
// never holding more than one line and one buffer.
type lineReader struct {
	br    *bufio.Reader
	enc   Encoding
	order binary.ByteOrder // UTF-16 only
	n     int64            // bytes read
	max   int64
	crlf  bool // a CR LF line end was seen
}

// ErrTooLarge is wrapped when an input is larger than Options.MaxBytes.
var ErrTooLarge = errors.New("msilog: input too large")

func newLineReader(r io.Reader, max int64) (*lineReader, []byte, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, err
	}
	lr := &lineReader{br: br, max: max}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		lr.enc, lr.order = UTF16LEBOM, binary.LittleEndian
		br.Discard(2)
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		lr.enc, lr.order = UTF16BE, binary.BigEndian
		br.Discard(2)
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		lr.enc = UTF8BOM
		br.Discard(3)
	case looksUTF16LE(head):
		lr.enc, lr.order = UTF16LE, binary.LittleEndian
	case utf8.Valid(trimPartialRune(head)):
		lr.enc = UTF8
	default:
		lr.enc = ANSI
	}
	return lr, head, nil
}

// trimPartialRune drops a rune cut by the sniff's end.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < 3 && len(b) > 0; i++ {
		r, _ := utf8.DecodeLastRune(b)
		if r != utf8.RuneError {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}

// looksUTF16LE reports text whose odd bytes are mostly NUL and even bytes
// mostly not: UTF-16LE of mostly ASCII text, as a log is.
func looksUTF16LE(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := min(len(b)/2, 4096)
	zeroHigh, zeroLow := 0, 0
	for i := 0; i < n; i++ {
		if b[2*i+1] == 0 {
			zeroHigh++
		}
		if b[2*i] == 0 {
			zeroLow++
		}
	}
	return zeroHigh*10 >= n*6 && zeroLow*10 < n*2
}

// next returns the next line, io.EOF after the last.
func (lr *lineReader) next() (string, error) {
	var s string
	var err error
	if lr.order != nil {
		s, err = lr.next16()
	} else {
		s, err = lr.next8()
	}
	if strings.HasSuffix(s, "\r") {
		lr.crlf = true
		s = strings.TrimRight(s, "\r")
	}
	return s, err
}

func (lr *lineReader) count(n int) error {
	lr.n += int64(n)
	if lr.max > 0 && lr.n > lr.max {
		return ErrTooLarge
	}
	return nil
}

func (lr *lineReader) next8() (string, error) {
	b, err := lr.br.ReadSlice('\n')
	var long []byte
	for errors.Is(err, bufio.ErrBufferFull) { // a line longer than the buffer
		long = append(long, b...)
		if cerr := lr.count(len(b)); cerr != nil {
			return "", cerr
		}
		b, err = lr.br.ReadSlice('\n')
	}
	if cerr := lr.count(len(b)); cerr != nil {
		return "", cerr
	}
	if long != nil {
		b = append(long, b...)
	}
	if len(b) == 0 && err != nil {
		return "", err
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	if lr.enc == ANSI && !utf8.Valid(b) {
		return decode1252(b), nil
	}
	if !utf8.Valid(b) { // one line of a UTF-8 log in ANSI (a paste into it)
		return decode1252(b), nil
	}
	return string(b), nil
}

func (lr *lineReader) next16() (string, error) {
	var u []uint16
	var pair [2]byte
	for {
		if _, err := io.ReadFull(lr.br, pair[:]); err != nil {
			if len(u) == 0 {
				return "", io.EOF
			}
			return string(utf16.Decode(u)), nil
		}
		if err := lr.count(2); err != nil {
			return "", err
		}
		c := lr.order.Uint16(pair[:])
		if c == '\n' {
			return string(utf16.Decode(u)), nil
		}
		u = append(u, c)
	}
}

// cp1252 maps Windows-1252's 0x80-0x9F; the other bytes are Latin-1 (D:
// the code page's table; undefined positions become U+FFFD).
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

func decode1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xA0:
			sb.WriteRune(cp1252[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// Decode decodes a verbose log as msiexec or a user's editor wrote it:
// UTF-16LE with its byte order mark (FF FE, what /L*v writes), UTF-16BE
// with FE FF, UTF-16LE without a mark (told by its NUL bytes: ASCII text
// has a zero high byte in every other byte), UTF-8 with or without its
// mark, and otherwise Windows-1252, the ANSI code page of the logs that
// western Windows writes with /L (without *) and of pastes saved by
// Notepad. Line ends are kept.
func Decode(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeUTF16(b[2:], binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeUTF16(b[2:], binary.BigEndian)
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return string(b[3:])
	case looksUTF16LE(b):
		return decodeUTF16(b, binary.LittleEndian)
	case utf8.Valid(b):
		return string(b)
	}
	return decode1252(b)
}

func decodeUTF16(b []byte, order binary.ByteOrder) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
