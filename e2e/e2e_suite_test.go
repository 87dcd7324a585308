// Package e2e holds msilab's Ginkgo suites. They run against the embedded
// simulated lab; the scenario matrix joins them with the runner.
package e2e_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "msilab e2e")
}
