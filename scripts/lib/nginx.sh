# nginx on 127.0.0.1 as the Service's stand-in (sourced by scripts/rehearse-deploy.sh and
# scripts/container-check.sh): it spreads requests over the replicas, and passes a request on
# to the next replica when one is gone or draining (kube-proxy drops a terminating pod's
# endpoint during its preStop pause; here nginx plays that part). Recommendations only read,
# so a POST may be retried too.
#
#   nginx_front WORK PORT KEEPALIVE ADDR...   writes WORK/nginx.conf (pid in WORK/nginx.pid,
#                                             errors in WORK/nginx-error.log) and starts
#                                             nginx on 127.0.0.1:PORT in front of ADDR...;
#                                             fails when nginx does not start
#
# The caller stops it: kill "$(cat WORK/nginx.pid)".
nginx_front() {
  local work="$1" port="$2" keepalive="$3" upstreams="" addr
  shift 3
  for addr in "$@"; do
    upstreams+="    server $addr max_fails=1 fail_timeout=2s;"$'\n'
  done
  cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-body;
  proxy_temp_path $work/nginx-proxy;
  upstream segue {
$upstreams    keepalive $keepalive;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://segue;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_503 non_idempotent;
      proxy_next_upstream_tries 3;
    }
  }
}
NGINX
  nginx -p "$work" -c "$work/nginx.conf" -g 'daemon on;'
}
