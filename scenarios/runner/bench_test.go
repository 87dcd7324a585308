package runner

import (
	"context"
	"fmt"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim/simlab"
	"github.com/msilab/msilab/scenarios"
)

// BenchmarkBuiltinMatrix runs the whole built-in catalog, as msilab run does
// (reproduce, remediate, prove recovery), on the embedded
// simulated lab (one host per OS profile), with 1, 2 and 4 workers:
//
//	go test ./scenarios/runner -run XXX -bench BuiltinMatrix -benchtime 3x
func BenchmarkBuiltinMatrix(b *testing.B) {
	scs, err := scenarios.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	for _, parallel := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("parallel=%d", parallel), func(b *testing.B) {
			var cells, commands int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				sl, err := simlab.Start(simlab.Options{})
				if err != nil {
					b.Fatal(err)
				}
				pool := lab.NewPool(sl.Hosts())
				var hosts []scenarios.Host
				for _, h := range pool.Hosts() {
					hosts = append(hosts, scenarios.Host{Name: h.Spec.Name, OS: h.Spec.OS})
				}
				todo := scenarios.Expand(scs, hosts, scenarios.Filter{})
				b.StartTimer()
				sum, err := Run(context.Background(), pool, todo, Options{Out: b.TempDir(), Parallel: parallel, Remediate: true})
				b.StopTimer()
				if err != nil || !sum.OK() {
					b.Fatalf("run: %v, %v", err, sum.Counts)
				}
				cells, commands = len(sum.Cells), sum.Commands
				sl.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(cells), "cells")
			b.ReportMetric(float64(commands)/float64(cells), "cmds/cell")
		})
	}
}
