#!/usr/bin/env bash
# Runs every test: installs what the tests need (testing/install-deps.sh: Debian packages, npm
# clients), then the unit and integration tests of every module. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
testing/install-deps.sh
exec mvn -B verify "$@"
