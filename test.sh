#!/usr/bin/env bash
# Runs every test: installs what the tests need (testing/install-deps.sh: Debian packages, npm
# clients), then the unit and integration tests of every module, then a bounded fuzzing run of every
# Jazzer target. Extra arguments go to the first Maven run (mvn -B verify).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
testing/install-deps.sh
# Node.js 20 that install-deps.sh fetched where the system's is older (Debian 12's nodejs 18).
for local_node in testing/.node/node_modules/node-linux-*/bin; do
  [[ -x $local_node/node ]] && export PATH="$PWD/$local_node:$PATH"
done
mvn -B verify "$@"
# Then every Jazzer target fuzzes for a bounded time (docs/FUZZING.md): FUZZ_SECONDS each, default 5;
# FUZZ_SECONDS=0 skips it. A finding fails the run and leaves its input in the target's Inputs directory.
fuzz_seconds=${FUZZ_SECONDS:-5}
if ((fuzz_seconds > 0)); then
  exec mvn -B -Pfuzz test -pl gateway-core,plugin-webroute,plugin-remoted,plugin-bare,plugin-wstunnel,plugin-rawsocket \
      -Dtest='*FuzzTest' -Dfuzz.duration="${fuzz_seconds}s"
fi
