#!/usr/bin/env bash
# Runs every fuzz target in the module (and in the bench module, if any) for $FUZZTIME.
# A fuzz target is any func FuzzX(*testing.F) found by 'go test -list'.
set -euo pipefail
FUZZTIME=${FUZZTIME:-5s}
cd "$(dirname "$0")/../.."
status=0
for pkg in $(go list ./...); do
  if ! listing=$(go test -list '^Fuzz' "$pkg" 2>&1); then
    echo "fuzzall: cannot list fuzz targets of $pkg:"; echo "$listing"; status=1; continue
  fi
  targets=$(printf '%s\n' "$listing" | grep '^Fuzz' || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($FUZZTIME)"
    if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/fuzz.$$.log 2>&1; then
      cat /tmp/fuzz.$$.log; status=1
    fi
  done
done
# The bench module's own fuzz target (its parser of go test output).
echo "fuzz bench/internal/harness FuzzParseGoBench ($FUZZTIME)"
if ! (cd bench && go test -run '^$' -fuzz '^FuzzParseGoBench$' -fuzztime "$FUZZTIME" ./internal/harness) >/tmp/fuzz.$$.log 2>&1; then
  cat /tmp/fuzz.$$.log; status=1
fi
rm -f /tmp/fuzz.$$.log
exit $status
