package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Decode makes the named fault with params (a JSON object; empty means
// the defaults), strictly: an unknown parameter or a wrong type is an
// error, then Validate runs if the fault has it.
func Decode(name string, params json.RawMessage) (Fault, error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	f := info.New()
	if p := bytes.TrimSpace(params); len(p) > 0 && string(p) != "null" {
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.DisallowUnknownFields()
		if err := dec.Decode(f); err != nil {
			return nil, fmt.Errorf("faults: %s parameters: %w", name, err)
		}
	}
	if v, ok := f.(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("faults: %s: %w", name, err)
		}
	}
	return f, nil
}

// Params is a fault's parameters as JSON, for journals and records.
func Params(f Fault) json.RawMessage {
	b, err := json.Marshal(f)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

// Param describes one parameter of a fault, from its struct field.
type Param struct {
	Name    string // the JSON/YAML key
	Type    string
	Doc     string // the field's `doc` tag
	Default string
}

// ParamsOf lists a registered fault's parameters, in field order.
func ParamsOf(name string) ([]Param, error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	f := info.New()
	v := reflect.ValueOf(f)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, nil
	}
	var out []Param
	for i := 0; i < v.NumField(); i++ {
		sf := v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		key := strings.Split(sf.Tag.Get("json"), ",")[0]
		if key == "-" {
			continue
		}
		if key == "" {
			key = sf.Name
		}
		def, _ := json.Marshal(v.Field(i).Interface())
		out = append(out, Param{Name: key, Type: sf.Type.String(), Doc: sf.Tag.Get("doc"), Default: string(def)})
	}
	return out, nil
}
