// Package ntlm is the server side of HTTP NTLM authentication as a Windows
// WinRM listener (HTTP.sys) does it: it answers a NEGOTIATE message with a
// CHALLENGE and verifies the client's NTLMv2 AUTHENTICATE message against a
// known password. It does not sign or seal, and it does not check the MIC.
//
// Message layouts follow [MS-NLMP] section 2.2.1.
package ntlm

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4"
)

var (
	ErrBadMessage     = errors.New("ntlm: malformed message")
	ErrBadCredentials = errors.New("ntlm: bad credentials")
)

// Negotiate flags ([MS-NLMP] 2.2.2.5).
const (
	flagUnicode      = 0x00000001
	flagRequestTgt   = 0x00000004
	flagSign         = 0x00000010
	flagSeal         = 0x00000020
	flagLMKey        = 0x00000080
	flagNTLM         = 0x00000200
	flagAlwaysSign   = 0x00008000
	flagTargetDomain = 0x00010000
	flagTargetServer = 0x00020000
	flagESS          = 0x00080000 // extended session security
	flagTargetInfo   = 0x00800000
	flagVersion      = 0x02000000
	flag128          = 0x20000000
	flagKeyExch      = 0x40000000
	flag56           = 0x80000000

	// echoFlags are taken over from the client's NEGOTIATE when it asks.
	echoFlags = flagSign | flagSeal | flagESS | flag128 | flag56
)

// AV pair ids ([MS-NLMP] 2.2.2.1).
const (
	avEOL          = 0
	avNbComputer   = 1
	avNbDomain     = 2
	avDNSComputer  = 3
	avDNSDomain    = 4
	avTimestamp    = 7
	ntlmv2BlobSize = 28 // NTLMv2_CLIENT_CHALLENGE up to its AvPairs
)

// version is sent in the CHALLENGE: Windows 10.0 build 26100 (0x65f4,
// Windows 11 24H2), NTLM revision 15.
var version = [8]byte{10, 0, 0xf4, 0x65, 0, 0, 0, 15}

var signature = []byte("NTLMSSP\x00")

// MessageType returns 1, 2 or 3 for an NTLMSSP message, or an error wrapping ErrBadMessage.
func MessageType(msg []byte) (int, error) {
	if len(msg) < 12 || !bytes.Equal(msg[:8], signature) {
		return 0, fmt.Errorf("%w: no NTLMSSP signature", ErrBadMessage)
	}
	t := binary.LittleEndian.Uint32(msg[8:])
	if t < 1 || t > 3 {
		return 0, fmt.Errorf("%w: message type %d", ErrBadMessage, t)
	}
	return int(t), nil
}

// ChallengeOptions name the host in the CHALLENGE message.
type ChallengeOptions struct {
	NetbiosComputer string           // e.g. "WIN11-LAB"
	NetbiosDomain   string           // workgroup host: same as computer name, as Windows does for local accounts; empty → NetbiosComputer
	DNSComputer     string           // empty → NetbiosComputer
	DNSDomain       string           // empty → NetbiosDomain
	Rand            io.Reader        // nil → crypto/rand
	Now             func() time.Time // nil → time.Now
}

// Challenge is the server's state between its CHALLENGE and the client's
// AUTHENTICATE (kept per TCP connection by the caller). It answers one
// AUTHENTICATE only and is not safe for concurrent use.
type Challenge struct {
	serverChallenge [8]byte
	flags           uint32 // flags sent in the CHALLENGE
	used            bool
}

// NewChallenge parses a NEGOTIATE message and builds the CHALLENGE message bytes to send.
// The CHALLENGE is always Unicode and never sets KEY_EXCH or LM_KEY.
func NewChallenge(negotiate []byte, opts ChallengeOptions) (*Challenge, []byte, error) {
	if t, err := MessageType(negotiate); err != nil {
		return nil, nil, err
	} else if t != 1 || len(negotiate) < 16 {
		return nil, nil, fmt.Errorf("%w: not a NEGOTIATE message", ErrBadMessage)
	}
	asked := binary.LittleEndian.Uint32(negotiate[12:])

	if opts.NetbiosDomain == "" {
		opts.NetbiosDomain = opts.NetbiosComputer
	}
	if opts.DNSComputer == "" {
		opts.DNSComputer = opts.NetbiosComputer
	}
	if opts.DNSDomain == "" {
		opts.DNSDomain = opts.NetbiosDomain
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	for _, n := range []string{opts.NetbiosComputer, opts.NetbiosDomain, opts.DNSComputer, opts.DNSDomain} {
		if len(n) > 255 {
			return nil, nil, errors.New("ntlm: host name too long")
		}
	}

	c := &Challenge{flags: flagUnicode | flagRequestTgt | flagNTLM | flagAlwaysSign |
		flagTargetInfo | flagVersion | asked&echoFlags}
	// A workgroup host names itself as the target; a domain member names its domain.
	if strings.EqualFold(opts.NetbiosDomain, opts.NetbiosComputer) {
		c.flags |= flagTargetServer
	} else {
		c.flags |= flagTargetDomain
	}
	if _, err := io.ReadFull(opts.Rand, c.serverChallenge[:]); err != nil {
		return nil, nil, fmt.Errorf("ntlm: server challenge: %w", err)
	}

	// FILETIME: 100 ns intervals since 1601-01-01.
	ts := make([]byte, 8)
	binary.LittleEndian.PutUint64(ts, uint64(opts.Now().UnixNano()/100+116444736000000000))
	var info []byte
	for _, av := range []struct {
		id  uint16
		val []byte
	}{
		{avNbDomain, utf16le(opts.NetbiosDomain)},
		{avNbComputer, utf16le(opts.NetbiosComputer)},
		{avDNSDomain, utf16le(opts.DNSDomain)},
		{avDNSComputer, utf16le(opts.DNSComputer)},
		{avTimestamp, ts},
		{avEOL, nil},
	} {
		info = binary.LittleEndian.AppendUint16(info, av.id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(av.val)))
		info = append(info, av.val...)
	}
	target := utf16le(opts.NetbiosDomain)

	// Fixed part is 56 bytes; the payload holds the target name, then the target info.
	msg := make([]byte, 0, 56+len(target)+len(info))
	msg = append(msg, signature...)
	msg = binary.LittleEndian.AppendUint32(msg, 2)
	msg = appendField(msg, len(target), 56)
	msg = binary.LittleEndian.AppendUint32(msg, c.flags)
	msg = append(msg, c.serverChallenge[:]...)
	msg = append(msg, make([]byte, 8)...) // reserved
	msg = appendField(msg, len(info), 56+len(target))
	msg = append(msg, version[:]...)
	msg = append(msg, target...)
	msg = append(msg, info...)
	return c, msg, nil
}

// Identity is who authenticated.
type Identity struct{ User, Domain, Workstation string }

// Authenticate verifies an AUTHENTICATE message against this challenge. password returns the
// password of an account (match the user name case-insensitively; the domain may be empty, the
// computer name, "." or a workgroup — the caller decides). Errors wrap ErrBadMessage or ErrBadCredentials.
//
// Only NTLMv2 is accepted. User, Domain and Workstation are returned as the
// client sent them. A Challenge answers one call; later calls fail.
func (c *Challenge) Authenticate(msg []byte, password func(user, domain string) (string, bool)) (*Identity, error) {
	if c.used {
		return nil, fmt.Errorf("%w: challenge already answered", ErrBadMessage)
	}
	c.used = true
	if t, err := MessageType(msg); err != nil {
		return nil, err
	} else if t != 3 || len(msg) < 64 {
		return nil, fmt.Errorf("%w: not an AUTHENTICATE message", ErrBadMessage)
	}
	unicode := binary.LittleEndian.Uint32(msg[60:])&flagUnicode != 0
	var f [6][]byte // LM response, NT response, domain, user, workstation, session key
	for i := range f {
		var err error
		if f[i], err = field(msg, 12+8*i); err != nil {
			return nil, err
		}
	}
	var s [3]string // domain, user, workstation
	for i := range s {
		var err error
		if s[i], err = decode(f[2+i], unicode); err != nil {
			return nil, err
		}
	}
	id := &Identity{Domain: s[0], User: s[1], Workstation: s[2]}

	nt := f[1]
	switch {
	case id.User == "" || len(nt) == 0:
		return nil, fmt.Errorf("%w: anonymous logon refused", ErrBadCredentials)
	case len(nt) == 24:
		return nil, fmt.Errorf("%w: NTLMv1 refused", ErrBadCredentials)
	case len(nt) < 16+ntlmv2BlobSize || nt[16] != 1 || nt[17] != 1:
		return nil, fmt.Errorf("%w: not an NTLMv2 response", ErrBadMessage)
	}

	pw, ok := password(id.User, id.Domain)
	if !ok {
		return nil, fmt.Errorf("%w: unknown user %q", ErrBadCredentials, id.User)
	}
	h := md4.New()
	h.Write(utf16le(pw))
	ntowfv2 := hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(id.User)+id.Domain))
	proof := hmacMD5(ntowfv2, c.serverChallenge[:], nt[16:])
	if !hmac.Equal(proof, nt[:16]) {
		return nil, fmt.Errorf("%w: wrong password for %q", ErrBadCredentials, id.User)
	}
	return id, nil
}

// field returns the payload that the len/maxlen/offset field at msg[at:at+8]
// points to; the caller has checked that msg holds the field itself.
func field(msg []byte, at int) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(msg[at:]))
	if n == 0 {
		return nil, nil
	}
	off := uint64(binary.LittleEndian.Uint32(msg[at+4:]))
	if off+uint64(n) > uint64(len(msg)) {
		return nil, fmt.Errorf("%w: field at %d out of bounds", ErrBadMessage, at)
	}
	return msg[off : off+uint64(n)], nil
}

func appendField(msg []byte, n, off int) []byte {
	msg = binary.LittleEndian.AppendUint16(msg, uint16(n))
	msg = binary.LittleEndian.AppendUint16(msg, uint16(n))
	return binary.LittleEndian.AppendUint32(msg, uint32(off))
}

// decode reads a UTF-16LE string, or an OEM one taken as Latin-1.
func decode(b []byte, unicode bool) (string, error) {
	if !unicode {
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%w: odd-length UTF-16 string", ErrBadMessage)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}
