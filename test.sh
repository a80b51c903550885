#!/usr/bin/env bash
# Runs every test: installs what the tests need (testing/install-deps.sh: Debian packages, npm
# clients), then the unit and integration tests of every module. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
testing/install-deps.sh
# Node.js 20 that install-deps.sh fetched where the system's is older (Debian 12's nodejs 18).
for local_node in testing/.node/node_modules/node-linux-*/bin; do
  [[ -x $local_node/node ]] && export PATH="$PWD/$local_node:$PATH"
done
exec mvn -B verify "$@"
