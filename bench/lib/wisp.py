"""The Wisp suite: Isthmus's Wisp endpoint against the npm @mercuryworkshop/wisp-js 0.5.0 server with the
same load client (bench/wisp/WispLoad.java): one WebSocket carrying 1 or 10 TCP streams, `download` (each
stream's loopback target writes as fast as it can, the client reads) and `upload` (the client sends 64 KiB
DATA packets within CONTINUE credit, masked as a browser would, to a sink target); MiB/s and the server's
CPU-seconds per GB moved. Then `open`: 32 CONNECTs in flight to a target that writes a byte and closes,
each CLOSE answered with a new CONNECT: streams opened per second. And `slow-upload`: 10 upload streams whose
sinks each read at most 50 MiB/s, so the server holds what its targets have not taken: CPU per byte when
targets are slow.
"""
import os
import subprocess

from common import BENCH, Gateway, OtherLoad, Pending, last_json, med, node_service, port, run_measured, settle_jit

SERVERS = ("isthmus", "wisp-js")
DIRECTIONS = ("download", "upload")
STREAMS = (1, 10)
OPEN_IN_FLIGHT = 32
SLOW_STREAMS = 10


def _load_tool(workdir):
    classes = os.path.join(workdir, "wisp-load")
    os.makedirs(classes, exist_ok=True)
    done = subprocess.run(["javac", "-nowarn", "-d", classes, os.path.join(BENCH, "wisp", "WispLoad.java")],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise Pending("javac WispLoad.java failed: " + (done.stdout + done.stderr)[-400:])
    return lambda url, mode, streams, seconds: ["java", "-Xmx512m", "-XX:+UseSerialGC", "-cp", classes, "WispLoad",
                                                url, mode, str(streams), str(seconds)]


def _reference(workdir, ref_port):
    return node_service(workdir, "wisp-js", "@mercuryworkshop/wisp-js", os.path.join(BENCH, "wisp", "wisp-js-server.cjs"),
                        ref_port)


def wisp(args, workdir, log, profiles):
    load = _load_tool(workdir)
    gw_port, ref_port = port(15920), port(15930)
    services = []
    try:
        gw = Gateway("wisp-gw", args, workdir, gw_port, None, """
  egress.allow-cidrs = ["127.0.0.0/8"]
  plugins.rawsocket.demo.enabled = false
""")
        services.append(gw)
        ref = _reference(workdir, ref_port)
        services.append(ref)
        servers = {"isthmus": (gw, "ws://127.0.0.1:%d/sockets/wisp/" % gw_port),
                   "wisp-js": (ref, "ws://127.0.0.1:%d/" % ref_port)}
        # JIT warm-up of both servers, not recorded: Isthmus's until its JIT threads are quiet (a fixed 4 s per
        # direction left C2 compiling into round 1's uploads: 0.9-1.5 CPU-s/GB there, 0.5 in round 2).
        def warm(url, seconds):
            for direction in DIRECTIONS:
                for streams in STREAMS:
                    run_measured(load(url, direction, streams, seconds), workdir, 120)
            run_measured(load(url, "slow-upload", SLOW_STREAMS, seconds), workdir, 120)
            run_measured(load(url, "open", OPEN_IN_FLIGHT, seconds), workdir, 120)

        settle_jit(gw, lambda: warm(servers["isthmus"][1], 2), log, "wisp")
        warm(servers["wisp-js"][1], 2)
        results = {"bulk": {}, "open": {}}

        def measure(name, mode, streams, seconds):
            service, url = servers[name]
            other = OtherLoad()
            mark = {}
            out = run_measured(load(url, mode, streams, seconds), workdir, seconds + 90,
                               on_measuring=lambda: mark.update(cpu=service.cpu()))
            row = last_json(out)
            cpu = service.cpu() - mark.get("cpu", 0)
            gb = row["bytes"] / 1e9
            row.update(server_cpu_s=cpu, cpu_s_per_gb=cpu / gb if gb else None, other_cores=other.cores(),
                       steal_cores=other.steal_cores())
            return row

        for rnd in range(args.rounds):
            profiled = args.profile and rnd == args.rounds - 1
            for direction in DIRECTIONS:
                for streams in STREAMS:
                    for name in SERVERS:
                        if profiled and name == "isthmus":
                            gw.start_profile(workdir, "%s-%d" % (direction, streams))
                        row = measure(name, direction, streams, args.seconds)
                        if profiled and name == "isthmus":
                            profiles.append(("wisp %s %d stream(s)" % (direction, streams), gw.stop_profile()))
                        results["bulk"].setdefault("%s|%s|%d" % (name, direction, streams), []).append(row)
                        log("round %d wisp %-8s %-8s %2d stream(s): %7.1f MiB/s  %.2f CPU-s/GB  (other load %.2f cores, "
                            "stolen %.2f)" % (rnd + 1, name, direction, streams, row["mib_s"], row["cpu_s_per_gb"] or 0,
                                             row["other_cores"], row["steal_cores"]))
            for name in SERVERS:
                row = measure(name, "slow-upload", SLOW_STREAMS, args.seconds)
                results["bulk"].setdefault("%s|slow-upload|%d" % (name, SLOW_STREAMS), []).append(row)
                log("round %d wisp %-8s slow-upload %2d stream(s): %7.1f MiB/s  %.2f CPU-s/GB  (other load %.2f cores, "
                    "stolen %.2f)" % (rnd + 1, name, SLOW_STREAMS, row["mib_s"], row["cpu_s_per_gb"] or 0,
                                     row["other_cores"], row["steal_cores"]))
            for name in SERVERS:
                if profiled and name == "isthmus":
                    gw.start_profile(workdir, "open")
                row = measure(name, "open", OPEN_IN_FLIGHT, args.seconds)
                if profiled and name == "isthmus":
                    profiles.append(("wisp open (streams/s)", gw.stop_profile()))
                results["open"].setdefault(name, []).append(row)
                log("round %d wisp %-8s open: %7.0f streams/s (%d failed)" % (rnd + 1, name, row["opened_per_s"], row["failed"]))
        return results
    finally:
        for s in services:
            s.stop()


def wisp_report(results, args):
    lines = ["## Wisp vs the wisp-js 0.5.0 server (one WebSocket, %d s x %d rounds, medians)" % (args.seconds, args.rounds),
             "",
             "Same load client (bench/wisp/WispLoad.java, one Java process) for both servers, loopback targets run by",
             "the client. `download`: the targets write, the client reads DATA; `upload`: the client sends masked 64 KiB",
             "DATA packets within CONTINUE credit to sink targets. Isthmus with event-loop-threads = %d (a Wisp" % args.isthmus_threads,
             "session and its streams share one event loop) and the shipped `splice.zero-copy = auto` (downloads move",
             "socket to pipe to DATA frames once they carry bulk); wisp-js is one Node process. CPU is the server process's.", "",
             "| server | direction | streams | MiB/s | server CPU-s/GB | other load (cores) | stolen by the host (cores) |",
             "|---|---|---|---|---|---|---|"]
    bulk = results.get("bulk", {})
    for direction in DIRECTIONS:
        for streams in STREAMS:
            for name in SERVERS:
                rows = bulk.get("%s|%s|%d" % (name, direction, streams), [])
                if rows:
                    lines.append("| %s | %s | %d | %.1f | %.2f | %.2f | %.2f |" % (
                        name, direction, streams, med(rows, "mib_s"), med(rows, "cpu_s_per_gb") or 0,
                        med(rows, "other_cores") or 0, med(rows, "steal_cores") or 0))
    lines.append("")
    for direction in DIRECTIONS:
        for streams in STREAMS:
            i = bulk.get("isthmus|%s|%d" % (direction, streams))
            w = bulk.get("wisp-js|%s|%d" % (direction, streams))
            if i and w:
                lines.append("- %s, %d stream(s): Isthmus %.2fx wisp-js's MiB/s at %.2f CPU-s/GB (wisp-js %.2f); "
                             "goal: at least 1.5x at at most 0.5 CPU-s/GB." % (
                                 direction, streams, med(i, "mib_s") / med(w, "mib_s"), med(i, "cpu_s_per_gb"),
                                 med(w, "cpu_s_per_gb")))
    slow = [(name, bulk.get("%s|slow-upload|%d" % (name, SLOW_STREAMS), [])) for name in SERVERS]
    if all(rows for _, rows in slow):
        lines += ["", "Uploads to slow targets (%d streams, each sink reads at most 50 MiB/s through a 64 KiB receive "
                  "buffer, so the server holds what its targets have not taken):" % SLOW_STREAMS, "",
                  "| server | MiB/s | server CPU-s/GB | other load (cores) | stolen by the host (cores) |",
                  "|---|---|---|---|---|"]
        for name, rows in slow:
            lines.append("| %s | %.1f | %.2f | %.2f | %.2f |" % (name, med(rows, "mib_s"), med(rows, "cpu_s_per_gb") or 0,
                                                               med(rows, "other_cores") or 0, med(rows, "steal_cores") or 0))
    opened = results.get("open", {})
    if opened:
        lines += ["", "Streams opened per second (%d CONNECTs in flight on one WebSocket, each target writes a byte "
                  "and closes, the CLOSE answered with a new CONNECT):" % OPEN_IN_FLIGHT, "",
                  "| server | streams/s | failed |", "|---|---|---|"]
        for name in SERVERS:
            rows = opened.get(name, [])
            if rows:
                lines.append("| %s | %.0f | %d |" % (name, med(rows, "opened_per_s"), sum(r["failed"] for r in rows)))
    return lines + [""]
