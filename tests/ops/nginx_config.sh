#!/usr/bin/env bash
# packaging/nginx/tickerd.conf: `nginx -t` accepts it inside a small wrapper
# config (an http {} block, as /etc/nginx/conf.d/ files are read), with a
# throw-away certificate in place of the example's paths; and it proxies what
# it should and never /metrics.
#   nginx_config.sh SOURCE_DIR
set -euo pipefail
src=$1
conf=$src/packaging/nginx/tickerd.conf
nginx=$(command -v nginx || true)
[ -n "$nginx" ] || nginx=$(command -v /usr/sbin/nginx || true)
[ -n "$nginx" ] || { echo "SKIP: nginx is not installed (Debian package nginx; scripts/setup --test installs it)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed"; exit 77; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ticker.example.com \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
sed -e "s|/etc/ssl/certs/ticker.example.com.pem|$dir/cert.pem|" \
    -e "s|/etc/ssl/private/ticker.example.com.key|$dir/key.pem|" "$conf" > "$dir/tickerd.conf"
grep -q "$dir/cert.pem" "$dir/tickerd.conf" || { echo "FAIL: the certificate path of the example changed"; exit 1; }
cat > "$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/tickerd.conf;
}
CONF
"$nginx" -t -q -e stderr -p "$dir" -c "$dir/nginx.conf"

# What the file must say, beyond being valid.
fail=0
need() { grep -Eq "$1" "$conf" || { echo "FAIL: $conf lacks: $2"; fail=1; }; }
need 'location /v1/ \{' 'a location for the API and the streams'
need 'proxy_set_header Upgrade \$http_upgrade;' 'the WebSocket upgrade of /v1/stream'
need 'proxy_http_version 1\.1;' 'HTTP/1.1 to tickerd (needed for the upgrade and keep-alive)'
need 'proxy_buffering off;' 'unbuffered Server-Sent Events on /v1/events'
need 'location = /metrics \{' 'a location keeping /metrics off the proxy'
need 'location / \{' 'the static files'
awk '/location = \/metrics \{/{m=1} m&&/return 404;/{ok=1} m&&/\}/{m=0} END{exit ok?0:1}' "$conf" ||
  { echo "FAIL: /metrics must answer 404"; fail=1; }
exit $fail
