// Package e2e holds msilab's Ginkgo suites: one Entry per cell of the
// scenario matrix (labels os:, fault:, context:, code:), against the
// embedded simulated lab by default, or a real lab when MSILAB_LAB names
// an inventory file. Run them in parallel with `ginkgo -p ./e2e`.
package e2e_test

import (
	"fmt"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/msilab/msilab/lab"
	_ "github.com/msilab/msilab/lab/snapshot/hyperv" // the drivers MSILAB_LAB's lab.yaml may name
	_ "github.com/msilab/msilab/lab/snapshot/libvirt"
	_ "github.com/msilab/msilab/lab/snapshot/vsphere"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/win"
)

// matrix is loaded before RunSpecs: Entry arguments are evaluated when
// the tree is built.
var matrix []scenarios.Cell

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	var err error
	if matrix, err = loadMatrix(); err != nil {
		t.Fatal(err)
	}
	RunSpecs(t, "msilab e2e")
}

// loadMatrix expands the built-in catalog over the lab's OS profiles: the
// inventory's (MSILAB_LAB) or every profile (the embedded lab).
func loadMatrix() ([]scenarios.Cell, error) {
	scs, err := scenarios.Builtin()
	if err != nil {
		return nil, err
	}
	var hosts []scenarios.Host
	if path := os.Getenv("MSILAB_LAB"); path != "" {
		inv, err := lab.LoadInventory(path, win.ProfileNames())
		if err != nil {
			return nil, fmt.Errorf("MSILAB_LAB: %w", err)
		}
		for _, h := range inv.Hosts {
			if h.Role != lab.RoleHypervisor {
				hosts = append(hosts, scenarios.Host{Name: h.Name, OS: h.OS})
			}
		}
	} else {
		for _, p := range win.Profiles() {
			hosts = append(hosts, scenarios.Host{Name: p.Name, OS: p.Name})
		}
	}
	return scenarios.Expand(scs, hosts, scenarios.Filter{}), nil
}
