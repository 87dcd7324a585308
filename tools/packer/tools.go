//go:build tools

// Package tools pins Packer for `go build github.com/hashicorp/packer`.
package tools

import _ "github.com/hashicorp/packer"
