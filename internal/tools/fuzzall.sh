#!/usr/bin/env bash
# Runs every fuzz target in the module, and the bench module's, for $FUZZTIME each.
# A fuzz target is any func FuzzX(*testing.F) found by 'go test -list'.
#
# A run that fails without writing a failing input (go test -fuzz sometimes ends a
# time-limited run with "context deadline exceeded" while it is minimising a new
# interesting input: a race in the fuzz coordinator, go.dev/issue/75804, fixed in Go
# 1.27, not in the go1.26.8 here; not a finding) is run once more; a second
# failure, or any failure that wrote an input under testdata/fuzz, fails the script.
set -euo pipefail
FUZZTIME=${FUZZTIME:-5s}
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# fuzz DIR PKG TARGET: run one target from module directory DIR.
fuzz() {
  local dir=$1 pkg=$2 t=$3
  for try in 1 2; do
    echo "fuzz $pkg $t ($FUZZTIME)"
    if (cd "$dir" && go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg") >"$log" 2>&1; then
      return 0
    fi
    if grep -q "Failing input written" "$log" || ! grep -q "context deadline exceeded" "$log"; then
      break
    fi
    echo "fuzz $pkg $t: ended with 'context deadline exceeded' and no failing input; once more"
  done
  cat "$log"
  status=1
}

for pkg in $(go list ./...); do
  if ! listing=$(go test -list '^Fuzz' "$pkg" 2>&1); then
    echo "fuzzall: cannot list fuzz targets of $pkg:"; echo "$listing"; status=1; continue
  fi
  for t in $(printf '%s\n' "$listing" | grep '^Fuzz' || true); do
    fuzz . "$pkg" "$t"
  done
done
# The bench module's own fuzz target (its parser of go test output).
fuzz bench ./internal/harness FuzzParseGoBench
exit $status
