package ops

import "testing"

func TestMustNew(t *testing.T) {
	op := MustNew(OpPathHash, PathHashArgs{Path: `C:\x`})
	if want, _ := New(OpPathHash, PathHashArgs{Path: `C:\x`}); op.Name != want.Name || string(op.Args) != string(want.Args) {
		t.Errorf("MustNew = %+v, want %+v", op, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNew of arguments that do not encode did not panic")
		}
	}()
	MustNew(OpPathHash, map[string]any{"path": make(chan int)})
}
