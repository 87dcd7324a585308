package fileutil

import (
	"os"
	"testing"
)

func TestKind(t *testing.T) {
	for m, want := range map[os.FileMode]string{
		os.ModeDir: "directory", os.ModeNamedPipe: "FIFO", os.ModeDevice | os.ModeCharDevice: "character device",
		os.ModeDevice: "device", os.ModeSocket: "socket", os.ModeSymlink: "special file",
	} {
		if got := Kind(m); got != want {
			t.Errorf("Kind(%v) = %q, want %q", m, got, want)
		}
	}
}
