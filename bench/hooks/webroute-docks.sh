#!/usr/bin/env bash
# The two docks of the isthmus-copy-docks / isthmus-splice-docks scenarios, and the WebRoute config of every
# bench gateway. (isthmus-copy / isthmus-splice need no docks: iperf3 speaks WebRoute itself through
# bench/shim/webroute_shim.c.) bench/lib/bench.py calls it two ways:
#
#   webroute-docks.sh config
#       Prints the HOCON lines added inside the bench gateway's `isthmus { ... }` block: WebRoute on at
#       "/", and the per-address caps raised, because every bench client comes from 127.0.0.1 (the same
#       advice as for a gateway behind a reverse proxy). Nothing else differs from the shipped defaults;
#       link-grace stays 25ms. The bench sets isthmus.splice.zero-copy itself, per scenario.
#
#   webroute-docks.sh run LISTEN_PORT GATEWAY_HOST:PORT TARGET_PORT
#       Runs in the foreground (the bench measures its process tree's CPU apart from the gateway's and
#       kills its process group): listens on 127.0.0.1:LISTEN_PORT; for every accepted connection, one
#       process opens both WebRoute legs through the gateway with one fresh random WebRoute-ID (leg A for
#       the accepted client, leg B for 127.0.0.1:TARGET_PORT), waits for both 101s (checking
#       Sec-WebRoute-Accept), then relays client <-> A and B <-> target with splice(2), so the docks never
#       copy the bytes through user space. iperf3's control connection and each stream get a link each.
#       The gateway joins every link with SpliceOptions.withZeroCopy(true) (plugin-webroute's
#       WebRouteLink), so isthmus.splice.zero-copy alone decides copy or splice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "${1:-}" in
  config)
    echo '  plugins.webroute { enabled = true, prefix = "/", max-waiting-per-ip = 10000 }'
    echo '  limits { max-connections-per-ip = 50000 }'
    ;;
  run)
    [[ $# -eq 4 ]] || { echo "usage: $0 run LISTEN_PORT GATEWAY_HOST:PORT TARGET_PORT" >&2; exit 64; }
    exec python3 "$here/../lib/dock.py" webroute "$2" "$3" "$4" /bench
    ;;
  *)
    echo "usage: $0 config | run LISTEN_PORT GATEWAY_HOST:PORT TARGET_PORT" >&2
    exit 64
    ;;
esac
