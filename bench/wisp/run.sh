#!/usr/bin/env bash
# Wisp throughput: Isthmus's Wisp endpoint vs the npm @mercuryworkshop/wisp-js 0.5.0 server, with the same
# load client (WispLoad.java: one WebSocket, 1 or 10 TCP streams, 64 KiB DATA packets, download = target
# to client, upload = client to target within CONTINUE credit). Reports MiB/s, the server process's CPU
# seconds per GB moved (utime+stime from /proc), and streams opened per second.
#
#   bench/wisp/run.sh [SECONDS]        (default 8 s per row; needs distribution/target/isthmus built with
#                                       mvn -B -q package -DskipTests, node and testing/npm installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
secs="${1:-8}"
gw="$root/distribution/target/isthmus"
[[ -x "$gw" ]] || { echo "build the gateway first: mvn -B -q package -DskipTests" >&2; exit 2; }
[[ -d "$root/testing/npm/node_modules/@mercuryworkshop/wisp-js" ]] || { echo "run: cd testing/npm && npm ci" >&2; exit 2; }
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
javac -d "$work" "$here/WispLoad.java"

gport=$(free_port)
cat > "$work/isthmus.conf" <<CONF
isthmus.listen = "127.0.0.1:$gport"
isthmus.admin.enabled = false
isthmus.logging.access-log = false
isthmus.plugins.rawsocket.wisp.egress.allow-cidrs = ["127.0.0.0/8"]
CONF
"$gw" run --config "$work/isthmus.conf" > "$work/isthmus.log" 2>&1 &
ipid=$!
wport=$(free_port)
NODE_PATH="$root/testing/npm/node_modules" node "$here/wisp-js-server.cjs" "$wport" > "$work/wisp-js.log" 2>&1 &
npid=$!
wait_port "$gport"; wait_port "$wport"
# The gateway's JVM is the `java` child of the launcher script.
jpid=$(pgrep -P "$ipid" java || echo "$ipid")

hz=$(getconf CLK_TCK)
printf '%-12s %-9s %7s %9s %12s %14s\n' server direction streams MiB/s "CPU-s/GB" "streams/s"
for server in isthmus wisp-js; do
  if [[ $server == isthmus ]]; then url="ws://127.0.0.1:$gport/sockets/wisp/"; pid=$jpid; else url="ws://127.0.0.1:$wport/"; pid=$npid; fi
  # Warm-up (JIT), not reported.
  java -cp "$work" WispLoad "$url" download 1 3 > /dev/null
  for dir in download upload; do
    for n in 1 10; do
      before=$(cpu_ticks "$pid")
      line=$(java -cp "$work" WispLoad "$url" "$dir" "$n" "$secs")
      after=$(cpu_ticks "$pid")
      read -r _ _ _ bytes mibs opened <<< "$line"
      cpu=$(python3 -c "print(f'{($after-$before)/$hz/max($bytes,1)*1e9:.2f}')")
      printf '%-12s %-9s %7s %9s %12s %14s\n' "$server" "$dir" "$n" "$mibs" "$cpu" "$opened"
    done
  done
done
