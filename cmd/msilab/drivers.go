package main

// The snapshot drivers a lab.yaml may name, beside lab's own sim and none.
import (
	_ "github.com/msilab/msilab/lab/snapshot/hyperv"
	_ "github.com/msilab/msilab/lab/snapshot/libvirt"
	_ "github.com/msilab/msilab/lab/snapshot/vsphere"
)
