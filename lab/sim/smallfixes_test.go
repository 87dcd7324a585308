package sim_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab/ops"
)

// TestRegistryDeleteKeyPartial: a subkey that may not be deleted stops
// registry.delete_key part way; the error comes with the whole tree as it
// was, from which the deleted part can be written back.
func TestRegistryDeleteKeyPartial(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2")
	const root = `HKLM\SOFTWARE\msilab-partial`
	set := func(key, name string) ops.Op {
		return ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: key, Name: name, Type: "REG_SZ", String: name})
	}
	h.MustRun(set(root+`\a`, "va"), set(root+`\b`, "vb"), set(root+`\c`, "vc"), set(root, "top"))
	if err := h.Srv.Host().Machine().Registry().DenyDelete(root + `\b`); err != nil {
		t.Fatal(err)
	}
	res := h.Run(ops.MustNew(ops.OpRegistryDeleteKey, ops.RegistryKeyArgs{Path: root}))[0]
	if err := res.Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeAccessDenied}) {
		t.Fatalf("delete_key over an undeletable subkey: %v, want AccessDenied", err)
	}
	var ch ops.RegistryKeyChange
	if err := json.Unmarshal(res.Value, &ch); err != nil || !ch.Before.Exists || len(ch.Before.Subkeys) != 3 || len(ch.Before.Values) != 1 {
		t.Fatalf("the failed delete lost its undo data: %s (%v)", res.Value, err)
	}
	exists := func(key string) bool {
		var k ops.RegistryKey
		if err := h.MustRun(ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: key}))[0].Decode(&k); err != nil {
			t.Fatal(err)
		}
		return k.Exists
	}
	if exists(root+`\a`) || !exists(root+`\b`) || !exists(root+`\c`) {
		t.Errorf("not a partial delete: a %v, b %v, c %v", exists(root+`\a`), exists(root+`\b`), exists(root+`\c`))
	}
	// The undo data puts the deleted part back.
	for _, k := range ch.Before.Subkeys {
		for _, v := range k.Values {
			h.MustRun(set(k.Path, v.Name))
		}
	}
	if !exists(root + `\a`) {
		t.Errorf("the undo data did not restore %s", root+`\a`)
	}
}
