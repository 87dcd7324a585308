package installer

// Windows Installer conditional expressions, as evaluated by MsiEvaluateCondition
// and the sequence and Condition tables. Grammar and semantics: Microsoft
// "Conditional Statement Syntax",
// https://learn.microsoft.com/windows/win32/msi/conditional-statement-syntax.
// Where that page is silent, behaviour follows the MsiEvaluateCondition results
// recorded in Wine's msi conformance tests (dlls/msi/tests/package.c), which are
// also run against Windows.

import (
	"fmt"
	"strconv"
	"strings"
)

// condStateUnknown is INSTALLSTATE_UNKNOWN. The other documented states are
// ADVERTISED 1 (features only), ABSENT 2, LOCAL 3 and SOURCE 4.
const condStateUnknown = -1

// Env supplies what a condition reads.
type Env interface {
	// Property returns a property's value, "" when unset. Names are case sensitive.
	Property(name string) string
	// Environment returns %NAME; the documentation makes these names case insensitive.
	Environment(name string) string
	// ComponentState returns the action ($, installed false) or installed (?, installed
	// true) state of a component; false when the component is unknown.
	ComponentState(name string, installed bool) (int, bool)
	// FeatureState is ComponentState for features (& and !).
	FeatureState(name string, installed bool) (int, bool)
}

// ConditionError is a syntax error at byte offset Pos of Cond (MSICONDITION_ERROR).
type ConditionError struct {
	Cond string
	Pos  int
	Msg  string
}

func (e *ConditionError) Error() string {
	return fmt.Sprintf("msi condition %q: %s at offset %d", e.Cond, e.Msg, e.Pos)
}

// condMaxDepth bounds nesting of parentheses and NOT so that no input exhausts the stack.
const condMaxDepth = 256

// EvalCondition evaluates cond; an empty condition is true.
// The whole condition is parsed, so a syntax error anywhere is reported.
func EvalCondition(cond string, env Env) (bool, error) {
	toks, err := condLex(cond)
	if err != nil {
		return false, err
	}
	if len(toks) == 1 { // only EOF: empty or all whitespace (MSICONDITION_NONE)
		return true, nil
	}
	p := &condParser{cond: cond, toks: toks, env: env}
	v, err := p.expr()
	if err != nil {
		return false, err
	}
	if t := p.peek(); t.kind != ctkEOF {
		return false, p.errAt(t, "unexpected "+t.describe())
	}
	return v, nil
}

type condTokKind int

const (
	ctkEOF condTokKind = iota
	ctkIdent
	ctkInt
	ctkString
	ctkPrefix // one of % $ ? & !
	ctkCmp    // comparison or substring operator
	ctkLParen
	ctkRParen
	ctkNot
	ctkAnd
	ctkOr
	ctkXor
	ctkEqv
	ctkImp
)

// condOp is a comparison or substring operator; ci marks its '~' form.
type condOp int

const (
	copEQ condOp = iota
	copNE
	copLT
	copGT
	copLE
	copGE
	copContains // ><
	copStarts   // <<
	copEnds     // >>
)

type condToken struct {
	kind condTokKind
	pos  int
	text string // identifier, string contents (without quotes), prefix or operator
	n    int32  // ctkInt value
	op   condOp // ctkCmp
	ci   bool   // ctkCmp with '~'
}

func (t condToken) describe() string {
	switch t.kind {
	case ctkEOF:
		return "end of condition"
	case ctkString:
		return "string literal"
	case ctkInt:
		return "integer " + t.text
	case ctkIdent:
		return "identifier " + t.text
	}
	return strconv.Quote(t.text)
}

var condKeywords = map[string]condTokKind{"NOT": ctkNot, "AND": ctkAnd, "OR": ctkOr, "XOR": ctkXor, "EQV": ctkEqv, "IMP": ctkImp}

// Operators, longest first so that ">=" wins over ">".
var condOps = []struct {
	text string
	op   condOp
}{{"<>", copNE}, {"<=", copLE}, {">=", copGE}, {"><", copContains}, {"<<", copStarts}, {">>", copEnds},
	{"=", copEQ}, {"<", copLT}, {">", copGT}}

func condSpace(c byte) bool     { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func condDigit(c byte) bool     { return c >= '0' && c <= '9' }
func condLetter(c byte) bool    { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func condIdentChar(c byte) bool { return condLetter(c) || condDigit(c) || c == '.' }

func condLex(cond string) ([]condToken, error) {
	var toks []condToken
	fail := func(pos int, msg string) ([]condToken, error) {
		return nil, &ConditionError{Cond: cond, Pos: pos, Msg: msg}
	}
	for i := 0; i < len(cond); {
		c := cond[i]
		switch {
		case condSpace(c):
			i++
		case c == '(':
			toks = append(toks, condToken{kind: ctkLParen, pos: i, text: "("})
			i++
		case c == ')':
			toks = append(toks, condToken{kind: ctkRParen, pos: i, text: ")"})
			i++
		case c == '%' || c == '$' || c == '?' || c == '&' || c == '!':
			toks = append(toks, condToken{kind: ctkPrefix, pos: i, text: cond[i : i+1]})
			i++
		case c == '"':
			end := strings.IndexByte(cond[i+1:], '"')
			if end < 0 {
				return fail(i, "unterminated string literal")
			}
			toks = append(toks, condToken{kind: ctkString, pos: i, text: cond[i+1 : i+1+end]})
			i += end + 2
		case condDigit(c) || c == '-' && i+1 < len(cond) && condDigit(cond[i+1]):
			j := i + 1
			for j < len(cond) && condDigit(cond[j]) {
				j++
			}
			if j < len(cond) && condIdentChar(cond[j]) {
				return fail(i, "malformed number")
			}
			n, err := strconv.ParseInt(cond[i:j], 10, 32)
			if err != nil {
				return fail(i, "integer out of range")
			}
			toks = append(toks, condToken{kind: ctkInt, pos: i, text: cond[i:j], n: int32(n)})
			i = j
		case condLetter(c):
			j := i + 1
			for j < len(cond) && condIdentChar(cond[j]) {
				j++
			}
			t := condToken{kind: ctkIdent, pos: i, text: cond[i:j]}
			if k, ok := condKeywords[strings.ToUpper(t.text)]; ok {
				t.kind = k
			}
			toks = append(toks, t)
			i = j
		case c == '~' || c == '=' || c == '<' || c == '>':
			j, ci := i, c == '~'
			if ci {
				j++
			}
			matched := false
			for _, o := range condOps {
				if strings.HasPrefix(cond[j:], o.text) {
					j += len(o.text)
					toks = append(toks, condToken{kind: ctkCmp, pos: i, text: cond[i:j], op: o.op, ci: ci})
					matched = true
					break
				}
			}
			if !matched {
				return fail(i, "'~' must prefix a comparison operator")
			}
			i = j
		default:
			return fail(i, fmt.Sprintf("unexpected character %q", c))
		}
	}
	return append(toks, condToken{kind: ctkEOF, pos: len(cond)}), nil
}

type condParser struct {
	cond  string
	toks  []condToken
	i     int
	depth int
	env   Env
}

func (p *condParser) peek() condToken { return p.toks[p.i] }

func (p *condParser) next() condToken {
	t := p.toks[p.i]
	if t.kind != ctkEOF {
		p.i++
	}
	return t
}

func (p *condParser) errAt(t condToken, msg string) error {
	return &ConditionError{Cond: p.cond, Pos: t.pos, Msg: msg}
}

// Logical operators by precedence, lowest first; each level is left associative.
var condLevels = []condTokKind{ctkImp, ctkEqv, ctkXor, ctkOr, ctkAnd}

func (p *condParser) expr() (bool, error) { return p.binary(0) }

func (p *condParser) binary(level int) (bool, error) {
	if level == len(condLevels) {
		return p.not()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return false, err
	}
	for p.peek().kind == condLevels[level] {
		p.next()
		r, err := p.binary(level + 1)
		if err != nil {
			return false, err
		}
		switch condLevels[level] {
		case ctkImp:
			l = !l || r
		case ctkEqv:
			l = l == r
		case ctkXor:
			l = l != r
		case ctkOr:
			l = l || r
		case ctkAnd:
			l = l && r
		}
	}
	return l, nil
}

func (p *condParser) enter(t condToken) error {
	p.depth++
	if p.depth > condMaxDepth {
		return p.errAt(t, "nesting too deep")
	}
	return nil
}

func (p *condParser) not() (bool, error) {
	t := p.peek()
	if t.kind != ctkNot {
		return p.term()
	}
	p.next()
	if err := p.enter(t); err != nil {
		return false, err
	}
	v, err := p.not()
	p.depth--
	return !v, err
}

// term is "( expression )", a value, or "value operator value".
func (p *condParser) term() (bool, error) {
	t := p.peek()
	if t.kind == ctkLParen {
		p.next()
		if err := p.enter(t); err != nil {
			return false, err
		}
		v, err := p.expr()
		p.depth--
		if err != nil {
			return false, err
		}
		if c := p.next(); c.kind != ctkRParen {
			return false, p.errAt(c, "expected ')', found "+c.describe())
		}
		return v, nil
	}
	l, err := p.value()
	if err != nil {
		return false, err
	}
	if p.peek().kind != ctkCmp {
		return l.truth(), nil
	}
	op := p.next()
	r, err := p.value()
	if err != nil {
		return false, err
	}
	return condCompare(l, op.op, op.ci, r), nil
}

type condValKind int

const (
	cvInt     condValKind = iota // integer literal or feature/component state
	cvSymbol                     // property or environment variable
	cvLiteral                    // quoted string
)

type condValue struct {
	kind condValKind
	n    int32
	s    string
}

func (v condValue) truth() bool {
	if v.kind == cvInt {
		return v.n != 0
	}
	return v.s != ""
}

func (p *condParser) value() (condValue, error) {
	t := p.next()
	switch t.kind {
	case ctkInt:
		return condValue{kind: cvInt, n: t.n}, nil
	case ctkString:
		return condValue{kind: cvLiteral, s: t.text}, nil
	case ctkIdent:
		return condValue{kind: cvSymbol, s: p.env.Property(t.text)}, nil
	case ctkPrefix:
		id := p.next()
		// A keyword spelling (e.g. "$Not") is still a name here.
		if id.kind != ctkIdent && (id.kind < ctkNot || id.kind > ctkImp) {
			return condValue{}, p.errAt(id, "expected a name after "+strconv.Quote(t.text)+", found "+id.describe())
		}
		name := id.text
		var st int
		var ok bool
		switch t.text {
		case "%":
			return condValue{kind: cvSymbol, s: p.env.Environment(name)}, nil
		case "$", "?":
			st, ok = p.env.ComponentState(name, t.text == "?")
		default: // "&", "!"
			st, ok = p.env.FeatureState(name, t.text == "!")
		}
		if !ok {
			// An unknown component or feature reads as an empty value, so a
			// bare "&nofeature" is false (R: Windows results recorded in
			// Wine's dlls/msi/tests/package.c).
			return condValue{kind: cvSymbol, s: ""}, nil
		}
		return condValue{kind: cvInt, n: int32(st)}, nil
	}
	return condValue{}, p.errAt(t, "expected a value, found "+t.describe())
}

// condInt reads a property value as an integer: optional '-', then decimal digits,
// within int32 ("-0" is 0; "+1", " 1", "1.0" are not integers).
func condInt(s string) (int32, bool) {
	d := strings.TrimPrefix(s, "-")
	if d == "" {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if !condDigit(d[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int32(n), err == nil
}

func condCompare(l condValue, op condOp, ci bool, r condValue) bool {
	switch {
	case l.kind == cvInt && r.kind == cvInt:
		return condCompareInt(l.n, op, r.n)
	case l.kind == cvInt || r.kind == cvInt:
		// A quoted literal is never converted: 1 = "1" is false on Windows.
		li, lok := l.n, l.kind == cvInt
		ri, rok := r.n, r.kind == cvInt
		if l.kind == cvSymbol {
			li, lok = condInt(l.s)
		}
		if r.kind == cvSymbol {
			ri, rok = condInt(r.s)
		}
		if lok && rok {
			return condCompareInt(li, op, ri)
		}
		return op == copNE // the documented rule for an integer against a non-integer
	}
	if op >= copContains {
		if l.s == "" {
			return false // nothing contains, starts or ends with anything
		}
		if r.s == "" {
			return true
		}
	}
	// Two integer-valued strings compare as integers unless both are literals
	// ("1" > "12" is false, but properties 7 <= 50 is true).
	if l.kind == cvSymbol || r.kind == cvSymbol {
		if li, ok := condInt(l.s); ok {
			if ri, ok := condInt(r.s); ok {
				return condCompareInt(li, op, ri)
			}
		}
	}
	a, b := l.s, r.s
	if ci {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	switch op {
	case copContains:
		return strings.Contains(a, b)
	case copStarts:
		return strings.HasPrefix(a, b)
	case copEnds:
		return strings.HasSuffix(a, b)
	}
	return condOrdered(strings.Compare(a, b), op) // byte-wise, i.e. ordinal
}

// condCompareInt applies op to integers; the substring operators are bitwise here.
func condCompareInt(a int32, op condOp, b int32) bool {
	switch op {
	case copContains:
		return a&b != 0 // any bits in common
	case copStarts:
		return int64(uint32(a)>>16) == int64(b) // high 16 bits equal right
	case copEnds:
		return int64(uint32(a)&0xffff) == int64(b) // low 16 bits equal right
	}
	c := 0
	if a < b {
		c = -1
	} else if a > b {
		c = 1
	}
	return condOrdered(c, op)
}

func condOrdered(c int, op condOp) bool {
	switch op {
	case copEQ:
		return c == 0
	case copNE:
		return c != 0
	case copLT:
		return c < 0
	case copGT:
		return c > 0
	case copLE:
		return c <= 0
	case copGE:
		return c >= 0
	}
	return false
}
