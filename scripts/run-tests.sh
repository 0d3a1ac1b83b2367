#!/usr/bin/env bash
# Runs every test project in turn (unit tests first: they are fast and say the most when they fail), then prints
# one closing line for CI: "N passed, N failed, N skipped". Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

projects=(
  test/PyHost.Protocol.Tests
  test/PyHost.Http.Tests
  test/PyHost.Workers.Tests
  test/PyHost.IntegrationTests
)
passed=0 failed=0 skipped=0 status=0
log=$(mktemp)
for project in "${projects[@]}"; do
  [ -d "$project" ] || continue
  echo "== $project"
  dotnet test "$project" -c Release --nologo -v quiet --logger "console;verbosity=normal" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # VSTest's summary: "Passed!  - Failed:     0, Passed:    94, Skipped:     0, Total:    94, Duration: ..."
  read -r f p s < <(awk -F'[:,]' '/(Passed|Failed)! +- +Failed:/ {gsub(/ /,""); print $2, $4, $6}' "$log" | tail -n 1)
  if [ -z "${p:-}" ]; then
    echo "no test summary from $project: counting it as one failure"
    f=1 p=0 s=0 status=1
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
