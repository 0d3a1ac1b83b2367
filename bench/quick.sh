#!/usr/bin/env bash
# Quick comparison: wrk against PyHost and Debian's gunicorn (sync workers) serving the same hello-world app with the
# same number of worker processes, in one run. Prints both rates and the ratio. Not part of `make test`.
#   usage: bench/quick.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
connections=${2:-64}
workers=${WORKERS:-$(nproc)}
python=/usr/bin/python3
pyhost=artifacts/pyhost
apps=bench/apps
[ -x "$pyhost" ] || { echo "build first: make build" >&2; exit 1; }
for tool in wrk gunicorn; do command -v "$tool" >/dev/null || { echo "missing $tool: make test-deps" >&2; exit 1; }; done

started=()
cleanup() { for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    if "$python" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2; return 1
}
# Prints "requests_per_second errors" for one wrk run.
measure() {
  wrk -t2 -c"$connections" -d2s "$1" >/dev/null 2>&1   # warm-up
  local out; out=$(wrk -t2 -c"$connections" -d"${duration}s" "$1")
  local rate errors
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",","");for(i=1;i<=NF;i++) if($i ~ /^[0-9]+$/) n+=$i} END {print n+0}' <<<"$out")
  echo "$rate $errors"
}

gport=$(free_port)
gunicorn --chdir "$apps" -w "$workers" -k sync -b "127.0.0.1:$gport" --log-level warning hello:app &
started+=($!)
pport=$(free_port)
"$pyhost" serve hello:app --python "$python" --chdir "$apps" -w "$workers" -b "127.0.0.1:$pport" --log-level warning &
started+=($!)
wait_port "$gport"; wait_port "$pport"

echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'), kernel $(uname -r)"
echo "gunicorn $(gunicorn --version 2>&1 | awk '{print $NF}'), pyhost $("$pyhost" --version), $workers workers each, wrk -c$connections -d${duration}s"
read -r grate gerr < <(measure "http://127.0.0.1:$gport/")
read -r prate perr < <(measure "http://127.0.0.1:$pport/")
printf '%-28s %12s req/s  errors %s\n' "gunicorn (sync)" "$grate" "$gerr" "pyhost" "$prate" "$perr"
awk -v p="$prate" -v g="$grate" 'BEGIN { printf "ratio pyhost/gunicorn: %.2fx\n", p / g }'
