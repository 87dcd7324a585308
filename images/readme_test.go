package images_test

// images/README.md against the templates: every variable documented, and
// per hypervisor what the host needs, the licence the image carries and
// how to keep the vTPM.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func readme(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestREADMEVariables: every variable of images/windows is named in the
// README.
func TestREADMEVariables(t *testing.T) {
	file := filepath.Join("windows", "variables.pkr.hcl")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	doc := readme(t)
	n := 0
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "variable" {
			continue
		}
		n++
		if !strings.Contains(doc, "`"+b.Labels[0]+"`") && !strings.Contains(doc, "`"+b.Labels[0]+"=") {
			t.Errorf("images/README.md does not name the variable `%s`", b.Labels[0])
		}
	}
	if n < 20 {
		t.Fatalf("only %d variables found in %s", n, file)
	}
}

// section is the README's text from a heading to the next of its level or
// higher.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("images/README.md has no %q", heading)
	}
	rest := doc[i+len(heading)+2:]
	level := strings.Count(strings.Fields(heading)[0], "#")
	next := regexp.MustCompile(`(?m)^#{1,` + string(rune('0'+level)) + `} `).FindStringIndex(rest)
	if next != nil {
		rest = rest[:next[0]]
	}
	return rest
}

// TestREADMEHypervisors: for each hypervisor, what its host needs (KVM and
// the CPU model, swtpm, the vTPM key provider, the Hyper-V switch), what
// licence the image carries, and how to keep its vTPM.
func TestREADMEHypervisors(t *testing.T) {
	doc := readme(t)
	for heading, terms := range map[string][]string{
		"### Hyper-V":  {"`hyperv_switch_name`", "oscdimg.exe", "guardian", "UntrustedGuardian"},
		"### QEMU/KVM": {"KVM", "SSE4.2 and POPCNT", "`qemu_cpu_model`", "x86-64-v2-AES", "swtpm", "qemu-swtpm.sh", "efivars.fd", "vtpm/", "use_tpm1"},
		"### vSphere":  {"key provider", "`vsphere_tools_iso`", "remote_cache_cleanup", "guest customization specification"},
	} {
		sec := section(t, doc, heading)
		for _, want := range append([]string{"**Host**", "**Licence**", "**vTPM**"}, terms...) {
			if !strings.Contains(sec, want) {
				t.Errorf("images/README.md %s does not say %q", heading, want)
			}
		}
	}
	for heading, terms := range map[string][]string{
		"## Media and licences":                 {"`product_key`", "`gvlk`", "KMS client setup key", "OnError", "evaluation", "real time", "`msilab doctor`"},
		"## Windows 11 without a vTPM":          {"`tpm_bypass`", "BypassTPMCheck", "BypassSecureBootCheck"},
		"## The image manifest":                 {"`machine_sid`", "`license`", "`doctor`", "`expires`", "`license_expires`"},
		"## From an image to a `lab.yaml` host": {"`auth`", "401"},
	} {
		sec := section(t, doc, heading)
		for _, want := range terms {
			if !strings.Contains(sec, want) {
				t.Errorf("images/README.md %s does not say %q", heading, want)
			}
		}
	}
}

// TestNoGeneralizingAdvice: nothing suggests customizing (and so
// generalizing) clones any more: sysprep gives a clone a new machine SID,
// and new SIDs to the accounts the manifest's baseline names.
func TestNoGeneralizingAdvice(t *testing.T) {
	advice := regexp.MustCompile(`(?i)can still (get|be customized)|clones can still|customization specification\.\s*$`)
	for _, file := range []string{"README.md", filepath.Join("windows", "sources.pkr.hcl"), filepath.Join("..", "README.md")} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if m := advice.Find(data); m != nil {
			t.Errorf("%s still suggests customizing clones: %q", file, m)
		}
	}
}
