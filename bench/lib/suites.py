"""The suites beside throughput: small-message latency, WebRoute pairs per second, Remoted connects per
second, and the memory of idle linked pairs. Each starts the shipped gateway with a generated config,
drives it with bench/java/BenchLoad.java on loopback (pairs: with bench/c/pairload.c, by default), and
returns rows for the report. Every load is bounded in count and in time.
"""
import os
import select
import subprocess
import time

from common import (Gateway, OtherLoad, Service, compile_c, jit_seconds, last_json, med, port, run_measured,
                    settle_jit, slab_bytes, webroute_conf)

REMOTED_SERVER_KEY = "bench-server-key-0123456789abcdef"
REMOTED_CLIENT_KEY = "bench-client-key-0123456789abcdef"


# ---------------------------------------------------------------- latency

def latency(args, workdir, java, log):
    """Ping-pong of --latency-size-byte messages on one connection: direct to an echo server, and through a
    WebRoute link (copy and splice gateways) to the same echo server, which holds the other leg."""
    conf = webroute_conf()
    echo_port, copy, splice = port(15601), "127.0.0.1:%d" % port(15610), "127.0.0.1:%d" % port(15620)
    auto = "127.0.0.1:%d" % port(15630)
    # isthmus-auto: the default config (zero-copy = auto), issue #16.
    gws = {"isthmus-auto": Gateway("latency-gw-auto", args, workdir, port(15630), None, conf),
           "isthmus-copy": Gateway("latency-gw-copy", args, workdir, port(15610), False, conf),
           "isthmus-splice": Gateway("latency-gw-splice", args, workdir, port(15620), True, conf)}
    services = list(gws.values())
    try:
        echo = Service("latency-echo", java.argv("echo", "--listen", echo_port,
                                                 "--webroute", copy, "/latency", "bench-latency-copy",
                                                 "--webroute", splice, "/latency", "bench-latency-splice",
                                                 "--webroute", auto, "/latency", "bench-latency-auto",
                                                 heap="256m"), workdir, ready_port=echo_port)
        services.append(echo)
        targets = {"direct": ["--direct", echo_port],
                   "isthmus-copy": ["--webroute", copy, "/latency", "bench-latency-copy"],
                   "isthmus-splice": ["--webroute", splice, "/latency", "bench-latency-splice"],
                   "isthmus-auto": ["--webroute", auto, "/latency", "bench-latency-auto"]}
        results = {name: [] for name in targets}
        n, warm, size = args.latency_count, args.latency_warmup, args.latency_size
        for name in gws:  # JIT warm-up of each gateway, not recorded
            run_measured(java.argv("pingpong", *targets[name], "--count", n, "--warmup", 0, "--size", size), workdir, timeout=120)
        for rnd in range(args.rounds):
            # The order rotates each round, so that no row always follows the same neighbour (a busy machine
            # drifts within a round: with a fixed order, the last row paid for it every time).
            order = list(targets.items())
            order = order[rnd % len(order):] + order[:rnd % len(order)]
            for name, target in order:
                gw = gws.get(name)
                other = OtherLoad()
                before = gw.cpu() if gw else 0
                out = run_measured(java.argv("pingpong", *target, "--count", n, "--warmup", warm, "--size", size),
                                   workdir, timeout=120)
                row = last_json(out)
                if gw:
                    row["gateway_cpu_us_per_rt"] = (gw.cpu() - before) * 1e6 / (n + warm)
                    row["modes"] = gw.splice_modes()
                row["other_cores"] = other.cores()
                results[name].append(row)
                log("round %d latency %-15s p50 %7.1f us  p99 %7.1f us" % (rnd + 1, name, row["p50_us"], row["p99_us"]))
        for name, gw in gws.items():
            results[name][-1]["modes"] = gw.splice_modes()
        return results
    finally:
        for s in services:
            s.stop()


def latency_report(results, args):
    direct = results.get("direct", [])
    d50, d99 = med(direct, "p50_us"), med(direct, "p99_us")
    lines = ["## Small-message round trips (%d x %d-byte ping-pong on one connection, %d rounds, medians)" % (
        args.latency_count, args.latency_size, args.rounds), "",
             "| path | p50 µs | p99 µs | p99.9 µs | p50 added vs direct | p99 added vs direct | gateway CPU µs per round trip | links | other load (cores) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, rows in results.items():
        p50, p99, p999 = med(rows, "p50_us"), med(rows, "p99_us"), med(rows, "p999_us")
        cpu = med(rows, "gateway_cpu_us_per_rt")
        modes = rows[-1].get("modes", {})
        lines.append("| %s | %.1f | %.1f | %.1f | %s | %s | %s | %s | %.2f |" % (
            name, p50, p99, p999,
            "-" if name == "direct" else "+%.1f µs" % (p50 - d50),
            "-" if name == "direct" else "+%.1f µs" % (p99 - d99),
            "-" if cpu is None else "%.1f" % cpu,
            ", ".join("%s %d" % kv for kv in sorted(modes.items())) or "-", med(rows, "other_cores")))
    lines.append("")
    return lines


# ---------------------------------------------------------------- WebRoute pairs per second

def pairs(args, workdir, java, log, profiles):
    """Bounded runs of N pairs with C in flight: both legs connect with one fresh ID, get their 101s, one
    byte crosses each way, leg A closes and the pair is done when the gateway closes leg B.

    The load generator is bench/c/pairload.c (one thread, epoll, about half the CPU per pair of BenchLoad's
    Netty `pairs` mode, which did the same work but cost more than the gateway it measured on 2 cores), or
    BenchLoad with --pairs-load java. Both print MEASURING after their warm-up and their own CPU after."""
    conf = webroute_conf()
    if args.pairs_load == "c":
        pairload = compile_c(workdir, "c/pairload.c", "pairload")

        def load(port, pairs=args.pairs, warmup=args.pairs_warmup):
            return [pairload, "--gateway", "127.0.0.1:%d" % port, "--pairs", str(pairs),
                    "--concurrency", str(args.pairs_concurrency), "--warmup-pairs", str(warmup),
                    "--max-seconds", "120"]
    else:
        def load(port, pairs=args.pairs, warmup=args.pairs_warmup):
            return java.argv("pairs", "--gateway", "127.0.0.1:%d" % port, "--pairs", pairs,
                             "--concurrency", args.pairs_concurrency, "--warmup-pairs", warmup,
                             "--max-seconds", 120)
    gws = {"link-grace 25ms (default)": Gateway("pairs-gw", args, workdir, port(15710), False, conf, threads=args.pairs_threads),
           "link-grace 0": Gateway("pairs-gw-nograce", args, workdir, port(15720), False,
                                   conf + "  plugins.webroute.link-grace = 0\n", threads=args.pairs_threads)}
    floor_name = "floor: minimal Netty pairing server (BenchLoad pairserver)"
    floor = Service("pairs-floor", java.argv("pairserver", "--listen", port(15730)), workdir, ready_port=port(15730))
    floor.port = port(15730)
    gws[floor_name] = floor
    results = {name: [] for name in gws}
    try:
        for name, gw in gws.items():  # every server is a JVM: until its JIT is done, it measures compiling
            settle_jit(gw, lambda: run_measured(load(gw.port, pairs=max(args.pairs_warmup, 5000), warmup=0), workdir,
                                                timeout=300), log, "pairs " + name)
        for rnd in range(args.rounds):
            for name, gw in gws.items():
                other = OtherLoad()
                if args.profile and rnd == args.rounds - 1 and isinstance(gw, Gateway):
                    gw.start_profile(workdir, "pairs")
                mark = {}
                out = run_measured(load(gw.port), workdir, timeout=300,
                                   on_measuring=lambda: mark.update(cpu=gw.cpu(), jit=jit_seconds(gw.pid)))
                row = last_json(out)
                row["gateway_cpu_ms_per_1000"] = (gw.cpu() - mark["cpu"]) * 1e6 / max(1, row["pairs"])
                row["gateway_jit_ms_per_1000"] = (jit_seconds(gw.pid) - mark["jit"]) * 1e6 / max(1, row["pairs"])
                row["load_cpu_ms_per_1000"] = row["load_cpu_s"] * 1e6 / max(1, row["pairs"])
                row["other_cores"] = other.cores()
                path = gw.stop_profile() if isinstance(gw, Gateway) else None
                if path:
                    profiles.append(("pairs, " + name, path))
                results[name].append(row)
                log("round %d pairs %-26s %8.0f pairs/s  p50 %6.1f ms  p99 %6.1f ms  errors %d  CPU per pair: server %.0f us, load %.0f us" % (
                    rnd + 1, name, row["pairs_per_s"], row["p50_ms"], row["p99_ms"], row["errors"],
                    row["gateway_cpu_ms_per_1000"], row["load_cpu_ms_per_1000"]))
        return results
    finally:
        for gw in gws.values():
            gw.stop()


def pairs_report(results, args):
    generator = "bench/c/pairload.c" if args.pairs_load == "c" else "BenchLoad pairs (Java, Netty)"
    lines = ["## WebRoute pairs per second (%d pairs, %d in flight, after %d warm-up pairs; %d rounds, medians; load generator %s)" % (
        args.pairs, args.pairs_concurrency, args.pairs_warmup, args.rounds, generator), "",
             "| server | pairs/s | p50 ms | p99 ms | p50 to both 101s | p50 first byte across | p50 close | errors | server CPU µs per pair | of which JIT | server pairs/s per core | load generator CPU µs per pair | other load (cores) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, rows in results.items():
        cpu = med(rows, "gateway_cpu_ms_per_1000")
        lines.append("| %s | **%.0f** (%.0f-%.0f) | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %.0f | %.0f | %s | %.0f | %.2f |" % (
            name, med(rows, "pairs_per_s"), min(r["pairs_per_s"] for r in rows), max(r["pairs_per_s"] for r in rows),
            med(rows, "p50_ms"), med(rows, "p99_ms"), med(rows, "p50_link_ms"), med(rows, "p50_bytes_ms"),
            med(rows, "p50_close_ms"), sum(r["errors"] for r in rows), cpu, med(rows, "gateway_jit_ms_per_1000") or 0,
            "{:,.0f}".format(1e6 / cpu) if cpu else "-", med(rows, "load_cpu_ms_per_1000"), med(rows, "other_cores")))
    lines.append("")
    lines.append("\"server pairs/s per core\" is 1 s / server CPU per pair: the rate one core given to the server alone "
                 "would sustain (the load generator and the kernel work it causes run elsewhere).")
    lines.append("")
    lines.append("")
    return lines


# ---------------------------------------------------------------- Remoted connects per second

def remoted(args, workdir, java, log):
    """One server registered with the Java SDK (RemotedServerSocket); bounded client connects with the SDK's
    RemotedClient, each exchanging one byte each way before closing."""
    conf = webroute_conf() + ('  plugins.remoted { server-keys = ["%s"], client-keys = ["%s"], max-waiting-per-ip = 10000 }\n'
                              % (REMOTED_SERVER_KEY, REMOTED_CLIENT_KEY))
    gw = Gateway("remoted-gw", args, workdir, port(15810), False, conf)
    rows = []

    def load(count, warmup):
        return java.argv("remoted", "--gateway", "127.0.0.1:%d" % gw.port, "--server-key", REMOTED_SERVER_KEY,
                         "--client-key", REMOTED_CLIENT_KEY, "--count", count, "--warmup", warmup,
                         "--concurrency", args.remoted_concurrency, "--max-seconds", 120)
    try:
        settle_jit(gw, lambda: run_measured(load(3000, 0), workdir, timeout=200), log, "remoted")
        for rnd in range(args.rounds):
            other = OtherLoad()
            mark = {}
            out = run_measured(load(args.remoted_count, args.remoted_warmup), workdir, timeout=200,
                               on_measuring=lambda: mark.update(cpu=gw.cpu(), jit=jit_seconds(gw.pid)))
            row = last_json(out)
            row["gateway_cpu_ms_per_1000"] = (gw.cpu() - mark["cpu"]) * 1e6 / max(1, row["connects"])
            row["gateway_jit_ms_per_1000"] = (jit_seconds(gw.pid) - mark["jit"]) * 1e6 / max(1, row["connects"])
            row["load_cpu_ms_per_1000"] = row["load_cpu_s"] * 1e6 / max(1, row["connects"])
            row["other_cores"] = other.cores()
            rows.append(row)
            log("round %d remoted %8.0f connects/s  p50 %6.1f ms  p99 %6.1f ms  errors %d" % (
                rnd + 1, row["connects_per_s"], row["p50_ms"], row["p99_ms"], row["errors"]))
        return {"remoted": rows}
    finally:
        gw.stop()


def remoted_report(results, args):
    rows = results["remoted"]
    return ["## Remoted client connects per second (%d connects through one registered server, %d in flight, after %d warm-up connects; %d rounds, medians)" % (
        args.remoted_count, args.remoted_concurrency, args.remoted_warmup, args.rounds), "",
            "| path | connects/s | p50 ms | p99 ms | errors | gateway CPU µs per connect | of which JIT | client + server SDK CPU µs per connect |",
            "|---|---|---|---|---|---|---|---|",
            "| Remoted (Java SDK both ends) | **%.0f** (%.0f-%.0f) | %.1f | %.1f | %d | %.0f | %.0f | %.0f |" % (
                med(rows, "connects_per_s"), min(r["connects_per_s"] for r in rows), max(r["connects_per_s"] for r in rows),
                med(rows, "p50_ms"), med(rows, "p99_ms"), sum(r["errors"] for r in rows),
                med(rows, "gateway_cpu_ms_per_1000"), med(rows, "gateway_jit_ms_per_1000") or 0,
                med(rows, "load_cpu_ms_per_1000")), ""]


# ---------------------------------------------------------------- idle scale

def _snapshot(gw):
    heap = gw.live_heap()
    m = gw.metrics()
    netty = sum(v for k, v in m.items() if k.startswith("netty_allocator_memory_used{") and 'memory_type="direct"' in k)
    direct = sum(v for k, v in m.items() if k.startswith('jvm_buffer_memory_used_bytes{id="direct"'))
    return {"heap": heap, "netty_direct": netty, "jvm_direct": direct, "rss": gw.rss(), "slab": slab_bytes(),
            "open_files": m.get("process_files_open_files", 0)}


def _histogram(text):
    classes = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].endswith(":") and parts[0][:-1].isdigit():
            classes[parts[3]] = (int(parts[1]), int(parts[2]))
    return classes


def histogram_diff(before, after, pairs, top=30):
    """Classes whose live instances grew most with the pairs: (class, instances per pair, bytes per pair)."""
    b, a = _histogram(before), _histogram(after)
    rows = []
    for name, (n, size) in a.items():
        n0, s0 = b.get(name, (0, 0))
        if size - s0 > 0:
            rows.append((name, (n - n0) / pairs, (size - s0) / pairs))
    rows.sort(key=lambda r: -r[2])
    return rows[:top]


def idle(args, workdir, java, log):
    """Live heap, direct memory, RSS and kernel slab of the gateway before, with N idle linked pairs (held by
    a separate load process), and after they closed."""
    conf = webroute_conf()
    gw = Gateway("idle-gw", args, workdir, port(15910), False, conf)
    holder = None
    try:
        # Warm the code paths (and the allocator's first chunks) so that the baseline is not the cold JVM.
        run_measured(java.argv("pairs", "--gateway", "127.0.0.1:%d" % gw.port, "--pairs", 2000, "--concurrency", 128,
                               "--max-seconds", 60), workdir, timeout=120)
        time.sleep(1)
        base = _snapshot(gw)
        histo_before = gw.jcmd("GC.class_histogram") if args.profile else None
        log("idle: baseline heap %.1f MB, rss %.1f MB" % (base["heap"] / 1e6, base["rss"] / 1e6))
        holder = subprocess.Popen(java.argv("hold", "--gateway", "127.0.0.1:%d" % gw.port, "--pairs", args.idle_pairs,
                                            "--concurrency", 256, "--hold-seconds", 300, heap="1g"),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(os.path.join(workdir, "idle-holder.log"), "w"), text=True, cwd=workdir)
        held, deadline = None, time.time() + 180
        while held is None:
            ready, _, _ = select.select([holder.stdout], [], [], max(0.1, deadline - time.time()))
            if not ready:
                raise RuntimeError("the idle holder did not report within 180 s")
            line = holder.stdout.readline()
            if not line:
                raise RuntimeError("the idle holder ended early (see idle-holder.log)")
            if line.startswith("{"):
                held = last_json(line)
        if held["pairs"] != args.idle_pairs:
            raise RuntimeError("the holder linked %d of %d pairs: %s" % (held["pairs"], args.idle_pairs, held))
        time.sleep(2)
        loaded = _snapshot(gw)
        loaded["links"] = gw.metric_sum("isthmus_splices_active")
        log("idle: %d pairs held; heap %.1f MB, rss %.1f MB, open files %d" % (
            held["pairs"], loaded["heap"] / 1e6, loaded["rss"] / 1e6, loaded["open_files"]))
        histogram = None
        if args.profile:
            histo = gw.jcmd("GC.class_histogram")
            for label, text in (("before", histo_before), ("with-pairs", histo)):
                with open(os.path.join(workdir, "idle-class-histogram-%s.txt" % label), "w") as f:
                    f.write(text)
            histogram = histogram_diff(histo_before, histo, args.idle_pairs)
        holder.stdin.close()
        holder.wait(60)
        holder = None
        time.sleep(3)
        after = _snapshot(gw)
        return {"pairs": args.idle_pairs, "held": held, "base": base, "loaded": loaded, "after": after,
                "histogram": histogram}
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        gw.stop()


def idle_report(r):
    n = r["pairs"]
    b, l, a = r["base"], r["loaded"], r["after"]

    def per(key):
        return (l[key] - b[key]) / n

    proj = 100000
    lines = ["## Idle linked pairs (%d pairs = %d client sockets in a separate process, %d gateway sockets; copy mode)" % (
        n, 2 * n, 2 * n), "",
             "| memory | before | with %d pairs | after they closed | per pair | projected at 100,000 pairs |" % n,
             "|---|---|---|---|---|---|"]
    rows = [("live heap after full GC (jcmd GC.run; GC.heap_info)", "heap"),
            ("Netty allocator, direct (netty_allocator_memory_used)", "netty_direct"),
            ("JVM direct buffers (jvm_buffer_memory_used_bytes)", "jvm_direct"),
            ("gateway RSS (VmRSS)", "rss"),
            ("kernel Slab, whole machine (4 sockets per pair)", "slab")]
    for label, key in rows:
        p = per(key)
        lines.append("| %s | %.1f MB | %.1f MB | %.1f MB | **%.0f B** (%.2f KiB) | %.2f GB |" % (
            label, b[key] / 1e6, l[key] / 1e6, a[key] / 1e6, p, p / 1024, (b[key] + proj * p) / 1e9))
    if r.get("histogram"):
        lines += ["", "What the heap per pair is made of (jcmd GC.class_histogram, with the pairs minus before; top classes):", "",
                  "| class | instances per pair | bytes per pair |", "|---|---|---|"]
        lines += ["| `%s` | %.2f | %.0f |" % row for row in r["histogram"]]
    lines += ["", "Gateway open files with the pairs held: %d. Projection = before + 100,000 × per pair; at 100,000 pairs "
              "the gateway needs 200,000 descriptors (copy mode) and the kernel about %.2f GB of slab for the gateway's "
              "half of the sockets." % (l["open_files"], 100000 * per("slab") / 2 / 1e9), ""]
    return lines
