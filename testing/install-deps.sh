#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the Debian packages listed in
# testing/apt-packages.txt and the npm clients pinned in testing/npm/package-lock.json.
# As root (or with sudo) it installs; otherwise it stops at once with the exact apt-get line to run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DEBIAN_FRONTEND=noninteractive

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$here/apt-packages.txt")

missing=()
for pkg in "${wanted[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
# Node from another source (nodesource) brings its own npm; Debian's nodejs needs Debian's npm.
if [[ " ${missing[*]-} " != *" nodejs "* ]] && ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "error: the tests need Debian packages that are not installed. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  # Package scripts must not start services (nginx would take port 80): tests start their own.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | ${as_root[@]+"${as_root[@]}"} tee "$policy" >/dev/null
    ${as_root[@]+"${as_root[@]}"} chmod 755 "$policy"
    trap '${as_root[@]+"${as_root[@]}"} rm -f "$policy"' EXIT
  fi
  ${as_root[@]+"${as_root[@]}"} apt-get update -q
  ${as_root[@]+"${as_root[@]}"} apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
  if ! command -v npm >/dev/null 2>&1; then
    ${as_root[@]+"${as_root[@]}"} apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 npm
  fi
else
  echo "Debian packages present: ${wanted[*]}"
fi

# podman on our machines (../shared/protocols/containers.md): runc, and no default ulimits (podman's
# defaults make runc fail with "setrlimit RLIMIT_NOFILE: Operation not permitted").
containers_conf=/etc/containers/containers.conf
if [[ ! -e $containers_conf ]]; then
  if [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
    echo "writing $containers_conf (runc, no default ulimits)"
    root=(); [[ $(id -u) -eq 0 ]] || root=(sudo -n)
    ${root[@]+"${root[@]}"} mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' | ${root[@]+"${root[@]}"} tee "$containers_conf" >/dev/null
  else
    echo "error: podman needs $containers_conf; as root run:" >&2
    echo "  printf '[containers]\\ndefault_ulimits = []\\n[engine]\\nruntime = \"runc\"\\n' > $containers_conf" >&2
    exit 1
  fi
fi

# playwright-core needs Node.js 20 or later; Debian 12's nodejs is 18. Where the node on PATH is older,
# Node's own Linux build comes from the npm registry (package node-linux-<arch>) into testing/.node, and
# ./test.sh puts it first on PATH. Debian's npm runs under it.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
local_node="$here/.node/node_modules/node-linux-$(node -p process.arch 2>/dev/null || echo x64)/bin"
if ((node_major < 20)); then
  if [[ ! -x $local_node/node ]]; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 20: installing Node.js 20 into testing/.node"
    npm install --prefix "$here/.node" --no-audit --no-fund --loglevel=error "node-linux-$(node -p process.arch)@20"
  fi
  export PATH="$local_node:$PATH"
fi

# npm clients: exactly the versions in the lock file, reinstalled only when the lock file changed.
npm_dir="$here/npm"
stamp="$npm_dir/node_modules/.installed-lock"
if [[ ! -f $stamp ]] || ! cmp -s "$npm_dir/package-lock.json" "$stamp"; then
  echo "installing npm clients (testing/npm)"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$npm_dir/package-lock.json" "$stamp"
else
  echo "npm clients present (testing/npm)"
fi
