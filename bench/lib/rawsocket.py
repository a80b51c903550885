"""The raw-socket bridge against Debian's websockify on the same target with the same client
(bench/c/wsload.c): one-way bulk MiB/s and relay CPU-s/GB with 1 and 10 streams (the target sends, the
WebSocket client reads), and the round trip of small messages through an echo target."""
import os
import shutil

from common import Gateway, OtherLoad, Pending, Service, compile_c, last_json, med, port, run_measured

STREAMS = (1, 10)
RELAYS = ("websockify", "isthmus")
DIRECTIONS = ("download", "upload")


def rawsocket(args, workdir, log):
    websockify = shutil.which("websockify")
    if not websockify:
        raise Pending("websockify is not installed (apt-get install -y websockify)")
    tool = compile_c(workdir, "c/wsload.c", "wsload")
    targets = {"source": port(15801), "sink": port(15802), "echo": port(15803)}
    services = []
    try:
        for kind, p in targets.items():
            services.append(Service("rawsocket-" + kind, [tool, kind, str(p)], workdir, ready_port=p))
        # Both relays read the same token file (websockify's TokenFile format), one instance each.
        tokens = os.path.join(workdir, "rawsocket-tokens")
        with open(tokens, "w") as f:
            f.writelines("%s: 127.0.0.1:%d\n" % kv for kv in targets.items())
        ws_port, gw_port = port(15810), port(15815)
        relays = {
            "websockify": Service("websockify", [websockify, "--token-plugin", "TokenFile", "--token-source", tokens,
                                                 "127.0.0.1:%d" % ws_port], workdir, ready_port=ws_port),
            "isthmus": Gateway("rawsocket-gw", args, workdir, gw_port, None, """
  egress.allow-cidrs = ["127.0.0.0/8"]
  plugins.rawsocket {
    tokens.file = "%s"
    max-connections-per-ip = 1000
    demo.enabled = false
  }
""" % tokens)}
        services += relays.values()
        ports = {"websockify": ws_port, "isthmus": gw_port}
        paths = {"websockify": "/websockify?token=", "isthmus": "/sockets/websockify?token="}

        def client(relay, mode, token, *rest):
            return [tool, mode, "127.0.0.1", str(ports[relay]), paths[relay] + token] + [str(a) for a in rest]

        results = {"bulk": {}, "rtt": {}}
        # JIT warm-up of the gateway (and of websockify's caches), not recorded.
        for relay in RELAYS:
            run_measured(client(relay, "bulk", "source", 2, 4), workdir, 60)
            run_measured(client(relay, "upload", "sink", 2, 4), workdir, 60)
            run_measured(client(relay, "rtt", "echo", 2000, 0, 64), workdir, 60)
        for rnd in range(args.rounds):
            for direction in DIRECTIONS:
                mode, token = ("bulk", "source") if direction == "download" else ("upload", "sink")
                for streams in STREAMS:
                    for relay in RELAYS:
                        r = relays[relay]
                        other = OtherLoad()
                        mark = {}
                        out = run_measured(client(relay, mode, token, args.seconds, streams), workdir, args.seconds + 60,
                                           on_measuring=lambda: mark.update(cpu=r.cpu()))
                        cpu = r.cpu() - mark.get("cpu", 0)
                        row = last_json(out)
                        gb = row["bytes"] / 1e9
                        row.update(mib_s=row["bytes"] / row["seconds"] / (1 << 20), relay_cpu_s=cpu,
                                   cpu_s_per_gb=cpu / gb if gb else None, other_cores=other.cores())
                        results["bulk"].setdefault("%s|%s|%d" % (relay, direction, streams), []).append(row)
                        log("round %d rawsocket %-10s %-8s %2d stream(s): %7.1f MiB/s  %.2f CPU-s/GB" % (
                            rnd + 1, relay, direction, streams, row["mib_s"], row["cpu_s_per_gb"] or 0))
            for relay in RELAYS:
                out = run_measured(client(relay, "rtt", "echo", args.latency_count, args.latency_warmup // 5,
                                          args.latency_size), workdir, 300)
                row = last_json(out)
                results["rtt"].setdefault(relay, []).append(row)
                log("round %d rawsocket %-10s rtt p50 %.1f us  p99 %.1f us" % (rnd + 1, relay, row["p50_us"], row["p99_us"]))
        return results
    finally:
        for s in services:
            s.stop()


def rawsocket_report(results, args):
    lines = ["## Raw-socket bridge vs websockify (bulk through the websockify endpoint, %d s x %d rounds, medians)"
             % (args.seconds, args.rounds), "",
             "One C client (bench/c/wsload.c) per run: `download` = the target sends and the WebSocket client reads",
             "(unmasked server frames); `upload` = the client sends 64 KiB binary messages (masked, so the relay unmasks",
             "every byte) to a target that drops them. Both relays read one TokenFile; websockify is Debian's 0.10,",
             "Isthmus the websockify endpoint with 1 event-loop thread and the shipped `splice.zero-copy = auto` (downloads",
             "move socket to pipe to binary frames once they carry bulk). CPU is the relay's process tree (websockify forks",
             "a process per connection).", "",
             "| relay | direction | streams | MiB/s | relay CPU-s/GB | other load (cores) |", "|---|---|---|---|---|---|"]
    bulk = results.get("bulk", {})
    for direction in DIRECTIONS:
        for streams in STREAMS:
            for relay in RELAYS:
                rows = bulk.get("%s|%s|%d" % (relay, direction, streams), [])
                if rows:
                    lines.append("| %s | %s | %d | %.1f | %.2f | %.2f |" % (
                        relay, direction, streams, med(rows, "mib_s"), med(rows, "cpu_s_per_gb"), med(rows, "other_cores")))
    lines.append("")
    for direction in DIRECTIONS:
        for streams in STREAMS:
            w = bulk.get("websockify|%s|%d" % (direction, streams))
            i = bulk.get("isthmus|%s|%d" % (direction, streams))
            if w and i:
                lines.append("- %s, %d stream(s): Isthmus %.1fx websockify's MiB/s at %.2fx its CPU-s/GB "
                             "(goal: at least 3x, at most 0.33x)." % (
                                 direction, streams, med(i, "mib_s") / med(w, "mib_s"),
                                 med(i, "cpu_s_per_gb") / med(w, "cpu_s_per_gb")))
    rtt = results.get("rtt", {})
    if rtt:
        lines += ["", "Round trips of %d-byte messages through an echo target (%d per round):" % (
            args.latency_size, args.latency_count), "", "| relay | p50 µs | p99 µs |", "|---|---|---|"]
        for relay in RELAYS:
            rows = rtt.get(relay, [])
            if rows:
                lines.append("| %s | %.1f | %.1f |" % (relay, med(rows, "p50_us"), med(rows, "p99_us")))
    lines.append("")
    return lines
