package model

import "strings"

// winPath is a parsed absolute Windows path: drive "C:" and components.
type winPath struct {
	drive string
	parts []string
}

func (p winPath) String() string { return p.drive + `\` + strings.Join(p.parts, `\`) }

// CleanPath returns the canonical form of an absolute path: forward
// slashes become backslashes, "." and ".." are resolved (never above the
// root), empty components and trailing backslashes are dropped, trailing
// dots and spaces of a component are removed as Win32 does, the drive
// letter is upper-cased. Environment strings (%TEMP%) are not expanded.
// Relative and UNC paths are invalid names (Win32 123).
func CleanPath(p string) (string, error) {
	wp, err := parsePath(p)
	if err != nil {
		return "", err
	}
	return wp.String(), nil
}

func parsePath(p string) (winPath, error) {
	s := strings.ReplaceAll(p, "/", `\`)
	s = strings.TrimPrefix(s, `\\?\`)
	if len(s) < 2 || s[1] != ':' || !isLetter(s[0]) || (len(s) > 2 && s[2] != '\\') {
		return winPath{}, pathErr("parse", p, ErrorInvalidName, ErrInvalidName)
	}
	wp := winPath{drive: strings.ToUpper(s[:2])}
	for _, c := range strings.Split(s[2:], `\`) {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(wp.parts) > 0 {
				wp.parts = wp.parts[:len(wp.parts)-1]
			}
			continue
		}
		c = strings.TrimRight(c, ". ")
		if c == "" {
			continue
		}
		if strings.ContainsAny(c, `<>:"|?*`) || strings.ContainsFunc(c, func(r rune) bool { return r < 32 }) {
			return winPath{}, pathErr("parse", p, ErrorInvalidName, ErrInvalidName)
		}
		wp.parts = append(wp.parts, c)
	}
	return wp, nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
