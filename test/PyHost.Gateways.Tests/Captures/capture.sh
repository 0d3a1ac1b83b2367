#!/usr/bin/env bash
# Regenerates the captured request vectors: real nginx, Apache httpd and lighttpd (Debian's packages) pass a few
# requests by uwsgi, SCGI and FastCGI to recorder.py, which keeps the bytes. The tests read the committed .bin files;
# this script is not part of `make test`. Needs: nginx apache2 lighttpd curl python3 (apt-get install them).
#   usage: test/PyHost.Gateways.Tests/Captures/capture.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# The requests, in the order the recorder numbers them. $1: front port, $2: "big" to add a 40,000-byte POST, which a
# FastCGI front splits into several FCGI_STDIN records.
send_requests() {
  local base="http://127.0.0.1:$1"
  curl -sS -o /dev/null "$base/hello/w%C3%B6rld?x=1&y=%20" -H 'X-Dup: a' -H 'X-Dup: b' -H 'Cookie: a=1' \
    -H 'Cookie: b=2' -H 'User-Agent: capture'
  curl -sS -o /dev/null "$base/submit" -H 'User-Agent: capture' --data-raw 'a=1&b=2'
  curl -sS -o /dev/null "$base/app/x/y?q=1" -H 'User-Agent: capture'
  if [ "${2:-}" = big ]; then
    /usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(40000)))' > "$work/big"
    curl -sS -o /dev/null "$base/upload" -H 'User-Agent: capture' -H 'Content-Type: application/octet-stream' \
      --data-binary "@$work/big"
  fi
}

# $1: name (e.g. nginx-uwsgi), $2: protocol, $3: recorder port. Leaves the recorder running.
start_recorder() {
  /usr/bin/python3 "$here/recorder.py" "$2" "$3" "$work/$1" &
  pids+=($!)
  wait_port "$3"
}

# Moves the recorder's numbered files to their names in Captures/NAME/.
keep() {
  local name=$1 big=${2:-}
  local names=(get post mounted)
  [ "$big" = big ] && names+=(upload)
  mkdir -p "$here/$name"
  for i in "${!names[@]}"; do
    cp "$work/$name/$((i + 1)).bin" "$here/$name/${names[$i]}.bin"
  done
  echo "captured $name: ${names[*]}"
}

capture_nginx() {
  local front u s f
  front=$(free_port) u=$(free_port) s=$(free_port) f=$(free_port)
  start_recorder nginx-uwsgi uwsgi "$u"
  start_recorder nginx-scgi scgi "$s"
  start_recorder nginx-fastcgi fastcgi "$f"
  mkdir -p "$work/nginx"
  local conf="$work/nginx/nginx.conf" uport sport fport
  uport=$(free_port) sport=$(free_port) fport=$(free_port)
  cat > "$conf" <<EOF
daemon off;
master_process off;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events {}
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  server {
    listen 127.0.0.1:$uport;
    location / { include /etc/nginx/uwsgi_params; uwsgi_pass 127.0.0.1:$u; }
    location /app/ { include /etc/nginx/uwsgi_params; uwsgi_param SCRIPT_NAME /app; uwsgi_pass 127.0.0.1:$u; }
  }
  server {
    listen 127.0.0.1:$sport;
    location / { include /etc/nginx/scgi_params; scgi_pass 127.0.0.1:$s; }
    location /app/ { include /etc/nginx/scgi_params; scgi_param SCRIPT_NAME /app; scgi_pass 127.0.0.1:$s; }
  }
  server {
    listen 127.0.0.1:$fport;
    location / { include /etc/nginx/fastcgi_params; fastcgi_pass 127.0.0.1:$f; }
    location /app/ {
      fastcgi_split_path_info ^(/app)(/.*)\$;
      include /etc/nginx/fastcgi_params;
      fastcgi_param PATH_INFO \$fastcgi_path_info;
      fastcgi_pass 127.0.0.1:$f;
    }
  }
}
EOF
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin nginx -p "$work/nginx" -c "$conf" &
  pids+=($!)
  wait_port "$fport"
  send_requests "$uport"
  send_requests "$sport"
  send_requests "$fport" big
  keep nginx-uwsgi
  keep nginx-scgi
  keep nginx-fastcgi big
}

capture_apache() {
  local u s f uport sport fport
  u=$(free_port) s=$(free_port) f=$(free_port) uport=$(free_port) sport=$(free_port) fport=$(free_port)
  start_recorder apache-uwsgi uwsgi "$u"
  start_recorder apache-scgi scgi "$s"
  start_recorder apache-fastcgi fastcgi "$f"
  mkdir -p "$work/apache"
  local modules=/usr/lib/apache2/modules
  cat > "$work/apache/httpd.conf" <<EOF
ServerRoot $work/apache
ServerName capture.test
PidFile $work/apache/httpd.pid
ErrorLog $work/apache/error.log
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule proxy_module $modules/mod_proxy.so
LoadModule proxy_uwsgi_module $modules/mod_proxy_uwsgi.so
LoadModule proxy_scgi_module $modules/mod_proxy_scgi.so
LoadModule proxy_fcgi_module $modules/mod_proxy_fcgi.so
User www-data
Group www-data
Listen 127.0.0.1:$uport
Listen 127.0.0.1:$sport
Listen 127.0.0.1:$fport
<VirtualHost 127.0.0.1:$uport>
  ProxyPass /app/ uwsgi://127.0.0.1:$u/
  ProxyPass / uwsgi://127.0.0.1:$u/
</VirtualHost>
<VirtualHost 127.0.0.1:$sport>
  ProxyPass /app/ scgi://127.0.0.1:$s/
  ProxyPass / scgi://127.0.0.1:$s/
</VirtualHost>
<VirtualHost 127.0.0.1:$fport>
  ProxyPass /app/ fcgi://127.0.0.1:$f/
  ProxyPass / fcgi://127.0.0.1:$f/
</VirtualHost>
EOF
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apache2 -X -f "$work/apache/httpd.conf" &
  pids+=($!)
  wait_port "$fport"
  send_requests "$uport"
  send_requests "$sport"
  send_requests "$fport" big
  keep apache-uwsgi
  keep apache-scgi
  keep apache-fastcgi big
}

capture_lighttpd() {
  local s f sport fport
  s=$(free_port) f=$(free_port) sport=$(free_port) fport=$(free_port)
  start_recorder lighttpd-scgi scgi "$s"
  start_recorder lighttpd-fastcgi fastcgi "$f"
  mkdir -p "$work/lighttpd/root"
  # lighttpd opens its error log after dropping to www-data.
  chmod 755 "$work"
  chown -R www-data: "$work/lighttpd"
  cat > "$work/lighttpd/lighttpd.conf" <<EOF
server.document-root = "$work/lighttpd/root"
server.bind = "127.0.0.1"
server.port = $fport
server.errorlog = "$work/lighttpd/error.log"
server.username = "www-data"
server.groupname = "www-data"
server.modules = ("mod_fastcgi", "mod_scgi")
fastcgi.server = (
  "/app" => (("host" => "127.0.0.1", "port" => $f, "check-local" => "disable")),
  "/" => (("host" => "127.0.0.1", "port" => $f, "check-local" => "disable")),
)
\$SERVER["socket"] == "127.0.0.1:$sport" {
  fastcgi.server = ()
  scgi.server = (
    "/app" => (("host" => "127.0.0.1", "port" => $s, "check-local" => "disable")),
    "/" => (("host" => "127.0.0.1", "port" => $s, "check-local" => "disable")),
  )
}
EOF
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin lighttpd -D -f "$work/lighttpd/lighttpd.conf" &
  pids+=($!)
  wait_port "$fport"
  wait_port "$sport"
  send_requests "$sport"
  send_requests "$fport" big
  keep lighttpd-scgi
  keep lighttpd-fastcgi big
}

capture_nginx
capture_apache
capture_lighttpd
{
  echo "Captured by capture.sh on $(date -u +%Y-%m-%d) from Debian's packages:"
  dpkg-query -W -f='  ${Package} ${Version}\n' nginx apache2 lighttpd curl
} > "$here/VERSIONS.txt"
cat "$here/VERSIONS.txt"
