package scenarios

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// MarshalYAML writes a fault as scenario files have it: type, then the
// fault's parameters as sibling keys, so yaml.Marshal of a Scenario gives
// a file that Parse reads back.
func (f FaultSpec) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	n.Content = append(n.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "type"},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Type})
	p := bytes.TrimSpace(f.Params)
	if len(p) == 0 || string(p) == "null" {
		return n, nil
	}
	var doc yaml.Node // JSON is YAML: this keeps the parameters' order
	if err := yaml.Unmarshal(p, &doc); err != nil {
		return nil, fmt.Errorf("scenarios: fault %s parameters: %w", f.Type, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("scenarios: fault %s parameters are not a JSON object", f.Type)
	}
	params := doc.Content[0]
	plain(params)
	n.Content = append(n.Content, params.Content...)
	return n, nil
}

// plain drops JSON's flow and quoting styles; the encoder quotes where needed.
func plain(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plain(c)
	}
}
