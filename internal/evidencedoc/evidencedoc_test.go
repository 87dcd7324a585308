package evidencedoc

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	page := "# Title\n\n## Faults\n\nSee [E-a](#E-a).\n\n<a id=\"E-a\"></a>\n### E-a: first\n\nFault `x`.\n\n```\n## not a section\n```\n\n" +
		"## Background\n\n<a id=\"E-b\"></a>\n### E-b: second\n\nText.\n"
	rows, err := Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	a, b := rows["E-a"], rows["E-b"]
	if len(rows) != 2 || a.Section != "Faults" || a.Title != "E-a: first" || !a.Mentions("x") || a.Mentions("y") ||
		!strings.Contains(a.Body, "## not a section") || b.Section != "Background" || b.Body != "Text." {
		t.Errorf("rows: %+v", rows)
	}
	for name, bad := range map[string]string{
		"duplicate":      "<a id=\"E-a\"></a>\n### E-a: one\n<a id=\"E-a\"></a>\n### E-a: two\n",
		"no heading":     "<a id=\"E-a\"></a>\n\nText.\n",
		"wrong heading":  "<a id=\"E-a\"></a>\n### E-b: other\n",
		"dangling link":  "<a id=\"E-a\"></a>\n### E-a: one\nSee [E-c](#E-c).\n",
		"anchor at last": "<a id=\"E-a\"></a>",
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCited(t *testing.T) {
	doc := "docs/evidence.md#"
	got := Cited("see " + doc + "E-a, " + doc + "E-b-2 and " + doc + "E-a again; [x](evidence" + ".md#E-c); #E-d is not a citation")
	if !slices.Equal(got, []string{"E-a", "E-b-2", "E-c"}) {
		t.Errorf("Cited = %v", got)
	}
}

// The page itself: it parses, its sections hold rows, and every row is
// reachable from a link on the page.
func TestPage(t *testing.T) {
	rows, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := Root()
	page, _ := os.ReadFile(filepath.Join(root, Path))
	faults := 0
	for id, r := range rows {
		if r.Section == SectionFaults {
			faults++
		}
		if !bytes.Contains(page, []byte("](#"+id+")")) {
			t.Errorf("row %s: no link to it on the page (the summary lists every row)", id)
		}
		if !labelRE.MatchString(r.Body) {
			t.Errorf("row %s: no D, R or G label", id)
		}
	}
	if faults < 14 {
		t.Errorf("%d rows under %q, want the 14 failures at least", faults, SectionFaults)
	}
}

// labelRE finds an evidence label: D, R or G standing alone.
var labelRE = regexp.MustCompile(`(^|[\s(/+])[DRG]([\s).,:;/]|$)`)

// Every docs/evidence.md#E-… in the repository (code comments, CLI
// strings, tests, scenario files, documents) names a row that exists.
func TestCitationsResolve(t *testing.T) {
	rows, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := Root()
	n := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > 1<<20 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !utf8.Valid(b) {
			return err
		}
		for _, id := range Cited(string(b)) {
			n++
			if _, ok := rows[id]; !ok {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s cites %s#%s, which is no row", rel, Path, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("no citation of %s found: the walk is broken", Path)
	}
}
