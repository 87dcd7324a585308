//go:build tools

// Package tools pins packer-sdc for `go build github.com/hashicorp/packer-plugin-sdk/cmd/packer-sdc`.
package tools

import _ "github.com/hashicorp/packer-plugin-sdk/cmd/packer-sdc"
