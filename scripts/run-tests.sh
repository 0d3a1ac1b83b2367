#!/usr/bin/env bash
# Runs every test project in turn (unit tests first: they are fast and say the most when they fail), then prints
# one closing line for CI: "N passed, N failed, N skipped". Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

projects=(
  test/PyHost.Protocol.Tests
  test/PyHost.Gateways.Tests
  test/PyHost.Http.Tests
  test/PyHost.Tls.Tests
  test/PyHost.Workers.Tests
  test/PyHost.Configuration.Tests
  test/PyHost.IntegrationTests
  test/PyHost.AdminTests
  test/PyHost.FrameworkTests
)
passed=0 failed=0 skipped=0 status=0
log=$(mktemp)
failures=$(mktemp)
for project in "${projects[@]}"; do
  [ -d "$project" ] || continue
  echo "== $project"
  dotnet test "$project" -c Release --nologo -v quiet --logger "console;verbosity=normal" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # VSTest's closing block: "Total tests: 94" then "     Passed: 93", "     Failed: 1", "    Skipped: 0" as they apply.
  read -r t p f s < <(awk '/^Total tests:/ {t=$3; p=0; f=0; s=0}
                           t != "" && /^ +Passed: [0-9]+$/ {p=$2}
                           t != "" && /^ +Failed: [0-9]+$/ {f=$2}
                           t != "" && /^ +Skipped: [0-9]+$/ {s=$2}
                           END {if (t != "") print t, p, f, s}' "$log")
  if [ -z "${t:-}" ]; then
    echo "no test summary from $project: counting it as one failure"
    f=1 p=0 s=0 status=1
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  # Each failed test with the first lines of its message, repeated at the end where CI's tail shows them.
  awk -v project="$project" '/^ +Failed [^ ]/ {print project ":" $0; n=6; next}
                             n > 0 && !/^ +(Passed|Skipped) / {print "    " $0; n--; next}
                             {n=0}' "$log" >> "$failures"
done
if [ -s "$failures" ]; then
  echo "== failed tests"
  cat "$failures"
fi
rm -f "$log" "$failures"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
