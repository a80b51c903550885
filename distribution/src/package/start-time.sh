#!/bin/bash
# The start-up figure of docs/OPERATIONS.md: launches EXE run on random loopback ports, polls /readyz every
# 10 ms, and prints "WALL_S CPU_S": seconds from launch to the first 200, and the JVM's CPU seconds by then.
# usage: distribution/src/package/start-time.sh /opt/isthmus/bin/isthmus   (needs curl, bc)
exe=$1
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
t0=$(date +%s%N)
ISTHMUS_LISTEN=127.0.0.1:$port ISTHMUS_ADMIN_LISTEN=127.0.0.1:$admin "$exe" run >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 3000); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$admin/readyz" 2>/dev/null; then break; fi
  sleep 0.01
done
t1=$(date +%s%N)
ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
kill -TERM $pid; wait $pid 2>/dev/null
echo "$(echo "scale=2; ($t1 - $t0) / 1000000000" | bc) $(echo "scale=2; $ticks / $(getconf CLK_TCK)" | bc)"
