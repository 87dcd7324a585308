// Package fileutil holds small helpers about local files that several
// commands share.
package fileutil

import "os"

// Kind names a file mode that is not a regular file's ("FIFO",
// "directory", ...), for messages that refuse such a file.
func Kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "FIFO"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "device"
	case m&os.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}
