"""The wstunnel suite: viewer requests through one websocktunnel client session. The shipped executable runs
twice, as the gateway (plugin-wstunnel) and as `isthmus wst-client`, which serves every stream from an nginx
origin on loopback; the load generator (bench/java/BenchLoad.java http: keep-alive viewers, one request in
flight per connection) plays the viewers. Rows: requests/s of a small file, p50/p99, the gateway's (and the
client's) CPU-seconds per 10,000 requests, and MiB/s of a 10 MiB body on one viewer connection. The Go
server and client cannot be installed here: their row is the anchor measured earlier on the same load
(issue #12), printed for reference, not measured in this run.
"""
import os
import subprocess
import time
import urllib.error
import urllib.request

from common import (GATEWAY_JAVA_OPTS, Gateway, OtherLoad, Service, find_isthmus, jit_seconds, large_file, last_json,
                    med, nginx_origin, port, run_measured, settle_jit)

LARGE_MIB = 10
CLIENT_ID = "bench1"
SECRET = "isthmus-bench-secret-0123456789abcdef0123456789"
# The anchor of issue #12: the real Go websocktunnel server and wst-client on this load, measured earlier.
GO_ANCHOR = {"rps": 500, "p50_ms": None, "p99_ms": 250, "cpu_s_per_10k": 17.8, "large_mib_per_s": 81}
GOALS = {"rps": 5000, "p99_ms": 25, "cpu_s_per_10k": 2.0, "large_mib_per_s": 500}


def _origin(workdir, origin_port):
    files = os.path.join(workdir, "wst-files")
    os.makedirs(files, exist_ok=True)
    with open(os.path.join(files, "small.txt"), "w") as f:
        f.write("hello from the origin, a small file\n")
    large_file(os.path.join(files, "large.bin"), LARGE_MIB)
    return nginx_origin(workdir, "wst-origin", origin_port, """\
    root %s;
    sendfile on;
""" % files)


def _client(args, workdir, gw_port, origin_port):
    launcher = find_isthmus(args.isthmus)
    done = subprocess.run([launcher, "wst-token", CLIENT_ID, "--secret", SECRET], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, JAVA_OPTS=" ".join(GATEWAY_JAVA_OPTS)))
    if done.returncode != 0:
        raise RuntimeError("wst-token: " + (done.stdout + done.stderr)[-300:])
    token = done.stdout.strip().splitlines()[-1]
    return Service("wst-client", [launcher, "wst-client", "http://127.0.0.1:%d/wst/" % gw_port, CLIENT_ID,
                                  str(origin_port), "--token", token], workdir,
                   env=dict(os.environ, JAVA_OPTS=" ".join(GATEWAY_JAVA_OPTS)))


def _wait_served(url, client, timeout=60):
    """Until a viewer request through the tunnel answers 200 (the client has registered)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not client.alive():
            raise RuntimeError("wst-client exited: %s" % client.log_tail())
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError("no client session after %ds: %s" % (timeout, client.log_tail()))


def wstunnel(args, workdir, java, log, profiles=None):
    origin_port, gw_port = port(15801), port(15810)
    services = []
    try:
        services.append(_origin(workdir, origin_port))
        gw = Gateway("wst-gw", args, workdir, gw_port, False,
                     '  plugins.wstunnel { secrets = ["%s"] }\n' % SECRET)
        services.append(gw)
        client = _client(args, workdir, gw_port, origin_port)
        services.append(client)
        base = "/wst/%s" % CLIENT_ID
        _wait_served("http://127.0.0.1:%d%s/small.txt" % (gw_port, base), client)
        targets = {
            "direct (nginx)": (None, "127.0.0.1:%d" % origin_port, ""),
            "isthmus + isthmus wst-client": (gw, "127.0.0.1:%d" % gw_port, base),
        }
        results = {name: [] for name in targets}

        def load(target, path, seconds, warmup, connections):
            return java.argv("http", "--target", target, "--path", path, "--connections", connections,
                             "--seconds", seconds, "--warmup-seconds", warmup)

        settle_jit(gw, lambda: run_measured(load(targets["isthmus + isthmus wst-client"][1], base + "/small.txt", 5, 0,
                                                 args.wst_connections), workdir, timeout=120),
                   log, "wstunnel", max_batches=8, quiet_share=0.05)
        for rnd in range(args.rounds):
            for name, (service, target, prefix) in targets.items():
                mark = {}
                other = OtherLoad()
                profiling = profiles is not None and args.profile and service and rnd == args.rounds - 1

                def measuring(service=service, mark=mark):
                    if service:
                        mark["cpu"], mark["client_cpu"] = service.cpu(), client.cpu()

                if profiling:
                    service.start_profile(workdir, "wstunnel")
                out = run_measured(load(target, prefix + "/small.txt", args.wst_seconds, args.wst_warmup,
                                        args.wst_connections),
                                   workdir, timeout=args.wst_seconds + args.wst_warmup + 90, on_measuring=measuring)
                if profiling:
                    profiles.append(("wstunnel gateway, viewer requests", service.stop_profile()))
                row = last_json(out)
                if service:
                    cpu = service.cpu() - mark.get("cpu", 0)
                    ccpu = client.cpu() - mark.get("client_cpu", 0)
                    row["server_cpu_s"] = cpu
                    row["cpu_s_per_10k"] = cpu * 10000 / row["requests"] if row["requests"] else None
                    row["client_cpu_s_per_10k"] = ccpu * 10000 / row["requests"] if row["requests"] else None
                row["other_cores"] = other.cores()
                if service and rnd == 0:
                    # The small file never runs the bulk path (256 KiB DATs, masking, unmasking); without its own
                    # warm-up the 10 MiB row measured the JIT compiling it for most of its 5 s (seen: 150-250 MiB/s
                    # in the first 3-5 s, 550-800 after). After the small row: warming the bulk path first made
                    # the small row slower (recompiled shared code).
                    _settle_large(service, client, lambda: run_measured(load(target, prefix + "/large.bin", 3, 0, 1),
                                                                        workdir, timeout=120), log)
                lmark = {}

                def large_measuring(service=service, lmark=lmark):
                    lmark["other"] = OtherLoad()
                    if service:
                        lmark["cpu"], lmark["client_cpu"] = service.cpu(), client.cpu()

                lout = run_measured(load(target, prefix + "/large.bin", 5, 1, 1), workdir, timeout=120,
                                    on_measuring=large_measuring)
                large = last_json(lout)
                row["large_mib_per_s"] = large["mib_per_s"]
                row["large_other_cores"] = lmark["other"].cores() if "other" in lmark else None
                tens = large["mib_per_s"] * large["seconds"] / LARGE_MIB
                if service and tens > 0:
                    row["large_cpu_s_per_10mib"] = (service.cpu() - lmark["cpu"]) / tens
                    row["large_client_cpu_s_per_10mib"] = (client.cpu() - lmark["client_cpu"]) / tens
                results[name].append(row)
                log("round %d wstunnel %-29s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  cpu/10k %s  large %6.0f MiB/s "
                    "(CPU-s per 10 MiB gateway %s, client %s; other load %s cores)  errors %d" % (
                        rnd + 1, name, row["rps"], row["p50_ms"], row["p99_ms"],
                        "%.2f s" % row["cpu_s_per_10k"] if row.get("cpu_s_per_10k") is not None else "-",
                        row["large_mib_per_s"], _fmt(row.get("large_cpu_s_per_10mib"), "%.4f"),
                        _fmt(row.get("large_client_cpu_s_per_10mib"), "%.4f"), _fmt(row.get("large_other_cores"), "%.2f"),
                        row["errors"]))
        return results
    finally:
        for s in reversed(services):
            s.stop()


def _settle_large(gw, client, warm_batch, log, max_batches=6, quiet_share=0.05):
    """settle_jit for the bulk path, on both processes: 3 s batches of the 10 MiB body until the JIT threads
    of the gateway and of the client each used under quiet_share of their process's CPU."""
    for n in range(1, max_batches + 1):
        before = [(p.cpu(), jit_seconds(p.pid)) for p in (gw, client)]
        warm_batch()
        shares = []
        for p, (cpu0, jit0) in zip((gw, client), before):
            cpu, jit = p.cpu() - cpu0, jit_seconds(p.pid) - jit0
            shares.append(jit / cpu if cpu > 0 else 0.0)
        log("wstunnel: large-body warm-up batch %d, JIT %.0f%% of the gateway's CPU, %.0f%% of the client's" % (
            n, 100 * shares[0], 100 * shares[1]))
        if max(shares) < quiet_share:
            return n
    return max_batches


def _fmt(v, pattern):
    return pattern % v if v is not None else "-"


def wstunnel_report(results, args):
    lines = ["## websocktunnel viewers through one client session (%d keep-alive viewers, %d s after %d s warm-up, "
             "%d rounds, medians)" % (args.wst_connections, args.wst_seconds, args.wst_warmup, args.rounds), "",
             "A small file from nginx behind the client; the large body is %d MiB on one viewer connection. Isthmus "
             "runs as the gateway (event-loop-threads = %d) and as `isthmus wst-client` (its own process); every "
             "viewer request is one wsmux stream and one new client connection to nginx." % (LARGE_MIB, args.isthmus_threads), "",
             "| path | requests/s | p50 ms | p99 ms | gateway CPU-s per 10k requests | client CPU-s per 10k | "
             "large body MiB/s | large: gateway CPU-s per 10 MiB | large: client CPU-s per 10 MiB | errors | "
             "other load (cores; small / large) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, rows in results.items():
        lines.append("| %s | %.0f | %.2f | %.2f | %s | %s | %.0f | %s | %s | %d | %.2f / %s |" % (
            name, med(rows, "rps"), med(rows, "p50_ms"), med(rows, "p99_ms"), _fmt(med(rows, "cpu_s_per_10k"), "%.2f"),
            _fmt(med(rows, "client_cpu_s_per_10k"), "%.2f"), med(rows, "large_mib_per_s"),
            _fmt(med(rows, "large_cpu_s_per_10mib"), "%.4f"), _fmt(med(rows, "large_client_cpu_s_per_10mib"), "%.4f"),
            sum(r["errors"] for r in rows), med(rows, "other_cores") or 0, _fmt(med(rows, "large_other_cores"), "%.2f")))
    a = GO_ANCHOR
    lines.append("| Go websocktunnel server + Go wst-client (anchor of issue #12, measured earlier, not in this run) "
                 "| ~%d | - | ~%d | %.1f | - | %d | - | - | - | - |" % (a["rps"], a["p99_ms"], a["cpu_s_per_10k"], a["large_mib_per_s"]))
    rows = results.get("isthmus + isthmus wst-client")
    if rows:
        rps, p99, cpu, large = (med(rows, "rps"), med(rows, "p99_ms"), med(rows, "cpu_s_per_10k"),
                                med(rows, "large_mib_per_s"))

        def verdict(ok):
            return "met" if ok else "**missed**"

        lines += ["", "| goal (issue #12) | this run | vs the Go anchor | verdict |", "|---|---|---|---|",
                  "| >= %d requests/s | %.0f | %.1fx | %s |" % (GOALS["rps"], rps, rps / a["rps"], verdict(rps >= GOALS["rps"])),
                  "| p99 <= %d ms | %.2f ms | %.2f vs %d ms | %s |" % (GOALS["p99_ms"], p99, p99, a["p99_ms"], verdict(p99 <= GOALS["p99_ms"])),
                  "| <= %.0f gateway CPU-s per 10k requests | %s | %s vs %.1f | %s |" % (
                      GOALS["cpu_s_per_10k"], _fmt(cpu, "%.2f"), _fmt(cpu, "%.2f"), a["cpu_s_per_10k"],
                      verdict(cpu is not None and cpu <= GOALS["cpu_s_per_10k"])),
                  "| >= %d MiB/s, one 10 MiB body | %.0f | %.1fx | %s |" % (
                      GOALS["large_mib_per_s"], large, large / a["large_mib_per_s"], verdict(large >= GOALS["large_mib_per_s"]))]
    return lines + [""]
