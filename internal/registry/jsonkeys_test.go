package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestCheckKeys(t *testing.T) {
	known := []string{"a", "b", "methods"}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{}`, true},
		{` { "a" : 1 , "b":"x" } `, true},
		{`{"a":"}\"{,","b":[{"zz":1},"]"]}`, true},
		{`{"methods":[{"name":"m","fp":1},{"name":"n","fp":2}],"a":{"a":{"a":1}}}`, true},
		{`{"a":true,"b":null}`, true},
		{`{"a":-1.5e3}`, true},
		{"{\n\t\"a\"\r:\n1}", true},
		{`{"c":1}`, false},
		{`{"a":1,"a":2}`, false},
		{`{"A":1}`, false},
		{`{"\u0061":1}`, false},
		{`{"a":{"c":1},"c":2}`, false},
		{`[]`, false},
		{`"a"`, false},
		{`null`, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if !json.Valid([]byte(tc.in)) {
				t.Fatalf("test input %s is not valid JSON", tc.in)
			}
			if err := checkKeys([]byte(tc.in), known); (err == nil) != tc.ok {
				t.Fatalf("checkKeys(%s) = %v, want ok=%v", tc.in, err, tc.ok)
			}
		})
	}
}

func TestCheckKeysDoesNotAllocate(t *testing.T) {
	b := []byte(`{"v":1,"service":"orders","instance":"a","pid":7,"methods":[{"name":"x","fp":1}]}`)
	if n := testing.AllocsPerRun(100, func() {
		if err := checkKeys(b, descriptorKeys); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("checkKeys allocates %v times per call", n)
	}
}

// refKeys is a slow reference for checkKeys built on encoding/json's tokenizer.
func refKeys(b []byte, known []string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not an object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k := tok.(string)
		if !slices.Contains(known, k) || seen[k] {
			return fmt.Errorf("key %q", k)
		}
		seen[k] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// FuzzCheckKeys compares checkKeys with the tokenizer-based reference on valid JSON.
func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x"}`, `{"a":"}\"{,","b":[{"c":1},"]"]}`, `{"a":1,"a":1}`,
		`{"methods":[{"name":"m","fp":1}]}`, `{"a":{"b":[1,2,{"c":null}]},"c":true}`, `[1]`, `{"c":1}`} {
		f.Add([]byte(s))
	}
	known := []string{"a", "b", "methods"}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		got, want := checkKeys(b, known), refKeys(b, known)
		if got != nil && strings.Contains(got.Error(), "escaped key") {
			return // stricter than the reference by design
		}
		if (got == nil) != (want == nil) {
			t.Fatalf("checkKeys(%s) = %v, reference says %v", b, got, want)
		}
	})
}
