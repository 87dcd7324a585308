//go:build tools

// Package tools pins packer-plugin-qemu for `go build github.com/hashicorp/packer-plugin-qemu`.
package tools

import _ "github.com/hashicorp/packer-plugin-qemu"
