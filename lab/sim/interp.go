package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// maxCmdLine is cmd.exe's command line limit.
const maxCmdLine = 8191

// supported says what the simulated host runs, for the stderr line of
// anything else.
const supported = "the msilab simulated host runs msilab op batches, uploads, downloads and its host-folder script; " +
	"Packer's and winrmcp's WinRM scripts; and the cmd.exe commands hostname, whoami, echo, type, ver and exit /b N; " +
	"any of them with its stdin redirected from a file (< file)"

// Program returns what a command line runs. Nothing here runs arbitrary
// PowerShell: scripts are recognised by their exact text.
func (h *Host) Program(line string, s Session) Program {
	line = stripCmdQuotes(strings.TrimSpace(line))
	if len(line) > maxCmdLine {
		return fail("The command line is too long.")
	}
	if cmd, source, ok := splitInput(line); ok {
		return h.withStdinFrom(h.Program(cmd, s), unquote(expandCmdEnv(source, h.env(s))), s)
	}
	name, rest := splitWord(line)
	switch strings.ToLower(name) {
	case "cmd", "cmd.exe":
		flag, tail := splitWord(rest)
		if strings.EqualFold(flag, "/c") || strings.EqualFold(flag, "/s") {
			if strings.EqualFold(flag, "/s") {
				_, tail = splitWord(tail)
			}
			return h.Program(tail, s)
		}
	case "powershell", "powershell.exe":
		return h.powershell(rest, s)
	}
	return h.cmdBuiltin(expandCmdEnv(line, h.env(s)), s)
}

// cmdBuiltin runs the small cmd.exe subset, with > and >> redirection.
func (h *Host) cmdBuiltin(line string, s Session) Program {
	line, target, appendTo := splitRedirect(line)
	name, rest := splitWord(line)
	var out func(w io.Writer) (int, string)
	switch strings.ToLower(name) {
	case "hostname":
		out = func(w io.Writer) (int, string) { fmt.Fprintf(w, "%s\r\n", h.Hostname()); return 0, "" }
	case "whoami":
		out = func(w io.Writer) (int, string) {
			fmt.Fprintf(w, "%s\\%s\r\n", strings.ToLower(h.Hostname()), strings.ToLower(bareUser(s.User)))
			return 0, ""
		}
	case "ver":
		out = func(w io.Writer) (int, string) {
			fmt.Fprintf(w, "\r\nMicrosoft Windows [Version 10.0]\r\n")
			return 0, ""
		}
	case "echo", "echo.":
		out = func(w io.Writer) (int, string) {
			switch {
			case strings.EqualFold(name, "echo."):
				io.WriteString(w, "\r\n")
			case rest == "":
				io.WriteString(w, "ECHO is on.\r\n")
			default:
				io.WriteString(w, rest+"\r\n")
			}
			return 0, ""
		}
	case "type":
		path := unquote(strings.TrimSpace(rest))
		out = func(w io.Writer) (int, string) {
			data, err := h.readFile(s, path)
			if err != nil {
				return 1, cmdError(err)
			}
			w.Write(data)
			return 0, ""
		}
	case "exit":
		code, err := parseExit(rest)
		if err != nil {
			return fail(err.Error())
		}
		return func(context.Context, *Proc) int { return code }
	default:
		if name == "" {
			return func(context.Context, *Proc) int { return 0 }
		}
		return fail(fmt.Sprintf("'%s' is not recognized as an internal or external command, operable program or batch file. (%s)", name, supported))
	}
	return func(_ context.Context, p *Proc) int {
		if target == "" {
			code, msg := out(p.Stdout)
			if msg != "" {
				fmt.Fprintf(p.Stderr, "%s\r\n", msg)
			}
			return code
		}
		var buf strings.Builder
		code, msg := out(&buf)
		if msg != "" {
			fmt.Fprintf(p.Stderr, "%s\r\n", msg)
			return code
		}
		path := unquote(target)
		var err error
		if appendTo {
			err = h.appendFile(s, path, []byte(buf.String()))
		} else {
			err = h.writeFile(s, path, []byte(buf.String()))
		}
		if err != nil {
			fmt.Fprintf(p.Stderr, "%s\r\n", cmdError(err))
			return 1
		}
		return code
	}
}

// withStdinFrom runs prog with the file at path as its stdin, as cmd.exe
// does for `command < file`: a file that cannot be read fails as in cmd
// (its message on stderr, exit 1) without running the command.
func (h *Host) withStdinFrom(prog Program, path string, s Session) Program {
	return func(ctx context.Context, p *Proc) int {
		data, err := h.readFile(s, path)
		if err != nil {
			fmt.Fprintf(p.Stderr, "%s\r\n", cmdError(err))
			return 1
		}
		return prog(ctx, &Proc{Stdin: bytes.NewReader(data), Stdout: p.Stdout, Stderr: p.Stderr})
	}
}

// splitInput finds a top-level "< file" (outside quotes) in a command
// line: the command without it, and the file as written.
func splitInput(line string) (cmd, source string, ok bool) {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			inQuote = !inQuote
		case '<':
			if inQuote {
				continue
			}
			source, rest := splitWord(line[i+1:])
			if source == "" {
				return line, "", false
			}
			cmd = strings.TrimRight(line[:i], " \t")
			if rest != "" {
				cmd += " " + rest
			}
			return cmd, source, true
		}
	}
	return line, "", false
}

// fail is a program that prints msg on stderr and exits 1.
func fail(msg string) Program {
	return func(_ context.Context, p *Proc) int {
		fmt.Fprintf(p.Stderr, "%s\r\n", msg)
		return 1
	}
}

func parseExit(rest string) (int, error) {
	rest = strings.TrimSpace(rest)
	if w, tail := splitWord(rest); strings.EqualFold(w, "/b") {
		rest = strings.TrimSpace(tail)
	}
	if rest == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rest, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("exit: %q is not a number (%s)", rest, supported)
	}
	return int(int32(n)), nil
}

// splitWord returns the first whitespace-separated word (quotes respected) and the rest.
func splitWord(s string) (string, string) {
	s = strings.TrimLeft(s, " \t")
	inQuote := false
	for i, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
		case (r == ' ' || r == '\t') && !inQuote:
			return s[:i], strings.TrimLeft(s[i+1:], " \t")
		}
	}
	return s, ""
}

// splitRedirect finds a top-level "> file" or ">> file" at the end of a
// command. cmd keeps the space before the operator in echo's output.
func splitRedirect(line string) (cmd, target string, appendTo bool) {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			inQuote = !inQuote
		case '>':
			if inQuote {
				continue
			}
			cmd, rest := line[:i], line[i+1:]
			if strings.HasPrefix(rest, ">") {
				rest, appendTo = rest[1:], true
			}
			return strings.TrimLeft(cmd, " "), strings.TrimSpace(rest), appendTo
		}
	}
	return line, "", false
}

// stripCmdQuotes strips one pair of quotes around a whole command, as cmd /c does.
func stripCmdQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func unquote(s string) string {
	return strings.Trim(strings.TrimSpace(s), `"`)
}

var cmdEnvRef = regexp.MustCompile(`%([A-Za-z_][A-Za-z0-9_()]*)%`)

// expandCmdEnv expands %VAR%; unknown variables stay as written, as with cmd /c.
func expandCmdEnv(s string, env map[string]string) string {
	return cmdEnvRef.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := env[strings.ToUpper(m[1:len(m)-1])]; ok {
			return v
		}
		return m
	})
}

var psEnvRef = regexp.MustCompile(`(?i)\$env:([A-Za-z_][A-Za-z0-9_]*)`)

// expandPSEnv expands $env:VAR inside a PowerShell double-quoted string.
func expandPSEnv(s string, env map[string]string) string {
	return psEnvRef.ReplaceAllStringFunc(s, func(m string) string {
		return env[strings.ToUpper(m[5:])]
	})
}
