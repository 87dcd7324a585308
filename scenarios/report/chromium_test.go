package report

import (
	"bytes"
	"context"
	"errors"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testtool"
)

// chromiumInstall is how CI gets the browser (.ci/run installs it).
const chromiumInstall = "apt-get install chromium"

// chromium returns the browser's path. Without it the test skips, except
// in CI, where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	return testtool.Need(t, "chromium", chromiumInstall)
}

// runChromium runs headless Chromium with a fresh profile, no network
// services and a 60 s limit, and returns its stdout.
func runChromium(t *testing.T, browser string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium %v: timed out after 60 s\n%s", args, stderr.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("chromium %v: %v", args, err)
	}
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func fileURL(path, cell string) string {
	u := (&url.URL{Scheme: "file", Path: path}).String()
	if cell != "" {
		u += "#cell=" + strings.ReplaceAll(url.QueryEscape(cell), "+", "%20")
	}
	return u
}

// TestHTMLInChromium renders report.html in headless Chromium: the DOM
// after the script ran has a box for every cell and the counts, a cell
// named in the address opens its evidence panel, and the screenshots of
// the grid and of the panel are real images (their paths are logged; run
// with -artifacts to keep them).
func TestHTMLInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.ArtifactDir()
	r := fixtureRun()
	if err := WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, FileHTML)
	n := Count(r.Cells)

	t.Run("grid", func(t *testing.T) {
		dom := runChromium(t, browser, "--dump-dom", fileURL(page, ""))
		if !strings.Contains(dom, `data-rendered="`+strconv.Itoa(len(r.Cells))+`"`) {
			t.Fatalf("the report's script did not run (no data-rendered on <html>):\n%.2000s", dom)
		}
		if !regexp.MustCompile(`<table[^>]* id="matrix"`).MatchString(dom) {
			t.Error("rendered DOM has no #matrix table")
		}
		var ids []string
		for _, m := range dataCell.FindAllStringSubmatch(dom, -1) {
			ids = append(ids, html.UnescapeString(m[1]))
		}
		for _, c := range r.Cells {
			if !slices.Contains(ids, c.ID) {
				t.Errorf("rendered DOM has no box data-cell=%q", c.ID)
			}
		}
		for kind, v := range map[string]int{"total": n.Total, "pass": n.Pass, "fail": n.Fail, "infra-error": n.Infra, "skipped": n.Skip} {
			if want := `data-count="` + kind + `"><b>` + strconv.Itoa(v) + `</b>`; !strings.Contains(dom, want) {
				t.Errorf("rendered DOM lacks the count %s", want)
			}
		}
		if strings.Contains(dom, `data-cell-open=`) {
			t.Error("the evidence panel is open without a cell in the address")
		}
		for _, want := range []string{
			`<span class="code">1603→0</span><span class="ctx">user</span><span class="mark rem-recovered">fixed</span>`,
			`<span class="mark rem-not-applicable">fix n/a</span>`,
			`<span class="code">1603→0</span><span class="ctx">elevated</span><span class="mark rem-over-broad">over-broad</span>`,
			`<span class="code">1603→1603</span><span class="ctx">elevated</span><span class="mark rem-not-recovered">not fixed</span>`,
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("rendered grid lacks %q", want)
			}
		}
	})

	fail := "temp-acl-2503/server2022/standard-user"
	t.Run("panel", func(t *testing.T) {
		dom := runChromium(t, browser, "--dump-dom", fileURL(page, fail))
		panel := panelOf(t, dom, fail)
		if !strings.Contains(dom, `class="box fail selected" data-cell="`+fail+`"`) {
			t.Error("the cell's box is not marked selected")
		}
		for _, want := range []string{
			`<h4>Expected</h4>`, `<h4>Observed</h4>`, // side by side
			`<td class="mono">exit_code</td><td class="mono">1603</td><td class="mono">0</td><td class="notok">✗ fail</td>`,
			`<mark class="m-sig"`, `: Note: 1: 2503</mark>`, // the signature in the log
			`Called RunScript when not marked in progress</mark>`,
			`<mark class="m-note"`,                                                   // other Note lines
			`&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;`,                   // the log as text
			`<td class="mono">11707</td><td class="lv-Information">Information</td>`, // events
			`installer-marker-acl`,                                                   // faults
			`WinRM commands: </b>6`,                                                  //
			`cells/temp-acl-2503_server2022_standard-user/msiexec.log`,               // bundle links
			`https://github.com/actions/runner-images/issues/1704`,                   // references
			strings.Repeat("CD", 32),                                                 // package hash
			`Remediation did not run: the failure was not reproduced.`,               // no remediation
		} {
			if !strings.Contains(panel, want) {
				t.Errorf("the evidence panel lacks %q", want)
			}
		}
		if t.Failed() {
			t.Logf("panel DOM:\n%.6000s", panel)
		}
	})

	// A remediated cell: findings, the fixes in order with their
	// PowerShell, the rerun, the host state before the fault and after the
	// fixes, differing lines marked.
	fixed := "temp-acl-2503/win10-22h2/standard-user"
	t.Run("remediation", func(t *testing.T) {
		panel := openPanel(t, browser, page, fixed)
		for _, want := range []string{
			`<section id="remediation" data-outcome="recovered"><h3>Remediation<span class="sub">recovered</span></h3>`,
			`<div class="outcome rem-recovered"><b>✓ Recovered.</b>The install rerun succeeded (exit code 0)`,
			`<span class="fid">installer-acl</span>`, `<span class="fid">silent-per-machine-not-elevated</span>`, `90%</td>`,
			`C:\Windows\Installer: (D;;0x116;;;SY) denies SYSTEM write`, `<td class="mono">temp-acl-2503</td>`,
			`<span class="fix-name">restore-installer-acl</span><span class="chip risk-low">low risk</span><span class="chip ok">✓ verified</span>`,
			`<span class="fix-name">run-elevated</span><span class="chip risk-medium">medium risk</span>`,
			`<dt>Run as</dt><dd>admin-elevated</dd>`, `a per-user package installs into labadmin's profile`,
			`<details><summary>PowerShell <span class="muted">(`,                 // collapsible
			`<pre class="ps" tabindex="0"># msilab batch: acl.set`,               // the exact PowerShell
			`Invoke-MsiLabBatch -Request $request`,                               //
			`# -File &lt;file&gt;);`,                                             // the PowerShell as text
			`"ops":[{"op":"acl.set","args":{"path":"C:\\Windows\\Installer"`,     // its request, inline
			`No PowerShell: the fix changes how the install runs, not the host.`, // run-elevated
			`<dd>admin-elevated (changed by a fix; the cell ran standard-user)</dd>`,
			`<dt>Exit code</dt><dd><span class="exit-ok">0</span></dd>`,
			`<td class="mono">11707</td><td class="lv-Information">Information</td>`,
			`<h4>Before the fault (1 differing)</h4>`,
			`<span class="d-del">- msi.product {"product_code":"{6F1E5B0C-3C9A-4D2E-9B61-0A1B2C3D4E5F}"} = {"installed":false}`,
			`<span class="d-add">+ msi.product {"product_code":"{6F1E5B0C-3C9A-4D2E-9B61-0A1B2C3D4E5F}"} = {"installed":true,"version":"1.0.0"}`,
			`<dt>Remediation</dt><dd>recovered</dd>`, // the header's facts
		} {
			if !strings.Contains(panel, want) {
				t.Errorf("the remediation section lacks %q", want)
			}
		}
		if i, j := strings.Index(panel, "restore-installer-acl</span>"), strings.Index(panel, "run-elevated</span>"); i < 0 || j < i {
			t.Error("the fixes are not in the order applied")
		}
		if t.Failed() {
			t.Logf("panel DOM:\n%.12000s", panel)
		}
	})

	// An over-broad fix fails the cell: the rights in red, the reason.
	broad := "temp-acl-1603/server2022/admin-elevated"
	t.Run("over-broad", func(t *testing.T) {
		panel := openPanel(t, browser, page, broad)
		for _, want := range []string{
			`<section id="remediation" data-outcome="over-broad"><h3>Remediation<span class="sub warn">NOT recovered: over-broad rights</span></h3>`,
			`<div class="outcome rem-over-broad"><b>✗ Not recovered: over-broad.</b>the fixes left rights broader`,
			`<div class="overbroad"><b>Over-broad rights on the host</b>`,
			`<li>C:\Windows\Temp: Everyone gains write on files and folders</li>`,
			`<span class="d-add">+ msi.product`, // the product: a difference, not over-broad
			`<span class="d-hot" title="over-broad">! acl.get {"path":"C:\\Windows\\Temp"} = {"owner":"S-1-5-32-544","sddl":"O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100026;;;BU)(A;OICI;0x1301bf;;;WD)"}`,
		} {
			if !strings.Contains(panel, want) {
				t.Errorf("the remediation section lacks %q", want)
			}
		}
		if t.Failed() {
			t.Logf("panel DOM:\n%.12000s", panel)
		}
	})

	// A package failure: no host fix applies, nothing was rerun; not
	// recovered, even where the record says so (the win11-23h2 cell).
	t.Run("not applicable", func(t *testing.T) {
		for _, cell := range []string{"custom-action-1603/win10-22h2/admin-elevated", "custom-action-1603/win11-23h2/admin-elevated"} {
			panel := openPanel(t, browser, page, cell)
			for _, want := range []string{
				`<section id="remediation" data-outcome="not-applicable"><h3>Remediation<span class="sub">no host fix applies</span></h3>`,
				`<div class="outcome rem-not-applicable"><b>No host fix applies.</b>custom action WriteConfig fails`,
				`No fix was applied: none applies to the host.`,
				`<dt>Remediation</dt><dd>no host fix applies</dd>`,
			} {
				if !strings.Contains(panel, want) {
					t.Errorf("%s: the remediation section lacks %q", cell, want)
				}
			}
			if strings.Contains(panel, `data-outcome="recovered"`) || strings.Contains(panel, "✓ Recovered.") {
				t.Errorf("%s: a package failure reads recovered", cell)
			}
		}
	})

	t.Run("not recovered", func(t *testing.T) {
		panel := openPanel(t, browser, page, "temp-acl-1603/win10-22h2/admin-elevated")
		for _, want := range []string{
			`data-outcome="not-recovered"`,
			`<li class="fix rolled">`, `<span class="chip bad">✗ not verified</span><span class="chip warn">↶ rolled back</span>`,
			`<span class="err">verify: C:\Windows\Temp still denies SYSTEM write`,
			`<dt>Exit code</dt><dd><span class="exit-bad">1603</span></dd>`,
		} {
			if !strings.Contains(panel, want) {
				t.Errorf("the remediation section lacks %q", want)
			}
		}
	})

	// The panels' shots are tall enough to hold the whole page: a link to a
	// cell scrolls to its panel, and headless Chromium's --screenshot does
	// not paint a scrolled page reliably.
	for _, shot := range []struct{ name, cell, size string }{
		{"grid", "", "1400,1000"}, {"panel", fail, "1400,3400"}, {"remediation", fixed, "1400,4000"}, {"over-broad", broad, "1400,4000"},
	} {
		t.Run("screenshot "+shot.name, func(t *testing.T) {
			png := filepath.Join(dir, "shot-"+shot.name+".png")
			runChromium(t, browser, "--screenshot="+png, "--window-size="+shot.size, fileURL(page, shot.cell))
			b, err := os.ReadFile(png)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 20<<10 {
				t.Fatalf("%s: not a real screenshot (%d bytes)", png, len(b))
			}
			t.Logf("screenshot: %s (%d bytes)", png, len(b))
		})
	}
}

// openPanel renders the page with a cell named in the address and returns
// the DOM from its evidence panel on.
func openPanel(t *testing.T, browser, page, cell string) string {
	t.Helper()
	return panelOf(t, runChromium(t, browser, "--dump-dom", fileURL(page, cell)), cell)
}

// panelOf checks that the evidence panel of cell is open and shown, and
// returns the DOM from it on.
func panelOf(t *testing.T, dom, cell string) string {
	t.Helper()
	open := regexp.MustCompile(`<section id="panel"[^>]*data-cell-open="([^"]*)"`).FindStringSubmatch(dom)
	if open == nil || html.UnescapeString(open[1]) != cell {
		t.Fatalf("the evidence panel of %s is not open:\n%.3000s", cell, dom)
	}
	panel := dom[strings.Index(dom, `<section id="panel"`):]
	if strings.Contains(panel[:200], " hidden") {
		t.Error("the evidence panel is hidden")
	}
	return panel
}

// TestScriptSyntax checks the report's script with node --check, when
// node is there (in CI it must be).
func TestScriptSyntax(t *testing.T) {
	node := testtool.Need(t, "node", "install Node.js")
	out, err := exec.CommandContext(t.Context(), node, "--check", filepath.Join("assets", "report.js")).CombinedOutput()
	if err != nil {
		t.Fatalf("node --check assets/report.js: %v\n%s", err, out)
	}
	for _, s := range []string{pageJS, pageCSS} {
		if strings.Contains(strings.ToLower(s), "</script") || strings.Contains(strings.ToLower(s), "</style") {
			t.Error("the inline script or stylesheet contains an end tag")
		}
	}
}
