package genverify

import "testing"

// camel must agree with the accessor names flatc 2.0.8 generates (each case below
// was checked against flatc's output), or generated Touch code calls accessors that
// do not exist.
func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"id": "Id", "client_name": "ClientName", "field_2x": "Field2x", "_under": "_under",
		"trailing_": "Trailing_", "a__b": "A_b", "type": "Type", "signed_bytes": "SignedBytes",
		"x": "X", "ALLCAPS": "Allcaps", "myField": "MyField", "HTTPServer": "Httpserver",
		"a_B": "AB", "x1_y": "X1Y",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}
