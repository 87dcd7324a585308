package ops

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

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

// TestEncodeRequestASCII: a batch's request is ASCII, and decodes to the
// same request.
func TestEncodeRequestASCII(t *testing.T) {
	args := map[string]string{"password": "Pässwörd-€-😀", "plain": `a\"b`}
	got, err := EncodeRequest([]Op{MustNew(OpUserEnsure, args)})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range got {
		if c > 0x7e {
			t.Fatalf("byte %d of %s is not ASCII", i, got)
		}
	}
	var req Request
	var back map[string]string
	if err := json.Unmarshal(got, &req); err != nil || req.Version != ProtocolVersion || req.ModuleSHA256 != ModuleSHA256 || len(req.Ops) != 1 {
		t.Fatalf("%s decodes to %+v, %v", got, req, err)
	}
	if err := json.Unmarshal(req.Ops[0].Args, &back); err != nil || back["password"] != args["password"] || back["plain"] != args["plain"] {
		t.Fatalf("%s decodes to %v, %v", got, back, err)
	}
}

// The module honours requires_previous as the simulated host does
// (lab/sim TestRequiresPrevious): it reads the flag under its JSON name and
// answers Skipped with the same message.
func TestModuleHonoursRequiresPrevious(t *testing.T) {
	mod := string(Module)
	for _, want := range []string{
		"$op.PSObject.Properties['requires_previous']",
		"code = '" + CodeSkipped + "'",
		`"not run: it requires the previous op, $($previous.op), which did not succeed"`,
	} {
		if !strings.Contains(mod, want) {
			t.Errorf("MsiLab.psm1 lacks %s", want)
		}
	}
	if got, want := SkippedError("service.stop").Message, "not run: it requires the previous op, service.stop, which did not succeed"; got != want {
		t.Errorf("SkippedError: %q, want %q", got, want)
	}
	raw, _ := json.Marshal(MustNew(OpHostInfo, nil).AfterPrevious())
	if !strings.Contains(string(raw), `"requires_previous":true`) {
		t.Errorf("op JSON: %s", raw)
	}
}

// The batch script checks the language mode, then the execution policy
// Group Policy sets, before it reads the request or imports the module
// (docs/evidence.md#E-module-policy); the simulated host answers the same
// messages (lab/sim TestModuleBlockedByPolicy).
func TestBatchChecksPolicyFirst(t *testing.T) {
	at := func(s string) int {
		i := strings.Index(BatchScript, s)
		if i < 0 {
			t.Fatalf("batch.ps1 lacks %q", s)
		}
		return i
	}
	mode, policy, stdin, imp := at("$ExecutionContext.SessionState.LanguageMode"), at("Get-ExecutionPolicy -List"),
		at("[Console]::In.ReadToEnd()"), at("$null = New-Module")
	if !(mode < policy && policy < stdin && stdin < imp) {
		t.Errorf("order: language mode %d, policy %d, stdin %d, import %d", mode, policy, stdin, imp)
	}
	// Before the language mode is known, no method of a non-core type may be called.
	if strings.Contains(BatchScript[:at("if ($mode -ne 'FullLanguage')")], "]::") {
		t.Error("batch.ps1 calls a static method before checking the language mode")
	}
	for _, msg := range []string{
		` mode (a WDAC or AppLocker policy): the msilab module cannot be imported"}}`,
		`"execution policy {0} is set by Group Policy ({1}): it overrides -ExecutionPolicy Bypass and stops the unsigned msilab module"`,
	} {
		at(msg)
	}
	var resp Response
	if err := json.Unmarshal([]byte(`{"v":1,"error":{"code":"NotSupported","message":"PowerShell runs in ConstrainedLanguage mode (a WDAC or AppLocker policy): the msilab module cannot be imported"}}`), &resp); err != nil || resp.Error == nil {
		t.Fatalf("the CLM answer does not decode: %v", err)
	}
	_, err := Exchange(nil, 1, func([]byte) ([]byte, error) {
		return []byte(`{"v":1,"error":{"code":"NotSupported","message":"x"}}`), nil
	},
		func() error { t.Fatal("a host that cannot run the module must not get it installed"); return nil })
	if !errors.Is(err, &Error{Code: CodeNotSupported}) || resp.Error.Code != CodeNotSupported {
		t.Fatalf("Exchange: %v", err)
	}
}
