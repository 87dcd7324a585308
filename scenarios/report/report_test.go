package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/scenarios/results"
)

// parsedJUnit is what a JUnit consumer reads back.
type parsedJUnit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func runOf(specs ...cellSpec) Run {
	r := Run{ID: "r1", Logs: map[string]string{}}
	for i, s := range specs {
		r.Cells = append(r.Cells, fixtureCell(s, i))
	}
	return r
}

// runs are the table of the writer tests: counts by status, scenarios.
var runs = []struct {
	name                           string
	run                            Run
	tests, fail, infra, skip, pass int
	scenarios                      int
}{
	{"full matrix", fixtureRun(), 19, 4, 1, 1, 13, 6},
	{"empty run", Run{ID: "empty"}, 0, 0, 0, 0, 0, 0},
	{"one pass", runOf(fixtureSpecs[0]), 1, 0, 0, 0, 1, 1},
	{"one fail", runOf(fixtureSpecs[5]), 1, 1, 0, 0, 0, 1},
	{"infra and skip", runOf(fixtureSpecs[3], fixtureSpecs[8]), 2, 0, 1, 1, 0, 2},
	{"remediated", runOf(fixtureSpecs[1], fixtureSpecs[14], fixtureSpecs[16], fixtureSpecs[17]), 4, 2, 0, 0, 2, 3},
}

func TestCount(t *testing.T) {
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			n := Count(tc.run.Cells)
			want := Counts{Total: tc.tests, Pass: tc.pass, Fail: tc.fail, Infra: tc.infra, Skip: tc.skip}
			if n != want {
				t.Fatalf("Count = %+v, want %+v", n, want)
			}
		})
	}
}

func TestWriteJUnit(t *testing.T) {
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJUnit(&buf, tc.run); err != nil {
				t.Fatal(err)
			}
			var doc parsedJUnit
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("junit.xml does not parse: %v\n%s", err, buf.String())
			}
			if doc.Tests != tc.tests || doc.Failures != tc.fail || doc.Errors != tc.infra || doc.Skipped != tc.skip {
				t.Errorf("testsuites counts tests=%d failures=%d errors=%d skipped=%d, want %d %d %d %d",
					doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tc.tests, tc.fail, tc.infra, tc.skip)
			}
			if len(doc.Suites) != tc.scenarios {
				t.Errorf("%d testsuites, want one per scenario (%d)", len(doc.Suites), tc.scenarios)
			}
			byName := map[string]results.CellResult{}
			for _, c := range tc.run.Cells {
				byName["msilab."+c.Scenario+" "+c.OS+"/"+c.Context] = c
			}
			cases, fails, errs, skips := 0, 0, 0, 0
			for _, s := range doc.Suites {
				if len(s.Cases) != s.Tests {
					t.Errorf("suite %s: tests=%d but %d testcases", s.Name, s.Tests, len(s.Cases))
				}
				for _, k := range s.Cases {
					cases++
					c, ok := byName[k.Classname+" "+k.Name]
					if !ok || k.Classname != "msilab."+s.Name {
						t.Errorf("suite %s: unexpected testcase %s %s", s.Name, k.Classname, k.Name)
						continue
					}
					if want := seconds(c.Duration); k.Time != want {
						t.Errorf("%s: time %q, want %q", c.ID, k.Time, want)
					}
					switch c.Status {
					case results.StatusFail:
						fails++
						if k.Failure == nil || k.Failure.Message != c.Reason {
							t.Errorf("%s: failure %+v, want message %q", c.ID, k.Failure, c.Reason)
							continue
						}
						for _, ch := range c.Checks {
							if got := strings.Contains(k.Failure.Body, "FAIL "+ch.Name+":"); got == ch.OK {
								t.Errorf("%s: failure body lists check %s: %v, want %v:\n%s", c.ID, ch.Name, got, !ch.OK, k.Failure.Body)
							}
						}
					case results.StatusInfra:
						errs++
						if k.Error == nil || k.Error.Message != c.Reason || k.Failure != nil {
							t.Errorf("%s: want an <error> with the reason", c.ID)
						}
					case results.StatusSkip:
						skips++
						if k.Skipped == nil || k.Skipped.Message != c.Reason {
							t.Errorf("%s: want a <skipped> with the reason", c.ID)
						}
					default:
						if k.Failure != nil || k.Error != nil || k.Skipped != nil {
							t.Errorf("%s: a pass has a failure, error or skipped element", c.ID)
						}
					}
					if !strings.Contains(k.SystemOut, "cell: "+c.ID) {
						t.Errorf("%s: system-out lacks the cell id:\n%s", c.ID, k.SystemOut)
					}
					for _, want := range remedyWants(&c) {
						if !strings.Contains(k.SystemOut, want) {
							t.Errorf("%s: system-out lacks %q:\n%s", c.ID, want, k.SystemOut)
						}
					}
					if c.Remediation == nil && strings.Contains(k.SystemOut, "remediation") {
						t.Errorf("%s: system-out has a remediation the cell has not:\n%s", c.ID, k.SystemOut)
					}
					if c.Status == results.StatusFail && c.Remediation != nil && k.Failure != nil {
						for _, b := range c.Remediation.OverBroad {
							if !strings.Contains(k.Failure.Body, "over-broad: "+b) {
								t.Errorf("%s: failure body lacks the over-broad right %q:\n%s", c.ID, b, k.Failure.Body)
							}
						}
					}
				}
			}
			if cases != tc.tests || fails != tc.fail || errs != tc.infra || skips != tc.skip {
				t.Errorf("testcases: %d (%d failures, %d errors, %d skipped), want %d (%d, %d, %d)",
					cases, fails, errs, skips, tc.tests, tc.fail, tc.infra, tc.skip)
			}
		})
	}
}

// remedyWants are what a remediated cell's <system-out> must say: the
// outcome, each finding, each fix in order, the rerun, over-broad rights.
func remedyWants(c *results.CellResult) []string {
	r := c.Remediation
	if r == nil {
		return nil
	}
	words := map[bool]string{true: "remediation: recovered\n", false: "remediation: not recovered"}[r.Recovered]
	if r.NotApplicable != "" {
		words = "remediation: no host fix applies\n  not applicable: " + r.NotApplicable + "\n"
	}
	wants := []string{words}
	for _, f := range r.Findings {
		wants = append(wants, "    "+f.ID+" (confidence ")
	}
	for i, f := range r.Fixes {
		wants = append(wants, "    "+strconv.Itoa(i+1)+". "+f.Name+" ("+f.Risk+" risk")
	}
	if r.Rerun != nil {
		wants = append(wants, "  rerun: exit code "+strconv.Itoa(r.Rerun.ExitCode))
	}
	for _, b := range r.OverBroad {
		wants = append(wants, "  over-broad: "+b+"\n")
	}
	return wants
}

// TestJUnitRemediation: the remediation summary of a recovered cell, as a
// CI log shows it.
func TestJUnitRemediation(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, runOf(fixtureSpecs[1])); err != nil {
		t.Fatal(err)
	}
	var doc parsedJUnit
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	out := doc.Suites[0].Cases[0].SystemOut
	want := `remediation: recovered
  findings:
    installer-acl (confidence 90%): SYSTEM cannot write C:\Windows\Installer's in-progress marker
      evidence: C:\Windows\Installer: (D;;0x116;;;SY) denies SYSTEM write
      evidence: log: DEBUG: Error 2503: Called RunScript when not marked in progress
      evidence: event 11708: Product: msilab permachine -- Installation failed.
      reproduced by: temp-acl-2503
    silent-per-machine-not-elevated (confidence 60%): a silent per-machine install run without elevation
      evidence: install context standard-user
      evidence: log: Error 1925. You do not have sufficient privileges
      reproduced by: uac-silent-1625
  fixes, in order:
    1. restore-installer-acl (low risk, for installer-acl): verified
    2. run-elevated (medium risk, for silent-per-machine-not-elevated): verified
       run as: admin-elevated
       note: rerun as labadmin, elevated: a per-machine package installs for all users as before; a per-user package installs into labadmin's profile, not labuser's
  rerun: exit code 0 as admin-elevated, events 11707
  state, before the fault → after the fixes:
    - msi.product {"product_code":"{6F1E5B0C-3C9A-4D2E-9B61-0A1B2C3D4E5F}"} = {"installed":false}
    + msi.product {"product_code":"{6F1E5B0C-3C9A-4D2E-9B61-0A1B2C3D4E5F}"} = {"installed":true,"version":"1.0.0"}
  winrm commands: 9
`
	if !strings.Contains(out, want) {
		t.Errorf("system-out lacks the remediation summary\nwant:\n%s\ngot:\n%s", want, out)
	}
	if strings.Contains(out, "Invoke-MsiLabBatch") {
		t.Error("system-out holds a fix's PowerShell (the HTML report and the evidence bundle have it)")
	}
}

// TestWriteJUnitControlCharacters: a reason with characters XML 1.0 cannot
// hold still gives a document that parses.
func TestWriteJUnitControlCharacters(t *testing.T) {
	r := runOf(fixtureSpecs[5])
	r.Cells[0].Reason = "bad \x00\x1b[31m bytes \uFFFE and <tags> & \"quotes\"\nsecond line"
	r.Cells[0].Checks[0].Got = "\x07bell"
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc parsedJUnit
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, buf.String())
	}
	msg := doc.Suites[0].Cases[0].Failure.Message
	if !strings.Contains(msg, `<tags> & "quotes" second line`) {
		t.Errorf("failure message %q lost its text", msg)
	}
}

func TestWriteMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, fixtureRun()); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"# msilab run 20250314-093000-ab12\n",
		"**19 cells**: 13 pass · 4 fail · 1 infra-error · 1 skipped\n\n**10 remediated**: 6 recovered · 2 fix n/a · 2 not recovered\n",
		"| Scenario | server2022 | win10-22h2 | win11-23h2 |\n|---|---|---|---|\n",
		"| control-install | system: ✅ 0 | system: ✅ 0 | system: ✅ 0 |\n",
		"| custom-action-1603 |  | ✅ 1603 (fix n/a) | ✅ 1603 (fix n/a) |\n",
		"| disable-msi-policy | – skip | ✅ 1625 | ✅ 1625 |\n",
		"| msiserver-disabled |  | ❌ 1601 (log) | ✅ 1601→0 |\n",
		"| temp-acl-1603 | ❌ 1603→0 (over-broad) | ❌ 1603→1603 (not fixed) | ✅ 1603→0 |\n",
		"| temp-acl-2503 | admin-elevated: ✅ 1603→0<br>standard-user: ❌ 0≠1603 | admin-elevated: ✅ 1603→0<br>standard-user: ✅ 1603→0 | admin-elevated: ✅ 1603→0<br>standard-user: ⚠ infra |\n",
		"## Cells that did not pass (6)\n",
		"### ❌ temp-acl-2503/server2022/standard-user: fail\n",
		"- `exit_code`: want `1603`, got `0`\n",
		"- `messages`: want `2503, 2502`, got `(none)`\n",
		"- expectation overridden: a standard user cannot write the marker either\n",
		"### ⚠ temp-acl-2503/win11-23h2/standard-user: infra-error\n\nWinRM connection reset by peer after 3 attempts\n",
		"### – disable-msi-policy/server2022/admin-elevated: skipped\n",
		"### ❌ msiserver-disabled/win10-22h2/admin-elevated: fail\n",
		// A remediated cell that failed: the reason once, the remediation's details.
		"### ❌ temp-acl-1603/server2022/admin-elevated: fail\n\n" +
			"the fixes left rights broader than the OS profile's defaults: C:\\\\Windows\\\\Temp: Everyone gains write on files and folders\n\n" +
			"- remediation: not recovered (over-broad rights)\n" +
			"  - findings: `temp-acl-system-read-only` (85%)\n" +
			"  - fixes, in order: `restore-temp-acl` (low risk, verified)\n" +
			"  - rerun: exit code 0\n" +
			"  - **over-broad**: `C:\\Windows\\Temp: Everyone gains write on files and folders`\n",
		"### ❌ temp-acl-1603/win10-22h2/admin-elevated: fail\n\nthe install rerun after the fixes failed: exit code 1603, expected 0\n\n" +
			"- remediation: not recovered\n" +
			"  - findings: `temp-acl-system-read-only` (85%), `user-temp-unwritable` (45%)\n" +
			"  - fixes, in order: `restore-temp-acl` (low risk, not verified, rolled back), `restore-user-temp-acl` (low risk, verified)\n" +
			"  - rerun: exit code 1603\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
	if strings.Contains(md, "exit_code`: want `1601") {
		t.Error("summary.md lists a check that passed")
	}
	if strings.Contains(md, "custom-action-1603/") {
		t.Error("summary.md lists a cell that passed (no host fix applies: not a failure)")
	}
	if t.Failed() {
		t.Log(md)
	}
}

// TestMatrixText covers the Markdown matrix's cell texts.
func TestMatrixText(t *testing.T) {
	noChecks := fixtureCell(cellSpec{"s", "o", "admin-elevated", results.StatusFail, 1603, 0, nil, "fault could not be injected", ""}, 0)
	noChecks.Checks = nil
	baseline := fixtureCell(cellSpec{"s", "o", "admin-elevated", results.StatusFail, 1603, 1603, nil, "not back to baseline", ""}, 0)
	noRerun := fixtureCell(fixtureSpecs[17], 0)
	noRerun.Remediation.Rerun = nil
	mismatch := fixtureCell(fixtureSpecs[5], 0)
	mismatch.Remediation = fixtureCell(fixtureSpecs[16], 0).Remediation
	for _, tc := range []struct {
		name string
		c    results.CellResult
		want string
	}{
		{"pass", fixtureCell(fixtureSpecs[6], 0), "✅ 1625"},
		{"exit code differs", fixtureCell(fixtureSpecs[5], 0), "❌ 0≠1603"},
		{"log differs", fixtureCell(fixtureSpecs[9], 0), "❌ 1601 (log)"},
		{"failed before the install", noChecks, "❌ not checked"},
		{"checks pass, cell fails", baseline, "❌ 1603"},
		{"infra", fixtureCell(fixtureSpecs[3], 0), "⚠ infra"},
		{"skip", fixtureCell(fixtureSpecs[8], 0), "– skip"},
		{"recovered", fixtureCell(fixtureSpecs[0], 0), "✅ 1603→0"},
		{"recovered, run elevated", fixtureCell(fixtureSpecs[1], 0), "✅ 1603→0"},
		{"no host fix applies", fixtureCell(fixtureSpecs[14], 0), "✅ 1603 (fix n/a)"},
		{"over-broad", fixtureCell(fixtureSpecs[16], 0), "❌ 1603→0 (over-broad)"},
		{"rerun failed", fixtureCell(fixtureSpecs[17], 0), "❌ 1603→1603 (not fixed)"},
		{"a fix failed, no rerun", noRerun, "❌ 1603 (not fixed)"},
		{"exit code differs, remediated anyway", mismatch, "❌ 0≠1603"},
	} {
		if got := matrixText(&tc.c); got != tc.want {
			t.Errorf("%s: matrixText = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"<script>", "&lt;script&gt;"},
		{"two\nlines", "two lines"},
	} {
		if got := mdText(tc.in); got != tc.want {
			t.Errorf("mdText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"plain", "`plain`"},
		{"a `tick`", "`` a `tick` ``"},
		{"", "(empty)"},
	} {
		if got := mdCode(tc.in); got != tc.want {
			t.Errorf("mdCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

var dataCell = regexp.MustCompile(`data-cell="([^"]*)"`)

func TestWriteHTML(t *testing.T) {
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteHTML(&buf, tc.run); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			checkHTML(t, page, tc.run)
		})
	}
}

// checkHTML checks a page: one box per cell in #matrix, the counts, nothing
// loaded from outside, and the embedded data decoding to the run's cells
// and logs.
func checkHTML(t *testing.T, page string, r Run) {
	t.Helper()
	if !strings.Contains(page, `id="matrix"`) {
		t.Error(`no element with id="matrix"`)
	}
	var ids []string
	for _, m := range dataCell.FindAllStringSubmatch(page, -1) {
		ids = append(ids, html.UnescapeString(m[1]))
	}
	for _, c := range r.Cells {
		if !slices.Contains(ids, c.ID) {
			t.Errorf("no data-cell=%q", c.ID)
		}
	}
	if len(ids) != len(r.Cells) {
		t.Errorf("%d data-cell boxes, want %d", len(ids), len(r.Cells))
	}
	n := Count(r.Cells)
	for kind, v := range map[string]int{"total": n.Total, "pass": n.Pass, "fail": n.Fail, "infra-error": n.Infra, "skipped": n.Skip} {
		if want := `data-count="` + kind + `"><b>` + strconv.Itoa(v) + `</b>`; !strings.Contains(page, want) {
			t.Errorf("page lacks the count %s", want)
		}
	}
	checkSelfContained(t, page)

	m := regexp.MustCompile(`(?s)<script type="application/json" id="msilab-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no <script type=\"application/json\" id=\"msilab-data\"> element")
	}
	var data struct {
		Cells []struct {
			ID          string               `json:"id"`
			Status      string               `json:"status"`
			Log         string               `json:"log"`
			Remediation *results.Remediation `json:"remediation"`
		} `json:"cells"`
	}
	if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
		t.Fatalf("embedded data does not decode: %v", err)
	}
	if len(data.Cells) != len(r.Cells) {
		t.Fatalf("embedded data has %d cells, want %d", len(data.Cells), len(r.Cells))
	}
	for _, d := range data.Cells {
		i := slices.IndexFunc(r.Cells, func(c results.CellResult) bool { return c.ID == d.ID })
		if i < 0 {
			t.Errorf("embedded data has an unknown cell %q", d.ID)
			continue
		}
		if want := cellLog(&r, &r.Cells[i]); d.Log != want {
			t.Errorf("%s: embedded log differs from the cell's (%d bytes, want %d)", d.ID, len(d.Log), len(want))
		}
		if want := r.Cells[i].Remediation; (d.Remediation == nil) != (want == nil) {
			t.Errorf("%s: embedded remediation %v, want %v", d.ID, d.Remediation != nil, want != nil)
		} else if want != nil {
			got := d.Remediation
			if len(got.Fixes) != len(want.Fixes) || len(got.Findings) != len(want.Findings) || got.Recovered != want.Recovered ||
				got.Reason != want.Reason || !slices.Equal(got.StateAfter, want.StateAfter) || !slices.Equal(got.OverBroad, want.OverBroad) {
				t.Errorf("%s: embedded remediation differs from the cell's", d.ID)
				continue
			}
			for j := range want.Fixes {
				if got.Fixes[j].PowerShell != want.Fixes[j].PowerShell {
					t.Errorf("%s: fix %s: embedded PowerShell differs", d.ID, want.Fixes[j].Name)
				}
			}
		}
	}
}

// box matches a box of the grid: its cell, its code and its remediation mark.
var box = regexp.MustCompile(`<button type="button" class="box (\w+)" data-cell="([^"]*)"[^>]*><span class="code">([^<]*)</span><span class="ctx">[^<]*</span>(?:<span class="mark ([\w-]+)">([^<]*)</span>)?</button>`)

// TestHTMLRemediation: a remediated cell's box shows the rerun's exit code
// and the outcome, the header counts the outcomes, the legend explains
// the marks.
func TestHTMLRemediation(t *testing.T) {
	r := fixtureRun()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	type want struct{ class, code, mark, markClass string }
	wants := map[string]want{
		"temp-acl-2503/win10-22h2/admin-elevated":      {"pass", "1603→0", "fixed", "rem-recovered"},
		"temp-acl-2503/win10-22h2/standard-user":       {"pass", "1603→0", "fixed", "rem-recovered"},
		"custom-action-1603/win10-22h2/admin-elevated": {"pass", "1603", "fix n/a", "rem-not-applicable"},
		"temp-acl-1603/server2022/admin-elevated":      {"fail", "1603→0", "over-broad", "rem-over-broad"},
		"temp-acl-1603/win10-22h2/admin-elevated":      {"fail", "1603→1603", "not fixed", "rem-not-recovered"},
		"temp-acl-2503/server2022/standard-user":       {"fail", "0≠1603", "", ""}, // not reproduced: no remediation
		"control-install/win10-22h2/system":            {"pass", "0", "", ""},
	}
	seen := 0
	for _, m := range box.FindAllStringSubmatch(page, -1) {
		seen++
		id := html.UnescapeString(m[2])
		w, ok := wants[id]
		if !ok {
			continue
		}
		if got := (want{m[1], html.UnescapeString(m[3]), m[5], m[4]}); got != w {
			t.Errorf("%s: box %+v, want %+v", id, got, w)
		}
		delete(wants, id)
	}
	if seen != len(r.Cells) {
		t.Errorf("%d boxes matched, want %d", seen, len(r.Cells))
	}
	for id := range wants {
		t.Errorf("no box for %s", id)
	}
	for _, want := range []string{
		`data-count="remediated"`, `data-count="recovered"><b>6</b> recovered`,
		`data-count="not-applicable"><b>2</b> fix n/a`, `data-count="not-recovered"><b>2</b> not recovered`,
		`<p class="legend rem-legend">`,
		`title="temp-acl-1603/server2022/admin-elevated: fail, exit code 1603 (expected 1603) — the fixes left rights broader than the OS profile&#39;s defaults: C:\Windows\Temp: Everyone gains write on files and folders; remediation: not recovered (over-broad rights), rerun exit code 0, fixes: restore-temp-acl"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	// Without a remediation, no count, no legend, no mark.
	buf.Reset()
	if err := WriteHTML(&buf, runOf(fixtureSpecs[6], fixtureSpecs[5])); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`data-count="remediated"`, `class="legend rem-legend"`, `class="mark`} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("a run without remediation has %q", bad)
		}
	}
}

// external matches a reference the browser would load from another origin:
// src, href of <link>, srcset, poster, CSS url() or @import with a scheme
// or protocol-relative address.
var external = []*regexp.Regexp{
	regexp.MustCompile(`(?i)<(script|img|iframe|frame|embed|source|video|audio|track|input)\b[^>]*\s(src|srcset|poster|data)\s*=\s*["']?\s*(https?:|//|ftp:)`),
	regexp.MustCompile(`(?i)<link\b[^>]*\shref\s*=\s*["']?\s*(https?:|//)`),
	regexp.MustCompile(`(?i)<object\b[^>]*\sdata\s*=\s*["']?\s*(https?:|//)`),
	regexp.MustCompile(`(?i)url\(\s*["']?\s*(https?:|//)`),
	regexp.MustCompile(`(?i)@import`),
	regexp.MustCompile(`(?i)<script\b[^>]*\ssrc\s*=`),
	regexp.MustCompile(`(?i)<link\b[^>]*rel\s*=\s*["']?(stylesheet|preload|prefetch|preconnect|dns-prefetch|icon)`),
}

func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, re := range external {
		if m := re.FindString(page); m != "" {
			t.Errorf("the page loads something from outside: %q", m)
		}
	}
}

// TestHTMLEscapesData: a log quoting "</script>" and HTML cannot end the
// data element or inject markup; it comes back intact from the JSON.
func TestHTMLEscapesData(t *testing.T) {
	r := runOf(fixtureSpecs[0])
	evil := "line one\r\n</script><script>alert('x')</script><!-- \u2028 & <b>bold</b> é\r\n"
	r.Cells[0].Reason = `"><img src=x onerror=alert(1)>`
	r.Cells[0].ID = `temp-acl-2503/win10-22h2/admin-elevated"><b>x`
	r.Logs[r.Cells[0].ID] = evil
	rem := r.Cells[0].Remediation
	rem.Fixes[0].PowerShell = "Write-Host '</script><script>alert(2)</script>' <!-- & -->\n"
	rem.Fixes[0].Note = `<img src=y onerror=alert(3)>`
	rem.Findings[0].Evidence = []string{"</SCRIPT ><b>evidence</b>"}
	rem.OverBroad = []string{"<i>Everyone</i> gains write"}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(strings.ToLower(page), "</script"); n != 2 {
		t.Errorf("page has %d </script end tags, want 2 (the data and the script)", n)
	}
	if strings.Contains(page, "<img src=") || strings.Contains(page, `"><b>x`) || strings.Contains(page, "<i>Everyone") {
		t.Error("cell text reached the page as markup")
	}
	checkHTML(t, page, r)
}

func TestTrimLog(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n"
	long := strings.Repeat(line, 3*MaxLogBytes/len(line))
	got, note := trimLog(long)
	if note == "" || len(got) > MaxLogBytes+200 || !strings.HasPrefix(got, line) || !strings.HasSuffix(got, line) {
		t.Errorf("trimLog of %d bytes: %d bytes, note %q", len(long), len(got), note)
	}
	if got, note := trimLog("short\r\n"); got != "short\r\n" || note != "" {
		t.Errorf("trimLog changed a short log: %q %q", got, note)
	}
}

func TestDuplicateCell(t *testing.T) {
	r := runOf(fixtureSpecs[0], fixtureSpecs[0])
	for name, write := range map[string]func(*bytes.Buffer, Run) error{
		"html":     func(b *bytes.Buffer, r Run) error { return WriteHTML(b, r) },
		"junit":    func(b *bytes.Buffer, r Run) error { return WriteJUnit(b, r) },
		"markdown": func(b *bytes.Buffer, r Run) error { return WriteMarkdown(b, r) },
	} {
		if err := write(new(bytes.Buffer), r); !errors.Is(err, ErrDuplicateCell) {
			t.Errorf("%s: err = %v, want ErrDuplicateCell", name, err)
		}
	}
}

// TestDeterministic: the same cells in another order give the same files.
func TestDeterministic(t *testing.T) {
	a, b := fixtureRun(), fixtureRun()
	slices.Reverse(b.Cells)
	for name, write := range map[string]func(*bytes.Buffer, Run) error{
		"html":     func(w *bytes.Buffer, r Run) error { return WriteHTML(w, r) },
		"junit":    func(w *bytes.Buffer, r Run) error { return WriteJUnit(w, r) },
		"markdown": func(w *bytes.Buffer, r Run) error { return WriteMarkdown(w, r) },
	} {
		var x, y bytes.Buffer
		if err := write(&x, a); err != nil {
			t.Fatal(err)
		}
		if err := write(&y, b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s differs with the cells in another order", name)
		}
	}
}

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteAll(dir, fixtureRun()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileHTML, FileJUnit, FileMarkdown} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v (size %v)", f, err, st)
		}
	}
}

// TestPackageFailureNotRecovered: a package failure no host fix addresses
// (a deferred custom action fails, 1603) passes and reads "no host fix
// applies" in every report, never recovered, even when its record says
// recovered (as runners before the fix wrote it); a recovered cell still
// reads recovered, and the counts say so.
func TestPackageFailureNotRecovered(t *testing.T) {
	legacy := fixtureCell(fixtureSpecs[14], 14)
	legacy.ID, legacy.OS = "custom-action-1603/win11-23h2/admin-elevated", "win11-23h2"
	legacy.Remediation.Recovered = true
	r := Run{ID: "r1", Cells: []results.CellResult{fixtureCell(fixtureSpecs[14], 14), legacy, fixtureCell(fixtureSpecs[0], 0)}}
	fixed := fixtureSpecs[0].scenario + "/" + fixtureSpecs[0].os + "/" + fixtureSpecs[0].context
	if rn := CountRemediation(r.Cells); rn != (RemedyCounts{Total: 3, Recovered: 1, NotApplicable: 2}) {
		t.Errorf("CountRemediation = %+v, want 1 recovered, 2 fix n/a", rn)
	}

	t.Run("junit", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, r); err != nil {
			t.Fatal(err)
		}
		var doc parsedJUnit
		if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Tests != 3 || doc.Failures != 0 || doc.Errors != 0 || doc.Skipped != 0 {
			t.Errorf("tests=%d failures=%d errors=%d skipped=%d, want 3 passes", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
		}
		seen := 0
		for _, s := range doc.Suites {
			for _, k := range s.Cases {
				seen++
				if k.Failure != nil || k.Error != nil || k.Skipped != nil {
					t.Errorf("%s %s: not a pass", k.Classname, k.Name)
				}
				if s.Name == fixtureSpecs[0].scenario {
					if !strings.Contains(k.SystemOut, "remediation: recovered\n") {
						t.Errorf("%s: a recovered cell's system-out:\n%s", k.Name, k.SystemOut)
					}
					continue
				}
				if !strings.Contains(k.SystemOut, "remediation: no host fix applies\n  not applicable: custom action WriteConfig fails") ||
					strings.Contains(k.SystemOut, "remediation: recovered") || strings.Contains(k.SystemOut, "rerun:") {
					t.Errorf("%s: a package failure's system-out:\n%s", k.Name, k.SystemOut)
				}
			}
		}
		if seen != 3 {
			t.Errorf("%d testcases, want 3", seen)
		}
	})

	t.Run("markdown", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteMarkdown(&buf, r); err != nil {
			t.Fatal(err)
		}
		md := buf.String()
		for _, want := range []string{
			"**3 cells**: 3 pass · 0 fail · 0 infra-error · 0 skipped\n\n**3 remediated**: 1 recovered · 2 fix n/a · 0 not recovered\n",
			"| custom-action-1603 | ✅ 1603 (fix n/a) | ✅ 1603 (fix n/a) |\n",
			"| temp-acl-2503 | ✅ 1603→0 |  |\n",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("summary.md lacks %q:\n%s", want, md)
			}
		}
		if strings.Contains(md, "did not pass") {
			t.Errorf("summary.md lists a cell that did not pass:\n%s", md)
		}
	})

	t.Run("html", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		for _, want := range []string{
			`data-count="pass"><b>3</b>`, `data-count="fail"><b>0</b>`,
			`data-count="remediated"`, `data-count="recovered"><b>1</b> recovered`,
			`data-count="not-applicable"><b>2</b> fix n/a`, `data-count="not-recovered"><b>0</b> not recovered`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		boxes := 0
		for _, m := range box.FindAllStringSubmatch(page, -1) {
			boxes++
			id := html.UnescapeString(m[2])
			got := [4]string{m[1], html.UnescapeString(m[3]), m[5], m[4]}
			want := [4]string{"pass", "1603", "fix n/a", "rem-not-applicable"}
			if id == fixed {
				want = [4]string{"pass", "1603→0", "fixed", "rem-recovered"}
			}
			if got != want {
				t.Errorf("%s: box %q, want %q", id, got, want)
			}
		}
		if boxes != 3 {
			t.Errorf("%d boxes, want 3", boxes)
		}
		// The script reads each remediation's outcome from the data.
		m := regexp.MustCompile(`(?s)<script type="application/json" id="msilab-data">(.*?)</script>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no data element")
		}
		var data struct {
			Cells []struct {
				ID          string `json:"id"`
				Remediation struct {
					Outcome string `json:"outcome"`
				} `json:"remediation"`
			} `json:"cells"`
		}
		if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
			t.Fatal(err)
		}
		for _, c := range data.Cells {
			want := results.OutcomeNotApplicable
			if c.ID == fixed {
				want = results.OutcomeRecovered
			}
			if c.Remediation.Outcome != want {
				t.Errorf("%s: embedded outcome %q, want %q", c.ID, c.Remediation.Outcome, want)
			}
		}
	})
}

// A cell whose install needs a restart says so in every report; one that
// does not, never.
func TestRebootRequiredInReports(t *testing.T) {
	c := fixtureCell(fixtureSpecs[6], 0)
	c.Expected.ExitCode, c.Observed.ExitCode = 3010, 3010
	for _, reboot := range []bool{true, false} {
		c.Observed.RebootRequired = reboot
		r := Run{ID: "r1", Logs: map[string]string{}, Cells: []results.CellResult{c}}
		var junit, md, page bytes.Buffer
		if err := WriteJUnit(&junit, r); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&md, r); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&page, r); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"junit": junit.String(), "markdown": md.String(), "html": page.String()} {
			if got := strings.Contains(out, "reboot required"); got != reboot {
				t.Errorf("reboot required %v: %s says it %v", reboot, name, got)
			}
		}
	}
}

// quarantineRun is a run whose host sim-win11-23h2 was quarantined after a
// cell's first attempt: that cell's retry and a later cell were refused
// it (infra-errors naming the quarantine); a cell that passed on it
// before, and a failure on another host, do not rest on it. sim-spare was
// quarantined with no cell left on it.
func quarantineRun() (Run, string) {
	why := `host sim-win11-23h2 quarantined: runner: host not reconciled: disable-msi {"scope":"machine"} is present: DisableMSI = 1 <&>`
	first := fixtureCell(fixtureSpecs[3], 0) // its attempt left the host; its retry was refused
	first.Reason = why
	first.Attempts = 2
	first.TransportErrors = []string{"attempt 1: lab: connection reset by peer"}
	first.Reconciled = []string{"attempt 1: " + why}
	before := fixtureCell(fixtureSpecs[7], 1) // passed on the host before
	later := fixtureCell(fixtureSpecs[10], 2) // refused the host
	later.Status, later.Reason = results.StatusInfra, why
	other := fixtureCell(fixtureSpecs[9], 3) // a failure on another host
	r := Run{ID: "rq", Cells: []results.CellResult{first, before, later, other},
		Quarantined: map[string]string{"sim-win11-23h2": why, "sim-spare": "host sim-spare quarantined: snapshot revert: hypervisor unreachable"}}
	return r, why
}

// TestJUnitQuarantine: the cells whose result rests on a quarantined host
// are <error type="quarantined"> with the quarantine as the message, their
// <system-out> names the host and why, and every suite's properties name
// the quarantined hosts. The same run without its quarantines has none of
// it.
func TestJUnitQuarantine(t *testing.T) {
	type parsed struct {
		Suites []struct {
			Name       string `xml:"name,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Body    string `xml:",chardata"`
				} `xml:"error"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	check := func(r Run, why string) []string {
		var problems []string
		errorf := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, r); err != nil {
			t.Fatal(err)
		}
		var doc parsed
		if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("junit.xml does not parse: %v\n%s", err, buf.String())
		}
		affected := map[string]bool{
			"msilab.temp-acl-2503 win11-23h2/standard-user":       true,
			"msilab.msiserver-disabled win11-23h2/admin-elevated": true,
		}
		seen := 0
		for _, s := range doc.Suites {
			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			if props["quarantined_hosts"] != "sim-spare, sim-win11-23h2" || props["quarantined.sim-win11-23h2"] != why ||
				!strings.Contains(props["quarantined.sim-spare"], "hypervisor unreachable") {
				errorf("suite %s: properties %v: want the quarantined hosts and why", s.Name, props)
			}
			for _, k := range s.Cases {
				key := k.Classname + " " + k.Name
				q := k.Error != nil && k.Error.Type == "quarantined"
				if q != affected[key] {
					errorf("%s: a quarantine error %v, want %v (%+v)", key, q, affected[key], k.Error)
				}
				if !affected[key] {
					if strings.Contains(k.SystemOut, "quarantined host:") {
						errorf("%s: system-out names a quarantine the cell does not rest on:\n%s", key, k.SystemOut)
					}
					continue
				}
				seen++
				if q && (k.Error.Message != why || !strings.Contains(k.Error.Body, "host: sim-win11-23h2")) {
					errorf("%s: error %q / %q: want the quarantine as the message, the host in the body", key, k.Error.Message, k.Error.Body)
				}
				if !strings.Contains(k.SystemOut, "quarantined host: sim-win11-23h2: "+why) {
					errorf("%s: system-out does not name the quarantined host:\n%s", key, k.SystemOut)
				}
			}
		}
		if seen != len(affected) {
			errorf("%d affected testcases, want %d", seen, len(affected))
		}
		return problems
	}
	r, why := quarantineRun()
	for _, p := range check(r, why) {
		t.Error(p)
	}
	// The first cell lists its transport error and reconciliation.
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"transport error: attempt 1: lab: connection reset by peer", "reconciled: attempt 1: host sim-win11-23h2 quarantined"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("junit.xml lacks %q", want)
		}
	}
	r.Quarantined = nil
	if len(check(r, why)) == 0 {
		t.Error("the check accepts a run whose quarantines are not reported")
	}
}

// TestHTMLQuarantine: the page has a visible section naming each
// quarantined host and why (escaped), linking the cells that rest on it;
// a run without quarantines has no such section.
func TestHTMLQuarantine(t *testing.T) {
	r, why := quarantineRun()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	checkHTML(t, page, r)
	sec := regexp.MustCompile(`(?s)<section id="quarantined"[^>]*>(.*?)</section>`).FindStringSubmatch(page)
	if sec == nil {
		t.Fatalf("no #quarantined section:\n%s", page)
	}
	if strings.Contains(sec[0], "hidden") {
		t.Error("the quarantine section is hidden")
	}
	body := sec[1]
	if !strings.Contains(body, "2 host(s) quarantined") {
		t.Errorf("section %s: want its count", body)
	}
	items := regexp.MustCompile(`(?s)<li data-host="([^"]*)">(.*?)</li>`).FindAllStringSubmatch(body, -1)
	if len(items) != 2 || items[0][1] != "sim-spare" || items[1][1] != "sim-win11-23h2" {
		t.Fatalf("section items %q: want sim-spare then sim-win11-23h2", items)
	}
	item := items[1][2]
	if !strings.Contains(html.UnescapeString(item), why) || strings.Contains(item, "<&>") {
		t.Errorf("item %s: want the reason %q, escaped", item, why)
	}
	for _, id := range []string{"temp-acl-2503/win11-23h2/standard-user", "msiserver-disabled/win11-23h2/admin-elevated"} {
		// The link is the address the script reads (#cell=, URI-encoded).
		if !strings.Contains(item, `href="#cell=`+strings.ReplaceAll(id, "/", "%2f")+`"`) {
			t.Errorf("item %s: no link to %s", item, id)
		}
	}
	if strings.Contains(item, "disable-msi-policy/win11-23h2") || strings.Contains(items[0][2], "#cell=") {
		t.Errorf("items %q link cells that do not rest on the quarantine", items)
	}
	r.Quarantined = nil
	buf.Reset()
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `id="quarantined"`) {
		t.Error("a run without quarantines has a #quarantined section")
	}
}
