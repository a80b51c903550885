#!/usr/bin/env bash
# HOOK (to be filled in by the WebRoute lead): the two docks of the isthmus-copy / isthmus-splice
# scenarios. bench/lib/bench.py calls it two ways:
#
#   webroute-docks.sh config
#       Print HOCON lines to add inside the gateway's `isthmus { ... }` block, e.g. enabling the WebRoute
#       plugin at a prefix and letting it dial 127.0.0.1. Exit non-zero if not ready.
#
#   webroute-docks.sh run LISTEN_PORT GATEWAY_HOST:PORT TARGET_PORT
#       Run in the foreground (the bench measures the process tree's CPU and kills its process group):
#       listen on 127.0.0.1:LISTEN_PORT; for every accepted connection, make a WebRoute link through the
#       gateway to a second dock that connects to 127.0.0.1:TARGET_PORT (the iperf3 server), and relay
#       bytes both ways. iperf3 opens several connections (control + one per stream): each needs a link.
#       The gateway's side must call SpliceEngine.join(..., options.withZeroCopy(true)); whether it then
#       splices is decided by isthmus.splice.zero-copy, which the bench sets per scenario.
#       The docks should be cheap (e.g. `isthmus webroute forward` with splice-based relays), and their
#       CPU is reported apart from the gateway's.
#
# Until it is filled in, both commands say PENDING and the scenarios are reported as pending.
set -euo pipefail
case "${1:-}" in
  config)
    # TODO(webroute lead): e.g.  echo '  plugins.webroute { enabled = true }'
    #                             echo '  egress.allow-cidrs = ["127.0.0.0/8"]'
    echo "PENDING: bench/hooks/webroute-docks.sh has no WebRoute dock yet" >&2
    exit 3
    ;;
  run)
    # TODO(webroute lead): exec the two docks, e.g.
    #   exec isthmus webroute forward --listen "127.0.0.1:$2" --gateway "$3" --to "127.0.0.1:$4" ...
    echo "PENDING: bench/hooks/webroute-docks.sh has no WebRoute dock yet"
    exit 3
    ;;
  *)
    echo "usage: $0 config | run LISTEN_PORT GATEWAY_HOST:PORT TARGET_PORT" >&2
    exit 64
    ;;
esac
