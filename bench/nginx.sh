#!/usr/bin/env bash
# nginx.sh NGINX DIR WWW HOST PORT: runs nginx in the foreground as the static-file anchor of
# bench/run.sh: one worker, sendfile on, access log off (and tcp_nopush on, as Debian's own
# config has it), serving WWW on HOST:PORT only, with its config, pid file and logs in DIR.
# `exec`, so that the caller's pid is nginx's master: TERM stops it and its worker.
set -euo pipefail
nginx="$1" dir="$2" www="$3" host="$4" port="$5"
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    client_body_temp_path $dir;
    proxy_temp_path $dir;
    fastcgi_temp_path $dir;
    uwsgi_temp_path $dir;
    scgi_temp_path $dir;
    server {
        listen $host:$port;
        root $www;
    }
}
CONF
exec "$nginx" -p "$dir" -c "$dir/nginx.conf"
