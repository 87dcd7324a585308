package remediation

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeLog decodes a verbose log as msiexec or a user's editor wrote it:
// UTF-16LE with its byte order mark (FF FE, what /L*v writes), UTF-16BE
// with FE FF, UTF-16LE without a mark (told by its NUL bytes: ASCII text
// has a zero high byte in every other byte), UTF-8 with or without its
// mark, and otherwise Windows-1252, the ANSI code page of the logs that
// western Windows writes with /L (without *) and of pastes saved by
// Notepad. Line ends are kept.
func DecodeLog(b []byte) string {
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

// looksUTF16LE reports text whose odd bytes are mostly NUL and even bytes
// mostly not: UTF-16LE of mostly ASCII text, as a log is.
func looksUTF16LE(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := len(b) / 2
	if n > 4096 {
		n = 4096
	}
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

func decodeUTF16(b []byte, order binary.ByteOrder) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
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

// messagePattern finds Windows Installer message numbers in a verbose
// log: "Note: 1: 2503", "DEBUG: Error 2503:", "Error 1925." (the pattern
// of scenarios/runner's Messages, which this package cannot import).
var messagePattern = regexp.MustCompile(`Note: 1: (\d{4})\b|\bError (\d{4})[.:]`)

// Messages lists the message numbers a log shows, in order, each
// occurrence once per line.
func Messages(log string) []int {
	var out []int
	for _, m := range messagePattern.FindAllStringSubmatch(log, -1) {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		n, _ := strconv.Atoi(s)
		out = append(out, n)
	}
	return out
}
