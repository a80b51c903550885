#!/usr/bin/env bash
# Isthmus benchmark suite: one command. Installs nothing; says what is missing.
#
#   bench/run.sh                      peers + Isthmus WebRoute scenarios (pending until the hook is filled)
#   bench/run.sh direct haproxy-splice probe-splice-256k
#   bench/run.sh all --seconds 5 --rounds 3 --streams 1,4
#   bench/run.sh --help
#
# Every peer listens on 127.0.0.1 only. Results: printed, and written to bench/results/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 ($2)"); }
need python3 "python3"
need iperf3 "iperf3"
args=("$@")
scen=()
for a in "${args[@]}"; do [[ "$a" == -* ]] && break; scen+=("$a"); done
has() { local p="$1"; [[ ${#scen[@]} -eq 0 || " ${scen[*]} " == *" all "* ]] && return 0; for a in "${scen[@]}"; do [[ "$a" == $p* ]] && return 0; done; return 1; }
if has socat; then need socat "socat"; fi
if has nginx; then
  need nginx "nginx-light"
  [[ -f /usr/lib/nginx/modules/ngx_stream_module.so ]] || missing+=("nginx stream module (libnginx-mod-stream)")
fi
if has haproxy; then need haproxy "haproxy"; fi
if has probe || has isthmus; then need java "a JDK 17"; fi
if has probe; then need mvn "maven, to resolve gateway-core's test classpath once"; fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "missing tools:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  echo "on Debian: apt-get update && apt-get install -y iperf3 socat nginx-light libnginx-mod-stream haproxy" >&2
  exit 2
fi
exec python3 "$here/lib/bench.py" "$@"
