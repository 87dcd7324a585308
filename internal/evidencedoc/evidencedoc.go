// Package evidencedoc reads docs/evidence.md, the table of what Windows
// Installer does under each fault, for the tests that hold the code to it.
// Code cites a row as "docs/evidence.md#E-temp-acl"; a row is an anchor
// `<a id="E-…"></a>` followed by its "### " heading, under a "## " section.
package evidencedoc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Path is the page, relative to the module root.
const Path = "docs/evidence.md"

// Sections of the page whose rows tests look for.
const (
	// SectionFaults holds the failures the built-in scenarios reproduce.
	SectionFaults = "Faults"
)

// Row is one row of the page.
type Row struct {
	ID      string // E-temp-acl
	Section string // the "## " heading above it, e.g. "Faults"
	Title   string // its "### " heading
	// Body is the row's text, up to the next row or heading.
	Body string
}

// Mentions reports whether the row names name as code (`name`).
func (r Row) Mentions(name string) bool { return strings.Contains(r.Body, "`"+name+"`") }

var (
	anchorRE = regexp.MustCompile(`^<a id="(E-[A-Za-z0-9-]+)"></a>$`)
	citeRE   = regexp.MustCompile(`evidence\.md#(E-[A-Za-z0-9-]+)`)
	localRE  = regexp.MustCompile(`\]\(#(E-[A-Za-z0-9-]+)\)`)
)

// Cited lists the row IDs that s cites as docs/evidence.md#E-… (or, in a
// link between the documents, evidence.md#E-…), in order and without
// repeats.
func Cited(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range citeRE.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// Root is the module root: the nearest directory above the working
// directory that holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("evidencedoc: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Load reads the module's docs/evidence.md.
func Load() (map[string]Row, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, Path))
	if err != nil {
		return nil, fmt.Errorf("evidencedoc: %w", err)
	}
	return Parse(string(b))
}

// Parse reads the rows of the page's text. An anchor must be followed by
// its "### " heading, which starts with the row's ID; IDs are unique; and
// every in-page link to a row (](#E-…)) must name one.
func Parse(text string) (map[string]Row, error) {
	rows := map[string]Row{}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	section := ""
	var cur *Row
	var body []string
	flush := func() {
		if cur != nil {
			cur.Body = strings.TrimSpace(strings.Join(body, "\n"))
			rows[cur.ID] = *cur
		}
		cur, body = nil, nil
	}
	fence := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		switch {
		case fence:
		case strings.HasPrefix(line, "## "):
			flush()
			section = strings.TrimSpace(strings.TrimPrefix(line, "## "))
			continue
		case strings.HasPrefix(line, "### ") || strings.HasPrefix(line, "# "):
			flush()
			continue
		case anchorRE.MatchString(line):
			flush()
			id := anchorRE.FindStringSubmatch(line)[1]
			if _, dup := rows[id]; dup {
				return nil, fmt.Errorf("evidencedoc: line %d: row %s defined twice", i+1, id)
			}
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "### "+id+":") {
				return nil, fmt.Errorf("evidencedoc: line %d: anchor %s is not followed by its heading \"### %s: …\"", i+1, id, id)
			}
			i++
			cur = &Row{ID: id, Section: section, Title: strings.TrimPrefix(lines[i], "### ")}
			continue
		}
		if cur != nil {
			body = append(body, line)
		}
	}
	flush()
	for _, m := range localRE.FindAllStringSubmatch(text, -1) {
		if _, ok := rows[m[1]]; !ok {
			return nil, fmt.Errorf("evidencedoc: a link points to #%s, which is no row", m[1])
		}
	}
	return rows, nil
}
