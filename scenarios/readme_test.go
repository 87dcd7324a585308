package scenarios

import (
	"os"
	"strings"
	"testing"
)

// The scenario file shown in the README parses as it is written there.
func TestReadmeExample(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "```yaml\nname: ")
	if i < 0 {
		t.Fatal("README has no scenario example")
	}
	block := s[i+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	sc, err := Parse("README.md", []byte(block))
	if err != nil {
		t.Fatalf("README's scenario example: %v", err)
	}
	if len(sc.Faults) == 0 || len(sc.Overrides) == 0 {
		t.Errorf("the example lost its faults or overrides: %+v", sc)
	}
}
