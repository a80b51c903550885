#!/bin/bash
# System calls of the gateway per 64-byte round trip through a WebRoute link: copy vs the default config
# (zero-copy = auto). A count, not a time: it holds on a busy machine where latency percentiles do not.
#   bench/tools/syscalls-per-round-trip.sh BENCH_WORKDIR   (a bench/run.sh latency work directory: it
#   holds bench-classes/, BenchLoad compiled against the executable). Needs strace; ports 16110-16135.
# Writes strace-{copy,auto,splice}.txt (strace -c over every gateway thread during 5000 round trips) here.
set -u
W=${1:?bench work directory}; ISTHMUS=${ISTHMUS:-$(cd "$(dirname "$0")/../.." && pwd)/distribution/target/isthmus}
J="java -Xmx512m -XX:+UseSerialGC -Dio.netty.leakDetection.level=disabled -cp $W/bench-classes:$ISTHMUS BenchLoad"
for mode in copy auto splice; do
  case $mode in
    copy) port=16110; zc="zero-copy = false" ;;
    auto) port=16120; zc="" ;;
    splice) port=16130; zc="zero-copy = true" ;;
  esac
  cat > gw-$mode.conf <<C
isthmus {
  listen = "127.0.0.1:$port"
  admin.listen = "127.0.0.1:$((port+1))"
  event-loop-threads = 1
  logging.access-log = false
  splice {
    $zc
    max-read-size = 256k
  }
  plugins.webroute { enabled = true, prefix = "/", max-waiting-per-ip = 10000 }
  limits { max-connections-per-ip = 50000 }
}
C
  JAVA_OPTS="-Xmx1g -Dio.netty.leakDetection.level=disabled" $ISTHMUS run --config gw-$mode.conf > gw-$mode.log 2>&1 &
  gwpid=$!
  for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$((port+1))/readyz && break; sleep 0.3; done
  $J echo --listen $((port+5)) --webroute 127.0.0.1:$port /latency sc-$mode > echo-$mode.log 2>&1 &
  echopid=$!
  sleep 3
  $J pingpong --webroute 127.0.0.1:$port /latency sc-$mode --count 20000 --warmup 0 --size 64 > warm-$mode.log 2>&1
  jpid=$(pgrep -P $gwpid java || echo $gwpid)
  tids=$(ls /proc/$jpid/task | sed 's/^/-p /' | tr '\n' ' ')
  strace -c -o strace-$mode.txt $tids &
  spid=$!
  sleep 2
  $J pingpong --webroute 127.0.0.1:$port /latency sc-$mode --count 5000 --warmup 0 --size 64 > pp-$mode.log 2>&1
  kill -INT $spid; wait $spid
  curl -s http://127.0.0.1:$((port+1))/metrics | grep -E "isthmus_splices_total|zero_copy" > metrics-$mode.txt
  kill $echopid $gwpid; wait $echopid $gwpid 2>/dev/null
done
