#!/usr/bin/env python3
"""The Isthmus benchmark suite (run it through bench/run.sh, which checks the tools first).

Suites, all on loopback, every load bounded in count and time:

  throughput  iperf3 through each relay, single stream and -P 4: direct, socat, nginx stream, HAProxy
              (with and without splice), Isthmus WebRoute links in copy and splice mode, where iperf3 itself
              speaks WebRoute through bench/shim/webroute_shim.c (LD_PRELOAD), so the gateway is the only
              relay (on request also through two Python docks, *-docks, and the engine alone through the
              tests' probe plugin). Each round runs every scenario once per
              stream count, interleaved; the report gives medians, the ratio to direct and to each peer,
              and each relay's CPU seconds per GB moved, from utime+stime (and reaped children) in
              /proc/<pid>/stat of its whole process tree. Docks (*-docks rows) are reported apart.
  latency     ping-pong of small messages, direct and through a WebRoute link (copy, splice): p50/p99
  pairs       WebRoute pairs per second (link, one byte each way, close)
  remoted     Remoted client connects per second through one registered server (the Java SDK)
  idle        heap, direct memory, RSS and kernel slab per idle linked pair, and the projection to 100,000
  rawsocket   the raw-socket bridge's websockify endpoint vs Debian's websockify on the same target with the
              same C client (bench/c/wsload.c): one-way bulk MiB/s and relay CPU-s/GB, 1 and 10 streams,
              and small-message round trips (bench/lib/rawsocket.py)
  wisp        the Wisp endpoint vs the npm wisp-js 0.5.0 server with the same load client (bench/wisp/WispLoad.java):
              MiB/s and server CPU-s/GB, 1 and 10 streams on one WebSocket, both directions, uploads to 10
              slow targets (50 MiB/s each), and streams opened per second (bench/lib/wisp.py)
  wstunnel    viewer requests through one websocktunnel client session (gateway + `isthmus wst-client`, nginx
              behind the client): requests/s, p50/p99, CPU-s per 10k requests, MiB/s of a 10 MiB body, with
              the Go anchor of issue #12 as a reference row (bench/lib/wstunnel.py)

Positional arguments name throughput scenarios and/or suites; none means the default set (every suite,
the default throughput scenarios); `all` adds the probe scenarios. Stdlib only.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suites  # noqa: E402
import bare  # noqa: E402
import rawsocket  # noqa: E402
import wisp  # noqa: E402
import wstunnel  # noqa: E402
import common  # noqa: E402
from common import (BENCH, GATEWAY_JAVA_OPTS, ROOT, Gateway, JavaTool, OtherLoad, Pending, Service,  # noqa: E402
                    compile_c, port, gateway_conf, profile_summary, settle_jit, wait_listening, wait_port, wait_quiet,
                    webroute_conf)

IPERF_PORT = 15201  # plus --port-offset, set in main()

PEERS = ["direct", "socat", "nginx", "haproxy", "haproxy-splice", "haproxy-splice-1m"]
ISTHMUS = ["isthmus-auto", "isthmus-copy", "isthmus-splice", "isthmus-splice-64k"]
DOCKS = ["isthmus-copy-docks", "isthmus-splice-docks"]
PROBE = ["probe-copy-64k", "probe-splice-64k", "probe-copy-256k", "probe-splice-256k"]
DEFAULT = PEERS + ISTHMUS
SUITES = ["throughput", "latency", "pairs", "remoted", "idle", "bare", "rawsocket", "wisp", "wstunnel"]
DESCRIPTIONS = {
    "direct": "direct (no relay)",
    "socat": "socat -b 131072 (a process per connection)",
    "nginx": "nginx stream, 1 worker, proxy_buffer_size 128k",
    "haproxy": "HAProxy mode tcp, 1 thread",
    "haproxy-splice": "HAProxy mode tcp + option splice-request/-response, 1 thread",
    "haproxy-splice-1m": "HAProxy splice as above with tune.pipesize 1048576 (the pipe size Isthmus asks for)",
    "isthmus-auto": "Isthmus WebRoute link, the DEFAULT config (isthmus.splice.zero-copy = auto: copy, kernel path while bulk); iperf3 speaks WebRoute (shim)",
    "isthmus-copy": "Isthmus WebRoute link, copy (isthmus.splice.zero-copy = false); iperf3 speaks WebRoute (shim)",
    "isthmus-splice": "Isthmus WebRoute link, zero-copy (isthmus.splice.zero-copy = true, 1m pipes); iperf3 speaks WebRoute (shim)",
    "isthmus-splice-64k": "Isthmus WebRoute link, zero-copy with the kernel's 64 KiB pipes (isthmus.splice.pipe-size = 64k)",
    "isthmus-copy-docks": "Isthmus WebRoute link, copy, through two Python splice docks",
    "isthmus-splice-docks": "Isthmus WebRoute link, zero-copy, through two Python splice docks",
    "probe-copy-64k": "Isthmus engine via test probe pair, copy, max-read-size 64k",
    "probe-splice-64k": "Isthmus engine via test probe pair, zero-copy, max-read-size 64k",
    "probe-copy-256k": "Isthmus engine via test probe pair, copy, max-read-size 256k",
    "probe-splice-256k": "Isthmus engine via test probe pair, zero-copy, max-read-size 256k",
}


# ---------------------------------------------------------------- throughput scenarios

class Scenario:
    def __init__(self, name, port, relay=None, helpers=(), jvm=False, client_env=None, extra=()):
        self.name = name
        self.port = port
        self.relay = relay            # the Service whose CPU is "the proxy's"
        self.helpers = list(helpers)  # other Services on the path (docks), reported apart
        self.jvm = jvm
        self.client_env = client_env  # the iperf3 client's environment (the WebRoute shim), or None
        self.extra = list(extra)      # Services of the scenario that are not measured (its own iperf3 server)


def write(workdir, name, text):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start_peer(name, workdir):
    if name == "direct":
        return Scenario(name, IPERF_PORT)
    if name == "socat":
        port = common.port(15301)
        s = Service("socat", ["socat", "-b", "131072", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % port,
                              "TCP:127.0.0.1:%d" % IPERF_PORT], workdir, ready_port=port)
        return Scenario(name, port, s)
    if name == "nginx":
        port = common.port(15302)
        conf = write(workdir, "nginx.conf", """
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid %(w)s/nginx.pid;
error_log %(w)s/nginx-error.log;
events { worker_connections 1024; }
stream {
  server {
    listen 127.0.0.1:%(port)d;
    proxy_pass 127.0.0.1:%(iperf)d;
    proxy_buffer_size 128k;
  }
}
""" % {"w": workdir, "port": port, "iperf": IPERF_PORT})
        s = Service("nginx", ["nginx", "-p", workdir, "-c", conf], workdir, ready_port=port)
        return Scenario(name, port, s)
    if name in ("haproxy", "haproxy-splice", "haproxy-splice-1m"):
        port = common.port({"haproxy": 15303, "haproxy-splice": 15304, "haproxy-splice-1m": 15305}[name])
        splice = "  option splice-request\n  option splice-response\n" if name != "haproxy" else ""
        pipes = "  tune.pipesize 1048576\n" if name == "haproxy-splice-1m" else ""
        conf = write(workdir, name + ".cfg", """global
  nbthread 1
  maxconn 1000
%sdefaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen relay
  bind 127.0.0.1:%d
%s  server iperf 127.0.0.1:%d
""" % (pipes, port, splice, IPERF_PORT))
        s = Service(name, ["haproxy", "-db", "-f", conf], workdir, ready_port=port)
        return Scenario(name, port, s)
    raise KeyError(name)


def start_probe(name, workdir, shared, args):
    """probe-{copy,splice}-{64k,256k}: the gateway from gateway-core's test classpath and splice docks."""
    mode, size = name.split("-")[1:3]
    gw_port = port({"64k": 15410, "256k": 15420}[size])
    key = "probe-gateway-" + size
    if key not in shared:
        cp = probe_classpath()
        conf = gateway_conf(workdir, key, gw_port, True, size, args.isthmus_threads,
                            "  plugins.probe { enabled = true, idle-timeout = 1h }\n")
        shared[key] = Service(key, ["java"] + GATEWAY_JAVA_OPTS + ["-cp", cp, "io.isthmus.core.splice.BenchGateway", conf],
                              workdir, ready_port=gw_port)
    dock_port = gw_port + (5 if mode == "copy" else 6)
    dock = Service(name + "-dock", [sys.executable, os.path.join(BENCH, "lib", "dock.py"), "probe", str(dock_port),
                                    str(gw_port), str(IPERF_PORT), "zerocopy=true" if mode == "splice" else ""],
                   workdir, ready_port=dock_port)
    return Scenario(name, dock_port, shared[key], [dock], jvm=True)


def probe_classpath():
    core = os.path.join(ROOT, "gateway-core", "target")
    deps = os.path.join(core, "bench-classpath.txt")
    if not os.path.isdir(os.path.join(core, "test-classes", "io", "isthmus", "core", "splice")):
        raise Pending("gateway-core is not built: run  mvn -q -B -pl gateway-core test-compile")
    if not os.path.exists(deps):
        subprocess.run(["mvn", "-q", "-B", "-o", "-pl", "gateway-core", "dependency:build-classpath",
                        "-Dmdep.includeScope=test", "-Dmdep.outputFile=" + deps], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    with open(deps) as f:
        return ":".join([os.path.join(core, "classes"), os.path.join(core, "test-classes"), f.read().strip()])


def start_isthmus(name, workdir, shared, args):
    """isthmus-{copy,splice}: the shipped gateway, and iperf3 itself speaking WebRoute through the LD_PRELOAD
    shim (bench/shim/webroute_shim.c): the client's connect() becomes leg A, a shimmed `iperf3 -s` of this
    scenario turns each trigger connection into leg B. The gateway is the only relay, as socat/nginx/HAProxy
    are in theirs; the handshake is done inside connect()/accept(), before iperf3 starts timing.
    isthmus-{copy,splice}-docks: the same gateway config with two WebRoute docks in the byte path
    (bench/hooks/webroute-docks.sh) to the shared iperf3 server."""
    docks = name.endswith("-docks")
    auto = name == "isthmus-auto"
    zero_copy = None if auto else name.startswith("isthmus-splice")
    small_pipes = name == "isthmus-splice-64k"
    gw_port = port(15560 if auto else 15550 if small_pipes else (15530 if zero_copy else 15540) if docks
                   else (15510 if zero_copy else 15520))
    if not docks and "shim" not in shared:
        shared["shim"] = compile_c(workdir, "shim/webroute_shim.c", "webroute_shim.so", shared=True)
    gateway = Gateway(name + "-gateway", args, workdir, gw_port, zero_copy,
                      webroute_conf() + ("  splice.pipe-size = 64k\n" if small_pipes else ""))
    shared[name + "-gateway"] = gateway
    if not docks:
        server_port = gw_port + 5
        gw = "127.0.0.1:%d" % gw_port
        server = Service(name + "-iperf3-server", ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(server_port)], workdir,
                         env=dict(os.environ, LD_PRELOAD=shared["shim"], WEBROUTE_SHIM_GATEWAY=gw), ports=[server_port])
        # Not wait_port: a probe connection would reach the shimmed server as a trigger without an ID.
        wait_listening(server_port, server)
        env = dict(os.environ, LD_PRELOAD=shared["shim"], WEBROUTE_SHIM_GATEWAY=gw,
                   WEBROUTE_SHIM_TARGET="127.0.0.1:%d" % server_port)
        return Scenario(name, server_port, gateway, jvm=True, client_env=env, extra=[server])
    dock_port = gw_port + 5
    dock = Service(name + "-docks", [os.path.join(BENCH, "hooks", "webroute-docks.sh"), "run", str(dock_port),
                                     "127.0.0.1:%d" % gw_port, str(IPERF_PORT)], workdir, ports=[dock_port])
    wait_port(dock_port, dock, timeout=30)
    return Scenario(name, dock_port, gateway, [dock], jvm=True)


def iperf(port, seconds, streams, env=None):
    argv = ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(seconds), "-P", str(streams), "-J"]
    for attempt in range(3):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, env=env)
        try:
            end = json.loads(done.stdout)["end"]["sum_received"]
            return end["bits_per_second"] / 1e9, end["bytes"], end["seconds"]
        except (ValueError, KeyError):
            time.sleep(1 + attempt)
    raise RuntimeError("iperf3 through port %d failed: %s" % (port, (done.stdout + done.stderr)[-400:]))


def measure(sc, seconds, streams):
    services = ([sc.relay] if sc.relay else []) + sc.helpers
    other = OtherLoad()
    before = {s.name: s.cpu() for s in services}
    gbits, nbytes, secs = iperf(sc.port, seconds, streams, sc.client_env)
    after = {s.name: s.cpu() for s in services}
    gb = nbytes / 1e9
    row = {"gbits": gbits, "bytes": nbytes, "seconds": secs, "other_cores": other.cores()}
    if sc.relay:
        cpu = after[sc.relay.name] - before[sc.relay.name]
        row.update(relay_cpu_s=cpu, relay_cores=cpu / secs, relay_cpu_s_per_gb=cpu / gb)
    if sc.helpers:
        cpu = sum(after[h.name] - before[h.name] for h in sc.helpers)
        row.update(helper_cpu_s=cpu, helper_cpu_s_per_gb=cpu / gb)
    return row


def median_of(rows, key):
    values = [r[key] for r in rows if key in r]
    return statistics.median(values) if values else None


def throughput(names, args, workdir, log, profiles):
    streams_list = [int(x) for x in args.streams.split(",")]
    shared, scenarios, results, services = {}, {}, {}, []
    iperf_server = Service("iperf3-server", ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(IPERF_PORT)],
                           workdir, ready_port=IPERF_PORT)
    services.append(iperf_server)
    try:
        for name in names:
            try:
                if name in PEERS:
                    sc = start_peer(name, workdir)
                elif name in PROBE:
                    sc = start_probe(name, workdir, shared, args)
                else:
                    sc = start_isthmus(name, workdir, shared, args)
            except Pending as p:
                log("%s: pending (%s)" % (name, p))
                for s in streams_list:
                    results[(name, s)] = str(p)
                continue
            scenarios[name] = sc
            services += ([sc.relay] if sc.relay else []) + sc.helpers + sc.extra
            if sc.jvm and isinstance(sc.relay, Service):
                # JIT warm-up, not recorded: -P 4 runs until the compiler threads are quiet (a single 5 s run
                # left C2 compiling through the first measured run: about 5 % of the gateway's CPU).
                settle_jit(sc.relay, lambda: iperf(sc.port, 5, 4, sc.client_env), log, name, max_batches=4)
            elif sc.jvm:
                iperf(sc.port, 5, 1, sc.client_env)
        # Links made so far (readiness probes, the warm-up) are not the measured ones.
        modes_before = {name: sc.relay.splice_modes() for name, sc in scenarios.items() if isinstance(sc.relay, Gateway)}
        for rnd in range(args.rounds):
            for streams in streams_list:
                for name, sc in scenarios.items():
                    profiled = args.profile and rnd == args.rounds - 1 and isinstance(sc.relay, Gateway)
                    if profiled:
                        sc.relay.start_profile(workdir, "P%d" % streams)
                    row = measure(sc, args.seconds, streams)
                    if profiled:
                        profiles.append(("%s -P %d" % (name, streams), sc.relay.stop_profile()))
                    results.setdefault((name, streams), []).append(row)
                    log("round %d -P %d %-18s %6.2f Gbit/s  relay %s CPU-s/GB  docks %s  (other load %.2f cores)" % (
                        rnd + 1, streams, name, row["gbits"],
                        "%.2f" % row["relay_cpu_s_per_gb"] if "relay_cpu_s_per_gb" in row else "-",
                        "%.2f" % row["helper_cpu_s_per_gb"] if "helper_cpu_s_per_gb" in row else "-",
                        row["other_cores"]))
        modes = {}
        for name, before in modes_before.items():
            after = scenarios[name].relay.splice_modes()
            modes[name] = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    finally:
        for s in list(shared.values()) + services:
            if isinstance(s, Service):
                s.stop()
    return {"results": results, "modes": modes, "streams": streams_list, "names": names}


def throughput_report(t, args):
    results, names = t["results"], t["names"]
    lines = ["## Throughput: iperf3, %d s per run, %d rounds interleaved, medians (min-max)" % (args.seconds, args.rounds), ""]
    pending = {}
    for streams in t["streams"]:
        direct = median_of(results.get(("direct", streams), []), "gbits")
        lines += ["### -P %d" % streams, "",
                  "| scenario | Gbit/s | % of direct | relay cores | relay CPU-s/GB | relay Gbit/s per core | docks CPU-s/GB | other load (cores) |",
                  "|---|---|---|---|---|---|---|---|"]
        for name in names:
            rows = results.get((name, streams))
            if rows is None:
                continue
            if isinstance(rows, str):
                lines.append("| %s | pending | | | | | | |" % name)
                pending[name] = rows
                continue
            g = [r["gbits"] for r in rows]
            med = statistics.median(g)
            pct = "%.0f" % (100 * med / direct) if direct else "-"
            fmt = lambda v, f="%.2f": f % v if v is not None else "-"
            cpu_gb = median_of(rows, "relay_cpu_s_per_gb")
            lines.append("| %s | %.2f (%.2f-%.2f) | %s | %s | %s | %s | %s | %s |" % (
                name, med, min(g), max(g), pct, fmt(median_of(rows, "relay_cores")),
                fmt(cpu_gb), fmt(8 / cpu_gb if cpu_gb else None, "%.1f"), fmt(median_of(rows, "helper_cpu_s_per_gb")),
                fmt(median_of(rows, "other_cores"))))
        lines.append("")
        # Isthmus against each peer: throughput ratio and CPU-per-GB ratio (below 1 = cheaper than the peer).
        ours = [n for n in names if n not in PEERS and isinstance(results.get((n, streams)), list)]
        peers = [n for n in PEERS if n != "direct" and isinstance(results.get((n, streams)), list)]
        if ours and peers:
            lines += ["Ratios at -P %d, Isthmus ÷ peer: Gbit/s × / relay CPU-s/GB × (CPU below 1.00 = cheaper than the peer)" % streams, "",
                      "| scenario | " + " | ".join(peers) + " |", "|---|" + "---|" * len(peers)]
            for n in ours:
                cells = []
                for p in peers:
                    g = median_of(results[(n, streams)], "gbits") / median_of(results[(p, streams)], "gbits")
                    c1, c2 = median_of(results[(n, streams)], "relay_cpu_s_per_gb"), median_of(results[(p, streams)], "relay_cpu_s_per_gb")
                    cells.append("%.2f / %s" % (g, "%.2f" % (c1 / c2) if c1 and c2 else "-"))
                lines.append("| %s | %s |" % (n, " | ".join(cells)))
            lines.append("")
    for name, why in pending.items():
        lines.append("- %s is pending: %s" % (name, why))
    if t["modes"]:
        lines.append("How the measured links moved bytes (isthmus_splices_total by mode, and zero-copy fallbacks by reason): " + "; ".join(
            "%s: %s" % (n, ", ".join("%s %d" % kv for kv in sorted(m.items())) or "none") for n, m in t["modes"].items()))
    lines += ["", "relay = the proxy's (or gateway's) process tree; docks = the two docks of the *-docks rows, apart "
              "(isthmus-copy/-splice have none: iperf3 speaks WebRoute through bench/shim, so the gateway is the only relay). "
              "relay Gbit/s per core = 8 / relay CPU-s/GB: what the relay would move with one core of its own. "
              "other load = CPU of processes outside the bench meanwhile (a shared machine).", ""]
    return lines


# ---------------------------------------------------------------- goals of issue #5

def goals(out):
    """The issue's goals, judged on this run's medians (a goal whose suite did not run is left out)."""
    rows = []

    def verdict(ok):
        return "met" if ok else "**missed**"

    t = out.get("throughput", {}).get("results", {})
    copy = t.get(("isthmus-copy", 1))
    if isinstance(copy, list):
        g, c = median_of(copy, "gbits"), median_of(copy, "relay_cpu_s_per_gb")
        rows.append(("copy mode >= 10 Gbit/s single stream", "%.2f Gbit/s (%.0f%%)" % (g, 100 * g / 10), verdict(g >= 10)))
        rows.append(("copy mode <= 0.65 CPU-s/GB single stream", "%.2f CPU-s/GB" % c, verdict(c <= 0.65)))
    for streams in (1, 4):
        sp, hp = t.get(("isthmus-splice", streams)), t.get(("haproxy-splice", streams))
        if isinstance(sp, list) and isinstance(hp, list):
            a, b = median_of(sp, "relay_cpu_s_per_gb"), median_of(hp, "relay_cpu_s_per_gb")
            rows.append(("splice mode <= HAProxy splice CPU-s/GB, -P %d" % streams, "%.2f vs %.2f (%+.0f%%)" % (a, b, 100 * (a / b - 1)),
                         verdict(a <= b)))
    for streams in (1, 4):  # issue #16: the default config (zero-copy = auto)
        au, hp = t.get(("isthmus-auto", streams)), t.get(("haproxy-splice", streams))
        if isinstance(au, list) and isinstance(hp, list):
            a, b = median_of(au, "relay_cpu_s_per_gb"), median_of(hp, "relay_cpu_s_per_gb")
            rows.append(("default config (zero-copy = auto) <= HAProxy splice CPU-s/GB, -P %d" % streams,
                         "%.2f vs %.2f (%+.0f%%)" % (a, b, 100 * (a / b - 1)), verdict(a <= b)))
    lat = out.get("latency")
    if isinstance(lat, dict) and lat.get("isthmus-auto") and lat.get("isthmus-copy"):
        for q in ("p50_us", "p99_us"):
            a, c = median_of(lat["isthmus-auto"], q), median_of(lat["isthmus-copy"], q)
            # Within 5 % or 2 µs of copy: the two rows run the same code path for small messages, so the
            # rest is the machine's noise between interleaved runs.
            rows.append(("default config (auto) 64-byte round trip %s <= copy mode" % q[:3],
                         "%.1f vs %.1f µs" % (a, c), verdict(a <= max(c * 1.05, c + 2))))
    pairs = out.get("pairs")
    if isinstance(pairs, dict) and "error" not in pairs:
        rows_ = next(iter(pairs.values()))
        rate = statistics.median(r["pairs_per_s"] for r in rows_)
        cpu = statistics.median(r["gateway_cpu_ms_per_1000"] for r in rows_)
        rows.append((">= 10,000 WebRoute pairs per second (default config)", "%.0f pairs/s (%.0f%%)" % (rate, rate / 100), verdict(rate >= 10000)))
        rows.append(("(the same, per core of the gateway's own CPU: 1 s / CPU per pair)",
                     "%.0f pairs/s per core (%.0f µs per pair)" % (1e6 / cpu, cpu) if cpu else "-",
                     verdict(cpu and 1e6 / cpu >= 10000)))
    idle = out.get("idle")
    if isinstance(idle, dict) and "base" in idle:
        per = (idle["loaded"]["heap"] - idle["base"]["heap"]) / idle["pairs"]
        rows.append(("<= 4 KiB heap per idle linked pair", "%.0f B (%.2f KiB)" % (per, per / 1024), verdict(per <= 4096)))
    if not rows:
        return []
    return ["## Goals (issue #5), judged on this run", "", "| goal | this run | verdict |", "|---|---|---|"] + [
        "| %s | %s | %s |" % r for r in rows] + [""]


# ---------------------------------------------------------------- main

def machine():
    def first_line(argv, word=""):
        try:
            done = subprocess.run(argv, capture_output=True, text=True)
            return [l for l in (done.stdout + done.stderr).strip().splitlines() if word in l][0].strip()
        except (OSError, IndexError):
            return "?"
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(), "cpu": model, "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1),
        "iperf3": first_line(["iperf3", "--version"]), "socat": first_line(["socat", "-V"], "socat version"),
        "nginx": first_line(["nginx", "-v"]), "haproxy": first_line(["haproxy", "-v"]),
        "java": first_line(["java", "-version"]),
    }


def choose(ap, args):
    names = args.scenarios
    if not names:
        return list(DEFAULT), list(SUITES)
    if names == ["all"]:
        return DEFAULT + DOCKS + PROBE, list(SUITES)
    unknown = [n for n in names if n not in DESCRIPTIONS and n not in SUITES]
    if unknown:
        ap.error("unknown scenario(s) or suite(s): %s" % " ".join(unknown))
    chosen_suites = [s for s in SUITES if s in names]
    scen = [n for n in names if n in DESCRIPTIONS]
    if "throughput" in chosen_suites and not scen:
        scen = list(DEFAULT)
    if scen:
        if "throughput" not in chosen_suites:
            chosen_suites.insert(0, "throughput")
        if "direct" not in scen:
            scen = ["direct"] + scen
    return scen, chosen_suites


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", help="throughput scenarios (default: %s; also %s) and/or suites (%s), or 'all'"
                    % (" ".join(DEFAULT), " ".join(DOCKS + PROBE), " ".join(SUITES)))
    ap.add_argument("--seconds", type=int, default=5, help="iperf3 run length")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every suite")
    ap.add_argument("--streams", default="1,4", help="iperf3 -P values, comma-separated")
    ap.add_argument("--isthmus", default=os.environ.get("ISTHMUS", os.path.join(ROOT, "distribution", "target", "isthmus")),
                    help="the gateway executable (default: distribution/target/isthmus), or a tarball home holding bin/isthmus")
    ap.add_argument("--isthmus-threads", type=int, default=1, help="event-loop-threads of the gateways (peers run 1 worker)")
    ap.add_argument("--isthmus-read-size", default="256k", help="isthmus.splice.max-read-size of the gateways")
    ap.add_argument("--latency-count", type=int, default=20000)
    ap.add_argument("--latency-warmup", type=int, default=5000)
    ap.add_argument("--latency-size", type=int, default=64)
    ap.add_argument("--pairs", type=int, default=20000, help="WebRoute pairs per run")
    ap.add_argument("--pairs-concurrency", type=int, default=512)
    ap.add_argument("--pairs-warmup", type=int, default=5000)
    ap.add_argument("--pairs-load", choices=["c", "java"], default="c",
                    help="pairs load generator: c (bench/c/pairload.c, the default) or java (BenchLoad pairs)")
    ap.add_argument("--pairs-threads", type=int, default=None, help="event-loop-threads of the pairs gateways (default: --isthmus-threads)")
    ap.add_argument("--remoted-count", type=int, default=3000)
    ap.add_argument("--remoted-concurrency", type=int, default=64)
    ap.add_argument("--remoted-warmup", type=int, default=1000)
    ap.add_argument("--idle-pairs", type=int, default=8000)
    ap.add_argument("--bare-connections", type=int, default=32, help="keep-alive connections of the bare suite")
    ap.add_argument("--bare-seconds", type=int, default=10, help="measured seconds per bare run")
    ap.add_argument("--bare-warmup", type=int, default=5, help="warm-up seconds per bare run")
    ap.add_argument("--wst-connections", type=int, default=16, help="keep-alive viewer connections of the wstunnel suite")
    ap.add_argument("--wst-seconds", type=int, default=10, help="measured seconds per wstunnel run")
    ap.add_argument("--wst-warmup", type=int, default=3, help="warm-up seconds per wstunnel run")
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="S",
                    help="before each suite, wait up to S seconds until other processes use < 0.15 cores")
    ap.add_argument("--profile", action="store_true",
                    help="JFR-profile the Isthmus gateways in the last round (costs throughput) and summarise the top frames")
    ap.add_argument("--out", default=os.path.join(BENCH, "results"))
    ap.add_argument("--port-offset", type=int, default=0, metavar="N",
                    help="add N to every fixed port (15201-15931), so that two checkouts can run benches at once")
    args = ap.parse_args()
    global IPERF_PORT
    common.PORT_OFFSET = args.port_offset
    IPERF_PORT = port(15201)
    if args.pairs_threads is None:
        args.pairs_threads = args.isthmus_threads
    scen, chosen = choose(ap, args)

    workdir = tempfile.mkdtemp(prefix="isthmus-bench-")
    started = datetime.datetime.now()
    meta = {"started": started.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), "argv": sys.argv[1:],
            "seconds": args.seconds, "rounds": args.rounds, "streams": args.streams, "workdir": workdir, "suites": chosen}

    def log(text):
        print(text, flush=True)

    log("work directory (logs, generated configs): %s" % workdir)
    log("suites: %s%s" % (", ".join(chosen), "; throughput scenarios: " + " ".join(scen) if scen else ""))
    out, profiles, report = {}, [], []
    java = None
    for suite in chosen:
        if args.wait_quiet:
            load = wait_quiet(args.wait_quiet)
            log("%s: other processes use %.2f cores" % (suite, load))
        t0 = time.time()
        try:
            if suite == "throughput":
                out[suite] = throughput(scen, args, workdir, log, profiles)
                report += throughput_report(out[suite], args)
                continue
            if suite == "rawsocket":
                out[suite] = rawsocket.rawsocket(args, workdir, log)
                report += rawsocket.rawsocket_report(out[suite], args)
                continue
            if suite == "wisp":
                out[suite] = wisp.wisp(args, workdir, log, profiles)
                report += wisp.wisp_report(out[suite], args)
                continue
            if java is None:
                java = JavaTool(args, workdir)
            if suite == "latency":
                out[suite] = suites.latency(args, workdir, java, log)
                report += suites.latency_report(out[suite], args)
            elif suite == "pairs":
                out[suite] = suites.pairs(args, workdir, java, log, profiles)
                report += suites.pairs_report(out[suite], args)
            elif suite == "remoted":
                out[suite] = suites.remoted(args, workdir, java, log)
                report += suites.remoted_report(out[suite], args)
            elif suite == "idle":
                out[suite] = suites.idle(args, workdir, java, log)
                report += suites.idle_report(out[suite])
            elif suite == "bare":
                out[suite] = bare.bare(args, workdir, java, log)
                report += bare.bare_report(out[suite], args)
            elif suite == "wstunnel":
                out[suite] = wstunnel.wstunnel(args, workdir, java, log, profiles)
                report += wstunnel.wstunnel_report(out[suite], args)
        except (Pending, RuntimeError, subprocess.SubprocessError, OSError) as e:
            log("%s: FAILED or pending: %s" % (suite, e))
            report += ["## %s" % suite, "", "not measured: %s" % e, ""]
            out[suite] = {"error": str(e)}
        finally:
            log("%s took %.0f s" % (suite, time.time() - t0))
    report = goals(out) + report
    if profiles:
        report += ["## Profiles (JFR, last round)", ""]
        for label, path in profiles:
            report += ["### " + label, "", "```", profile_summary(path), "```", ""]

    m = meta["machine"]
    header = ["# Isthmus bench %s" % meta["started"], "",
              "Command: `bench/run.sh %s`. Machine: %s x %s, %s GiB, kernel %s; %s. Took %.0f min." % (
                  " ".join(sys.argv[1:]), m["cpus"], m["cpu"], m["memory_gib"], m["kernel"], m["java"],
                  (time.time() - started.timestamp()) / 60), ""]
    text = "\n".join(header + report)
    print()
    print(text)
    os.makedirs(args.out, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, stamp + ".md"), "w") as f:
        f.write(text + "\n")
    serialisable = dict(out)
    if "throughput" in serialisable and "results" in serialisable["throughput"]:
        t = dict(serialisable["throughput"])
        t["results"] = {"%s|P%d" % k: v for k, v in t["results"].items()}
        serialisable["throughput"] = t
    with open(os.path.join(args.out, stamp + ".json"), "w") as f:
        json.dump({"meta": meta, "results": serialisable}, f, indent=1, default=str)
    print("written to %s/%s.{md,json}" % (args.out, stamp))


if __name__ == "__main__":
    main()
