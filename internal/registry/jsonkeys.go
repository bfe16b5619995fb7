package registry

import (
	"errors"
	"fmt"
)

// checkKeys reports whether the valid JSON text b is an object whose keys are all in
// known (at most 32), spelled exactly without escapes, each at most once. It does not
// allocate unless it fails. b must have passed json.Valid; every index is still checked,
// so a bug here is an error, not a panic.
func checkKeys(b []byte, known []string) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errors.New("not a JSON object")
	}
	i++
	var seen uint32
	for {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		if i >= len(b) {
			return errMalformed
		}
		if b[i] == '}' {
			return nil
		}
		if b[i] != '"' {
			return errMalformed
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				return fmt.Errorf("escaped key %s", b[i:min(j+8, len(b))])
			}
			j++
		}
		if j >= len(b) {
			return errMalformed
		}
		k := -1
		for n, name := range known {
			if string(b[i+1:j]) == name {
				k = n
				break
			}
		}
		if k < 0 {
			return fmt.Errorf("unknown field %q", b[i+1:j])
		}
		if seen&(1<<k) != 0 {
			return fmt.Errorf("field %q repeated", known[k])
		}
		seen |= 1 << k
		i = skipSpace(b, j+1)
		if i >= len(b) || b[i] != ':' {
			return errMalformed
		}
		if i = skipValue(b, i+1); i < 0 {
			return errMalformed
		}
	}
}

var errMalformed = errors.New("malformed JSON object")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value starting at or after b[i], or -1.
func skipValue(b []byte, i int) int {
	i = skipSpace(b, i)
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return -1
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object: a literal just ended
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
		if depth == 0 && i > 0 && (b[i-1] == '"' || b[i-1] == '}' || b[i-1] == ']') {
			return i
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}
