package installer

import (
	"errors"
	"strings"
	"testing"
)

// condEnv is a fixed Env for tests.
type condEnv struct {
	props                map[string]string
	env                  map[string]string // keys upper case; lookup is case insensitive
	compAction, compInst map[string]int
	featAction, featInst map[string]int
}

func (e *condEnv) Property(name string) string    { return e.props[name] }
func (e *condEnv) Environment(name string) string { return e.env[strings.ToUpper(name)] }

func (e *condEnv) ComponentState(name string, installed bool) (int, bool) {
	m := e.compAction
	if installed {
		m = e.compInst
	}
	v, ok := m[name]
	return v, ok
}

func (e *condEnv) FeatureState(name string, installed bool) (int, bool) {
	m := e.featAction
	if installed {
		m = e.featInst
	}
	v, ok := m[name]
	return v, ok
}

func newCondEnv(over map[string]string) *condEnv {
	e := &condEnv{
		props: map[string]string{
			"REMOVE": "ALL", "VersionNT": "603", "VersionNT64": "603",
			"One": "1", "Empty": "", "Num": "5", "Num3": "3", "Word": "abc",
			"Seven": "7", "Fifty": "50", "FiftyVal": "50val", "NegZero": "-0",
			"Plus": "+1", "Spaced": "1 ", "Dec": "1.0", "Big": "99999999999",
			"Hi": "hithere", "Lo": "hi", "Digits": "1234", "DigitOne": "1",
		},
		env:        map[string]string{"PATH": `C:\Windows\system32;C:\Windows`},
		compAction: map[string]int{"Comp": 3},
		compInst:   map[string]int{"Comp": 2},
		featAction: map[string]int{"Main": 3},
		featInst:   map[string]int{"Main": 2},
	}
	for k, v := range over {
		if v == "" {
			delete(e.props, k)
		} else {
			e.props[k] = v
		}
	}
	return e
}

func TestEvalCondition(t *testing.T) {
	tests := []struct {
		cond  string
		props map[string]string // overrides; "" unsets
		want  bool
	}{
		// Empty conditions are true.
		{"", nil, true},
		{"   ", nil, true},
		{"\t\r\n", nil, true},

		// Bare operands.
		{"Installed", nil, false},
		{"REMOVE", nil, true},
		{"Empty", nil, false},
		{"1", nil, true},
		{"0", nil, false},
		{"-1", nil, true},
		{`"0"`, nil, true},
		{`""`, nil, false},
		{"&Main", nil, true},
		{"%PATH", nil, true},
		{"%NOSUCHVAR", nil, false},

		// NOT, and case-insensitive keywords.
		{"NOT Installed", nil, true},
		{"not Installed", nil, true},
		{"Not Installed", nil, true},
		{"NOT Installed", map[string]string{"Installed": "1"}, false},
		{"NOT NOT REMOVE", nil, true},
		{"One and One", nil, true},
		{"One Or Empty", nil, true},

		// Typical sequence-table conditions.
		{`REMOVE="ALL"`, nil, true},
		{`REMOVE="all"`, nil, false},
		{`REMOVE~="all"`, nil, true},
		{`NOT REMOVE~="ALL"`, nil, false},
		{`NOT REMOVE~="ALL"`, map[string]string{"REMOVE": "Feature1"}, true},
		{`REMOVE<>"ALL"`, nil, false},
		{`REMOVE~<>"all"`, nil, false},
		{"VersionNT >= 600", nil, true},
		{"VersionNT >= 600", map[string]string{"VersionNT": "501"}, false},
		{"VersionNT < 600", nil, false},
		{"VersionNT64", nil, true},
		{"VersionNT64", map[string]string{"VersionNT64": ""}, false},
		{"Installed AND NOT UPGRADINGPRODUCTCODE", map[string]string{"Installed": "1"}, true},
		{"Installed AND NOT UPGRADINGPRODUCTCODE",
			map[string]string{"Installed": "1", "UPGRADINGPRODUCTCODE": "{B4A3F1C2-0000-0000-0000-000000000000}"}, false},
		{"Installed AND NOT UPGRADINGPRODUCTCODE", nil, false},
		{"(NOT Installed) OR REINSTALL", nil, true},
		{"(NOT Installed) OR REINSTALL", map[string]string{"Installed": "1"}, false},
		{"(NOT Installed) OR REINSTALL", map[string]string{"Installed": "1", "REINSTALL": "ALL"}, true},

		// Feature and component states: & and $ read the action, ! and ? the installed state.
		{"&Main=3", nil, true},
		{"!Main=3", nil, false},
		{"!Main=2", nil, true},
		{"$Comp>2", nil, true},
		{"?Comp>2", nil, false},
		{"?Comp=2", nil, true},
		{"& Main = 3", nil, true},
		{"&Main = Num3", nil, true},
		// Unknown names read as INSTALLSTATE_UNKNOWN (-1).
		// Unknown names read as empty (R: Wine's record of Windows).
		{"&Gone", nil, false},
		{"NOT &Gone", nil, true},
		{"&Gone=-1", nil, false},
		{"!Gone=3", nil, false},
		{"$Gone<>3", nil, true},
		{"?Gone=\"\"", nil, true},

		// Environment variables.
		{`%PATH><"system32"`, nil, true},
		{`%path><"system32"`, nil, true},
		{`%PATH><"SYSTEM32"`, nil, false},
		{`%PATH~><"SYSTEM32"`, nil, true},

		// Logical operators.
		{"1 AND 0", nil, false},
		{"1 OR 0", nil, true},
		{"0 OR 0", nil, false},
		{"1 XOR 1", nil, false},
		{"1 XOR 0", nil, true},
		{"0 EQV 0", nil, true},
		{"1 EQV 0", nil, false},
		{"1 IMP 0", nil, false},
		{"0 IMP 0", nil, true},
		{"0 IMP 1", nil, true},

		// Precedence, high to low: NOT, AND, OR, XOR, EQV, IMP. (EQV and XOR
		// together are associative, so no condition tells their order apart.)
		{"One OR Empty AND Empty", nil, true}, // One OR (Empty AND Empty)
		{"Empty AND Empty OR One", nil, true}, // (Empty AND Empty) OR One
		{"NOT One AND Empty", nil, false},     // (NOT One) AND Empty
		{"NOT Empty AND One", nil, true},      // (NOT Empty) AND One
		{"NOT One OR One", nil, true},         // (NOT One) OR One
		{"1 OR 0 XOR 1", nil, false},          // (1 OR 0) XOR 1
		{"1 XOR 1 OR 1", nil, false},          // 1 XOR (1 OR 1)
		{"0 IMP 0 EQV 0", nil, true},          // 0 IMP (0 EQV 0)
		{"0 IMP 0 IMP 0", nil, false},         // (0 IMP 0) IMP 0
		{"NOT (One AND Empty)", nil, true},    // parentheses group
		{"(One OR Empty) AND Empty", nil, false},
		{"NOT Word = \"abc\"", nil, false}, // NOT (Word = "abc")

		// Integer comparisons.
		{"1 = 1", nil, true},
		{"1 <> 2", nil, true},
		{"2 > 1", nil, true},
		{"1 >= 1", nil, true},
		{"1 < 2", nil, true},
		{"2 <= 1", nil, false},
		{"-5 < 3", nil, true},
		{"1 ~= 1", nil, true},
		{"-2147483648 < 2147483647", nil, true},
		// Between integers the substring operators are bitwise.
		{"3 >< 1", nil, true},
		{"3 >< 4", nil, false},
		{"65537 << 1", nil, true},
		{"65537 >> 1", nil, true},
		{"65536 >> 1", nil, false},
		{"-1 << 65535", nil, true},

		// String comparisons: ordinal, '~' folds case.
		{`"abc" < "abd"`, nil, true},
		{`"B" > "A"`, nil, true},
		{`"a" < "B"`, nil, false},
		{`"a" ~< "B"`, nil, true},
		{`"b" ~>= "B"`, nil, true},
		{`"A" = "a"`, nil, false},
		{`"A" ~= "a"`, nil, true},
		{`"1" > "12"`, nil, false},  // two literals stay strings
		{`"100" < "21"`, nil, true}, // likewise
		{`Installed <> ""`, nil, false},
		{`Installed < "1.1.4322"`, nil, true},

		// Substring operators.
		{`"ASFD" >< "S"`, nil, true},
		{`"ASFD" >< "s"`, nil, false},
		{`"ASFD" ~>< "s"`, nil, true},
		{"Hi << Lo", nil, true},
		{"Lo << Hi", nil, false},
		{`Hi >> "there"`, nil, true},
		{`Hi >> "hi"`, nil, false},
		{`Hi ~<< "HI"`, nil, true},
		{`Hi ~>> "THERE"`, nil, true},
		{`Hi << "HI"`, nil, false},
		{`"x" >< ""`, nil, true}, // empty right: true
		{`"" >< ""`, nil, false}, // empty left: false
		{`Empty << "x"`, nil, false},
		{"Digits >< DigitOne", nil, false}, // 1234 & 1 == 0: integer strings are bitwise

		// Integer/string mixing.
		{"Num = 5", nil, true},
		{"Num < 12", nil, true}, // numeric, though "5" > "12" as strings
		{"5 = Num", nil, true},
		{"Word = 5", nil, false},
		{"Word <> 5", nil, true},
		{"Word ~<> 5", nil, true},
		{"Word < 5", nil, false},
		{"Word > 5", nil, false},
		{"Word >< 5", nil, false},
		{"Empty = 0", nil, false},
		{"Empty <> 0", nil, true},
		{"Installed < 0", nil, false},
		{"NegZero = 0", nil, true},
		{"Plus = 1", nil, false},
		{"Spaced = 1", nil, false},
		{"Dec = 1", nil, false},
		{"Dec <> 1", nil, true},
		{"Big = 0", nil, false},
		{"Big <> 0", nil, true},
		{`1 = "1"`, nil, false}, // a literal is never an integer
		{`1 <> "1"`, nil, true},
		{`0 < "100"`, nil, false},
		{`"A" ~= 1`, nil, false},
		{"Seven <= Fifty", nil, true},     // two integer-valued properties: numeric
		{"Seven <= FiftyVal", nil, false}, // "7" > "50val" as strings
		{`Seven < "50"`, nil, true},       // a property and a literal, both integers: numeric
		{`Num = "5"`, nil, true},

		// Identifiers.
		{"_1 = _1", nil, true},
		{"A.B", map[string]string{"A.B": "x"}, true},
	}
	for _, tc := range tests {
		got, err := EvalCondition(tc.cond, newCondEnv(tc.props))
		if err != nil {
			t.Errorf("EvalCondition(%q) error: %v", tc.cond, err)
			continue
		}
		if got != tc.want {
			t.Errorf("EvalCondition(%q) with %v = %v, want %v", tc.cond, tc.props, got, tc.want)
		}
	}
}

func TestEvalConditionSyntaxErrors(t *testing.T) {
	tests := []struct {
		cond string
		pos  int
	}{
		{"A =", 3},
		{"(A", 2},
		{`"unterminated`, 0},
		{`A = "unterminated`, 4},
		{"A B", 2},
		{"A = = B", 4},
		{"A = 1 = 2", 6},
		{"0 < > 0", 4},
		{"1 IMPL 1", 2},
		{`X != ""`, 2},
		{`"A" ~ = "a"`, 4},
		{"~NOT A", 0},
		{"( 1 AND 1 ) = 2", 12},
		{"(((((1))))))", 11},
		{"()", 1},
		{")", 0},
		{"AND", 0},
		{"NOT", 3},
		{"A AND", 5},
		{"1.5", 0},
		{"1abc", 0},
		{"-", 0},
		{"- 1", 0},
		{"99999999999", 0},
		{"2147483648 = 1", 0},
		{"$", 1},
		{"$1", 1},
		{`$"C"`, 1},
		{"A # B", 2},
		{"A\x00", 1},
		{"Ä", 0},
	}
	for _, tc := range tests {
		got, err := EvalCondition(tc.cond, newCondEnv(nil))
		var ce *ConditionError
		if !errors.As(err, &ce) {
			t.Errorf("EvalCondition(%q) = %v, %v; want *ConditionError", tc.cond, got, err)
			continue
		}
		if ce.Pos != tc.pos || ce.Cond != tc.cond {
			t.Errorf("EvalCondition(%q): error %v at %d, want at %d", tc.cond, ce, ce.Pos, tc.pos)
		}
		if !strings.Contains(ce.Error(), ce.Msg) {
			t.Errorf("Error() %q lacks Msg %q", ce.Error(), ce.Msg)
		}
	}
}

func TestEvalConditionNesting(t *testing.T) {
	env := newCondEnv(nil)
	for _, c := range []string{
		strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100),
		strings.Repeat("NOT ", 100) + "1",
	} {
		if v, err := EvalCondition(c, env); err != nil || !v {
			t.Errorf("100 levels: %v, %v", v, err)
		}
	}
	for _, c := range []string{
		strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000),
		strings.Repeat("NOT ", 100000) + "1",
	} {
		var ce *ConditionError
		if _, err := EvalCondition(c, env); !errors.As(err, &ce) || ce.Msg != "nesting too deep" {
			t.Errorf("deep nesting: %v", err)
		}
	}
}

func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"NOT Installed", `REMOVE="ALL"`, `NOT REMOVE~="ALL"`, "VersionNT >= 600", "VersionNT64",
		"Installed AND NOT UPGRADINGPRODUCTCODE", "(NOT Installed) OR REINSTALL", "&Main=3", "!Main=3",
		"$Comp>2", `%PATH><"system32"`, `NOT WIX_UPGRADE_DETECTED AND (Privileged OR MsiNTProductType=1)`,
		`Hi ~<< "HI" XOR 1 EQV 0 IMP ?Comp<>-1`, "(((A", `"unterminated`, "",
	} {
		f.Add(s)
	}
	env := newCondEnv(nil)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := EvalCondition(s, env)
		if err != nil {
			var ce *ConditionError
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *ConditionError", err)
			}
			if ce.Pos < 0 || ce.Pos > len(s) || ce.Cond != s {
				t.Fatalf("bad error %+v for %q", ce, s)
			}
			return
		}
		if v2, err := EvalCondition(" "+s+" ", env); err != nil || v2 != v {
			t.Fatalf("padding %q changed result: %v, %v (was %v)", s, v2, err, v)
		}
		if strings.TrimSpace(s) == "" {
			return
		}
		v2, err := EvalCondition("NOT ("+s+")", env)
		var ce *ConditionError
		switch {
		case err == nil && v2 == v:
			t.Fatalf("NOT (%s) = %v, same as %s", s, v2, s)
		case err != nil && !(errors.As(err, &ce) && ce.Msg == "nesting too deep"):
			t.Fatalf("NOT (%s): %v", s, err)
		}
	})
}
