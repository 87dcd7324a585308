package sim

import (
	"errors"
	"sort"
	"strings"
	"sync"
)

// memFS is the host's file store: case-insensitive Windows paths, files and
// directories. (Security descriptors and access checks come with the
// Windows model.)
type memFS struct {
	mu    sync.Mutex
	dirs  map[string]string // key → display path
	files map[string]*memFile
}

type memFile struct {
	path string
	data []byte
}

var (
	errFileNotFound = errors.New("the system cannot find the file specified")
	errPathNotFound = errors.New("the system cannot find the path specified")
	errIsDir        = errors.New("access is denied: the path is a directory")
)

func newMemFS() *memFS {
	return &memFS{dirs: map[string]string{`c:`: `C:`}, files: map[string]*memFile{}}
}

// cleanPath normalises a Windows path: separators, "." and "..", trailing backslashes.
func cleanPath(p string) string {
	p = strings.ReplaceAll(strings.TrimSpace(p), "/", `\`)
	var out []string
	for _, part := range strings.Split(p, `\`) {
		switch part {
		case "", ".":
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, part)
		}
	}
	return strings.Join(out, `\`)
}

func fsKey(p string) string { return strings.ToLower(cleanPath(p)) }

func parentKey(key string) string {
	i := strings.LastIndexByte(key, '\\')
	if i < 0 {
		return ""
	}
	return key[:i]
}

func (fs *memFS) MkdirAll(p string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	clean := cleanPath(p)
	parts := strings.Split(clean, `\`)
	for i := range parts {
		sub := strings.Join(parts[:i+1], `\`)
		k := strings.ToLower(sub)
		if _, isFile := fs.files[k]; isFile {
			return errPathNotFound
		}
		if _, ok := fs.dirs[k]; !ok {
			fs.dirs[k] = sub
		}
	}
	return nil
}

// Stat reports whether p exists and is a directory.
func (fs *memFS) Stat(p string) (exists, isDir bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	k := fsKey(p)
	if _, ok := fs.dirs[k]; ok {
		return true, true
	}
	_, ok := fs.files[k]
	return ok, false
}

func (fs *memFS) ReadFile(p string) ([]byte, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	k := fsKey(p)
	if f, ok := fs.files[k]; ok {
		return append([]byte(nil), f.data...), nil
	}
	if _, ok := fs.dirs[k]; ok {
		return nil, errIsDir
	}
	if _, ok := fs.dirs[parentKey(k)]; !ok {
		return nil, errPathNotFound
	}
	return nil, errFileNotFound
}

// WriteFile creates or replaces p; its directory must exist.
func (fs *memFS) WriteFile(p string, data []byte) error {
	return fs.write(p, data, false)
}

// AppendFile appends to p, creating it if needed.
func (fs *memFS) AppendFile(p string, data []byte) error {
	return fs.write(p, data, true)
}

func (fs *memFS) write(p string, data []byte, appendTo bool) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	k := fsKey(p)
	if _, ok := fs.dirs[k]; ok {
		return errIsDir
	}
	if _, ok := fs.dirs[parentKey(k)]; !ok {
		return errPathNotFound
	}
	f := fs.files[k]
	if f == nil {
		f = &memFile{path: cleanPath(p)}
		fs.files[k] = f
	}
	if appendTo {
		f.data = append(f.data, data...)
	} else {
		f.data = append([]byte(nil), data...)
	}
	return nil
}

// Rename moves a file, replacing the destination.
func (fs *memFS) Rename(from, to string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fk, tk := fsKey(from), fsKey(to)
	f, ok := fs.files[fk]
	if !ok {
		return errFileNotFound
	}
	if _, ok := fs.dirs[tk]; ok {
		return errIsDir
	}
	if _, ok := fs.dirs[parentKey(tk)]; !ok {
		return errPathNotFound
	}
	delete(fs.files, fk)
	f.path = cleanPath(to)
	fs.files[tk] = f
	return nil
}

// Remove deletes a file or an empty directory; a missing path is an error.
func (fs *memFS) Remove(p string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	k := fsKey(p)
	if _, ok := fs.files[k]; ok {
		delete(fs.files, k)
		return nil
	}
	if _, ok := fs.dirs[k]; ok {
		prefix := k + `\`
		for other := range fs.dirs {
			if strings.HasPrefix(other, prefix) {
				return errors.New("the directory is not empty")
			}
		}
		for other := range fs.files {
			if strings.HasPrefix(other, prefix) {
				return errors.New("the directory is not empty")
			}
		}
		delete(fs.dirs, k)
		return nil
	}
	return errFileNotFound
}

// List returns the display paths of files directly in dir.
func (fs *memFS) List(dir string) []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	k := fsKey(dir)
	var out []string
	for fk, f := range fs.files {
		if parentKey(fk) == k {
			out = append(out, f.path)
		}
	}
	sort.Strings(out)
	return out
}
