//go:build tools

// Package tools pins packer-plugin-vsphere for `go build github.com/hashicorp/packer-plugin-vsphere`.
package tools

import _ "github.com/hashicorp/packer-plugin-vsphere"
