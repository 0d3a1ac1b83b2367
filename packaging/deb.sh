#!/usr/bin/env bash
# Builds pyhost_VERSION_ARCH.deb with dpkg-deb alone (no debhelper): the native binary, a man page made from its
# --help, the Debian copyright and changelog, and whatever the repository ships under deploy/, by this rule:
#   deploy/systemd/*.{service,socket,timer,path,target}  ->  /lib/systemd/system/   (Debian 12's unit directory)
#   deploy/logrotate/*                                   ->  /etc/logrotate.d/       (conffiles: local edits are kept)
#   anything else under deploy/                          ->  /usr/share/doc/pyhost/examples/ (same relative path)
#   usage: packaging/deb.sh BINARY OUTPUT_DIR
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BINARY OUTPUT_DIR" >&2
  exit 2
fi
binary=$(realpath "$1")
output=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
[ -x "$binary" ] || { echo "$binary: not an executable; build it first with \`make build\`" >&2; exit 1; }

version=$("$binary" --version)
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-"PyHost maintainers <maintainers@pyhost.invalid>"}
# reproducible-builds.org: dates and file times come from the last commit, so the same tree gives the same package.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}

root=$(mktemp -d)
chmod 0755 "$root"   # mktemp makes it 0700; it is the package's ./
trap 'rm -rf "$root"' EXIT
doc=$root/usr/share/doc/pyhost
install -d "$root/DEBIAN" "$root/usr/bin" "$doc" "$root/usr/share/man/man1"

install -m 0755 "$binary" "$root/usr/bin/pyhost"
# The linker's .comment (compiler versions) is of no use in a stripped binary; dh_strip drops it too.
objcopy --remove-section=.comment "$root/usr/bin/pyhost"
/usr/bin/python3 "$here/manpage.py" "$binary" | gzip -9n > "$root/usr/share/man/man1/pyhost.1.gz"
install -m 0644 "$here/debian/copyright" "$doc/copyright"
# A native package (its version has no Debian revision): Policy §12.7 names the changelog changelog.gz.
{
  echo "pyhost ($version) unstable; urgency=medium"
  echo
  echo "  * Upstream release $version; the changes are in the project's history."
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.gz"

units=0
if [ -d "$repo/deploy" ]; then
  while IFS= read -r -d '' file; do
    relative=${file#"$repo/deploy/"}
    case "$relative" in
      systemd/*.service | systemd/*.socket | systemd/*.timer | systemd/*.path | systemd/*.target)
        install -D -m 0644 "$file" "$root/lib/systemd/system/$(basename "$file")"
        units=$((units + 1)) ;;
      logrotate/*)
        install -D -m 0644 "$file" "$root/etc/logrotate.d/$(basename "$file")"
        echo "/etc/logrotate.d/$(basename "$file")" >> "$root/DEBIAN/conffiles" ;;
      *)
        install -D -m 0644 "$file" "$doc/examples/$relative" ;;
    esac
  done < <(find "$repo/deploy" -type f -print0 | sort -z)
fi

if [ "$units" -gt 0 ]; then
  # What dh_installsystemd adds for units it does not enable: systemd rereads its unit files after an install
  # or a removal. Template units (pyhost@.service) are enabled by the administrator, per site.
  for script in postinst postrm; do
    cat > "$root/DEBIAN/$script" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
EOF
    chmod 0755 "$root/DEBIAN/$script"
  done
fi

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: pyhost
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: libc6 (>= $(objdump -p "$binary" | grep -o 'GLIBC_[0-9.]*' | cut -d_ -f2 | sort -V | tail -1))
Recommends: python3
Section: httpd
Priority: optional
Description: web server and application server for Python WSGI apps
 PyHost runs Python web applications: one program that is the web server
 (HTTP/1.1 and HTTP/2 on Kestrel), the application server (a supervised pool
 of Python worker processes running a WSGI app) and the bridge to Django,
 Flask, Pyramid and other frameworks. It runs the app in the Python
 interpreter or virtualenv given with --python.
 .
 The pyhost executable is native: it needs no .NET runtime.
EOF

(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$output"
package="$output/pyhost_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >/dev/null
echo "built $package"
