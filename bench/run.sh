#!/usr/bin/env bash
# Isthmus benchmark suite: one command. Installs nothing; says what is missing.
#
#   bench/run.sh                      every suite: throughput (peers + Isthmus WebRoute links), latency,
#                                     pairs, remoted, idle (about 11 minutes on 2 cores)
#   bench/run.sh throughput           only iperf3 (default scenarios); or name scenarios:
#   bench/run.sh direct haproxy-splice isthmus-splice --seconds 5 --rounds 3 --streams 1,4
#   bench/run.sh pairs idle --rounds 1
#   bench/run.sh wisp                 Wisp (1 and 10 streams on one WebSocket, streams/s) vs the npm wisp-js 0.5.0 server
#   bench/run.sh bare                 Bare v3 GET through Isthmus vs @tomphttp/bare-server-node 2.0.6 (nginx origin)
#   bench/run.sh wstunnel             websocktunnel viewers through one `isthmus wst-client` session (nginx origin)
#   bench/run.sh all                  every suite plus the dock and engine-only probe scenarios
#   bench/run.sh --help
#
# Needs the built gateway (mvn -B -q package -DskipTests: distribution/target/isthmus) for the Isthmus
# rows. Everything listens on 127.0.0.1 only. Results: printed, and written to bench/results/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 ($2)"); }
need python3 "python3"
args=("$@")
scen=()
for a in "${args[@]}"; do [[ "$a" == -* ]] && break; scen+=("$a"); done
has() { local p="$1"; [[ ${#scen[@]} -eq 0 || " ${scen[*]} " == *" all "* ]] && return 0; for a in "${scen[@]}"; do [[ "$a" == $p* ]] && return 0; done; return 1; }
# iperf3 drives every suite but bare and rawsocket, which bring their own load clients.
only_own=true
for a in "${scen[@]}"; do [[ $a == bare || $a == rawsocket || $a == wisp || $a == wstunnel ]] || only_own=false; done
if [[ ${#scen[@]} -eq 0 ]] || ! $only_own; then need iperf3 "iperf3"; fi
if has throughput || has socat; then need socat "socat"; fi
if has throughput || has nginx; then
  need nginx "nginx-light"
  [[ -f /usr/lib/nginx/modules/ngx_stream_module.so ]] || missing+=("nginx stream module (libnginx-mod-stream)")
fi
if has throughput || has haproxy; then need haproxy "haproxy"; fi
if has wisp; then need node "nodejs; and testing/install-deps.sh for @mercuryworkshop/wisp-js"; need javac "a JDK 17 (javac compiles bench/wisp/WispLoad.java)"; fi
if has rawsocket; then need websockify "websockify"; need gcc "gcc"; need java "a JDK 17"; fi
java_suite=false
for s in isthmus latency pairs remoted idle throughput bare wstunnel; do has "$s" && java_suite=true; done
if has bare; then
  need nginx "nginx-light"
  need node "nodejs; and testing/install-deps.sh for @tomphttp/bare-server-node"
fi
if has wstunnel; then need nginx "nginx-light"; fi
if has probe || $java_suite; then need java "a JDK 17"; fi
if $java_suite; then need javac "a JDK 17 (javac compiles bench/java/BenchLoad.java)"; need jcmd "a JDK 17 (jcmd)"; fi
if has probe; then need mvn "maven, to resolve gateway-core's test classpath once"; fi
# The C tools, built into the work directory at start: the WebRoute shim that lets iperf3 speak WebRoute
# (isthmus-copy/-splice) and the pairs load generator; both hash Sec-WebRoute-Accept with libcrypto.
c_tools=false
for s in throughput isthmus-copy isthmus-splice pairs; do has "$s" && c_tools=true; done
if $c_tools; then
  need gcc "gcc"
  [[ -f /usr/include/openssl/evp.h ]] || missing+=("OpenSSL headers and libcrypto (libssl-dev)")
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "missing tools:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  echo "on Debian: apt-get update && apt-get install -y iperf3 socat nginx-light libnginx-mod-stream haproxy gcc libssl-dev websockify" >&2
  exit 2
fi
exec python3 "$here/lib/bench.py" "$@"
