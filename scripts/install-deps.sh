#!/usr/bin/env bash
# Installs the Debian packages PyHost needs, only those missing.
#   install-deps.sh build     what `make build` needs besides the .NET SDK: NativeAOT links with gcc and strips with objcopy
#   install-deps.sh runtime   what `make demo` needs: Debian's Python
#   install-deps.sh test      what `make test` needs besides: the peers and tools the tests drive
set -euo pipefail

build=(gcc libc6-dev binutils)
runtime=(python3 ca-certificates)
test=(python3 python3-venv gunicorn wrk curl procps nginx haproxy openssl systemd logrotate iproute2 util-linux pebble caddy nghttp2-client apache2-utils
      apache2 lighttpd lighttpd-mod-openssl python3-zmq
      python3-django python3-flask python3-pyramid python3-pastedeploy python3-bottle python3-falcon python3-pywps
      python3-uvicorn python3-hypercorn python3-websockets python3-uvloop python3-httptools
      python3-fastapi python3-starlette python3-quart python3-multipart
      prometheus chromium tmux)

case "${1:-runtime}" in
  build) wanted=("${build[@]}") ;;
  runtime) wanted=("${runtime[@]}") ;;
  test) wanted=("${build[@]}" "${runtime[@]}" "${test[@]}") ;;
  *) echo "usage: $0 build|runtime|test" >&2; exit 2 ;;
esac

if ! command -v dotnet >/dev/null; then
  echo "PyHost builds with the .NET 10 SDK, and 'dotnet' is not on PATH. Install the SDK, then run this again." >&2
  exit 1
fi

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing from Debian: ${missing[*]}"
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
# Debian starts nginx and haproxy as services when they are installed; the tests run their own, on free ports. A
# policy-rc.d answering 101 ("action forbidden", invoke-rc.d(8)) keeps them stopped, for this install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# written by PyHost scripts/install-deps.sh during apt-get install; removed after\nexit 101\n' |
    "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi
"${as_root[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
