"""The Bare suite: a Bare v3 GET of a small response, and of a large body, through Isthmus and through the
reference @tomphttp/bare-server-node 2.0.6, both in front of the same nginx origin and driven by the same
load generator (bench/java/BenchLoad.java http: keep-alive, fixed concurrency, one request in flight per
connection). Rows: requests/s, p50/p99, server CPU-seconds per 10,000 requests, MiB/s of the large body.
"""
import os

from common import (BENCH, Gateway, OtherLoad, large_file, last_json, med, nginx_origin, node_service, port, run_measured,
                    settle_jit)

LARGE_MIB = 64


def _origin(workdir, origin_port):
    files = os.path.join(workdir, "files")
    os.makedirs(files, exist_ok=True)
    large_file(os.path.join(files, "large.bin"), LARGE_MIB)
    return nginx_origin(workdir, "bare-origin", origin_port, """\
    location = /small { default_type text/plain; return 200 "hello from the origin, a small response\\n"; }
    location /files/ { root %s; sendfile on; }
""" % workdir, http="  keepalive_timeout 120s;\n")


def _reference(workdir, ref_port):
    return node_service(workdir, "bare-reference", "@tomphttp/bare-server-node",
                        os.path.join(BENCH, "js", "bare-reference.cjs"), ref_port)


def bare(args, workdir, java, log):
    origin_port, gw_port, ref_port = port(15701), port(15710), port(15720)
    services = []
    try:
        services.append(_origin(workdir, origin_port))
        gw = Gateway("bare-gw", args, workdir, gw_port, False,
                     '  plugins.bare.egress.allow-cidrs = ["127.0.0.0/8"]\n')
        services.append(gw)
        ref = _reference(workdir, ref_port)
        services.append(ref)
        origin = "127.0.0.1:%d" % origin_port
        bare_headers = ["--header", 'X-Bare-Headers: {"Host":"%s"}' % origin]
        targets = {
            "direct (nginx)": (None, origin, "/small", []),
            "isthmus": (gw, "127.0.0.1:%d" % gw_port, "/bare/v3/", ["--header", "X-Bare-URL: http://%s/small" % origin] + bare_headers),
            "bare-server-node": (ref, "127.0.0.1:%d" % ref_port, "/bare/v3/", ["--header", "X-Bare-URL: http://%s/small" % origin] + bare_headers),
        }
        large = {
            "direct (nginx)": (origin, "/files/large.bin", []),
            "isthmus": ("127.0.0.1:%d" % gw_port, "/bare/v3/", ["--header", "X-Bare-URL: http://%s/files/large.bin" % origin] + bare_headers),
            "bare-server-node": ("127.0.0.1:%d" % ref_port, "/bare/v3/", ["--header", "X-Bare-URL: http://%s/files/large.bin" % origin] + bare_headers),
        }
        results = {name: [] for name in targets}

        def load(target, path, headers, seconds, warmup, connections):
            return java.argv("http", "--target", target, "--path", path, *headers, "--connections", connections,
                             "--seconds", seconds, "--warmup-seconds", warmup)

        # A fixed warm-up left C2 compiling through the measured run: warm each server until its JIT is quiet.
        for name, (service, target, path, headers) in targets.items():
            if service:
                settle_jit(service, lambda t=target, p=path, h=headers: run_measured(
                    load(t, p, h, 5, 0, args.bare_connections), workdir, timeout=120), log, "bare " + name,
                    max_batches=8, quiet_share=0.05)
        for rnd in range(args.rounds):
            for name, (service, target, path, headers) in targets.items():
                mark = {}
                other = OtherLoad()

                def measuring(service=service, mark=mark):
                    mark["cpu"] = service.cpu() if service else 0

                out = run_measured(load(target, path, headers, args.bare_seconds, args.bare_warmup, args.bare_connections),
                                   workdir, timeout=args.bare_seconds + args.bare_warmup + 90, on_measuring=measuring)
                row = last_json(out)
                if service:
                    cpu = service.cpu() - mark.get("cpu", 0)
                    row["server_cpu_s"] = cpu
                    row["cpu_s_per_10k"] = cpu * 10000 / row["requests"] if row["requests"] else None
                row["other_cores"] = other.cores()
                lout = run_measured(load(large[name][0], large[name][1], large[name][2], 5, 1, 1), workdir, timeout=120)
                row["large_mib_per_s"] = last_json(lout)["mib_per_s"]
                results[name].append(row)
                log("round %d bare %-17s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  cpu/10k %s  large %6.0f MiB/s  errors %d" % (
                    rnd + 1, name, row["rps"], row["p50_ms"], row["p99_ms"],
                    "%.2f s" % row["cpu_s_per_10k"] if row.get("cpu_s_per_10k") is not None else "-",
                    row["large_mib_per_s"], row["errors"]))
        return results
    finally:
        for s in services:
            s.stop()


def bare_report(results, args):
    lines = ["## Bare v3 GET (%d keep-alive connections, %d s after %d s warm-up, %d rounds, medians)" % (
        args.bare_connections, args.bare_seconds, args.bare_warmup, args.rounds), "",
        "Same nginx origin, same load generator (BenchLoad http). Isthmus with event-loop-threads = %d; "
        "bare-server-node is one Node process. The large body is %d MiB on one connection." % (args.isthmus_threads, LARGE_MIB), "",
        "| path | requests/s | p50 ms | p99 ms | server CPU-s per 10k requests | large body MiB/s | errors | other load (cores) |",
        "|---|---|---|---|---|---|---|---|"]
    for name, rows in results.items():
        cpu = med(rows, "cpu_s_per_10k")
        lines.append("| %s | %.0f | %.2f | %.2f | %s | %.0f | %d | %.2f |" % (
            name, med(rows, "rps"), med(rows, "p50_ms"), med(rows, "p99_ms"),
            "%.2f" % cpu if cpu is not None else "-", med(rows, "large_mib_per_s"),
            sum(r["errors"] for r in rows), med(rows, "other_cores") or 0))
    isthmus, ref, direct = results.get("isthmus"), results.get("bare-server-node"), results.get("direct (nginx)")
    if isthmus and ref and med(ref, "rps"):
        lines += ["", "Isthmus vs the reference: %.2fx the requests/s, p99 %.2f vs %.2f ms, %.2f vs %.2f CPU-s per 10k; "
                  "large body %.0f%% of direct." % (
                      med(isthmus, "rps") / med(ref, "rps"), med(isthmus, "p99_ms"), med(ref, "p99_ms"),
                      med(isthmus, "cpu_s_per_10k") or 0, med(ref, "cpu_s_per_10k") or 0,
                      100 * med(isthmus, "large_mib_per_s") / med(direct, "large_mib_per_s") if direct else 0)]
    return lines + [""]
