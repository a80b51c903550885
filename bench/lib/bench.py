#!/usr/bin/env python3
"""Loopback throughput and CPU-per-byte of TCP relays: the method of the perf notes (section 4.2).

One iperf3 server on 127.0.0.1. Every relay listens on its own 127.0.0.1 port and forwards to it. Each
round runs every scenario once per stream count (interleaved, so drift on a shared VM hits all alike);
the report gives medians over rounds, the ratio to direct, and each relay's CPU seconds per GB moved,
from utime+stime (and reaped children) in /proc/<pid>/stat of its whole process tree.

Run through bench/run.sh, which checks the tools first. Stdlib only.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")
CLK_TCK = os.sysconf("SC_CLK_TCK")
IPERF_PORT = 15201

# name -> description; the order is the report's order.
PEERS = ["direct", "socat", "nginx", "haproxy", "haproxy-splice"]
ISTHMUS = ["isthmus-copy", "isthmus-splice"]
PROBE = ["probe-copy-64k", "probe-splice-64k", "probe-copy-256k", "probe-splice-256k"]
DEFAULT = PEERS + ISTHMUS
DESCRIPTIONS = {
    "direct": "direct (no relay)",
    "socat": "socat -b 131072 (a process per connection)",
    "nginx": "nginx stream, 1 worker, proxy_buffer_size 128k",
    "haproxy": "HAProxy mode tcp, 1 thread",
    "haproxy-splice": "HAProxy mode tcp + option splice-request/-response, 1 thread",
    "isthmus-copy": "Isthmus WebRoute pair, copy (isthmus.splice.zero-copy = false)",
    "isthmus-splice": "Isthmus WebRoute pair, zero-copy (isthmus.splice.zero-copy = true)",
    "probe-copy-64k": "Isthmus engine via test probe pair, copy, max-read-size 64k",
    "probe-splice-64k": "Isthmus engine via test probe pair, zero-copy, max-read-size 64k",
    "probe-copy-256k": "Isthmus engine via test probe pair, copy, max-read-size 256k",
    "probe-splice-256k": "Isthmus engine via test probe pair, zero-copy, max-read-size 256k",
}


class Pending(Exception):
    """A scenario that cannot run yet (its hook is not filled in)."""


# ---------------------------------------------------------------- processes and CPU accounting

def proc_tree(root):
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(name))
        except (OSError, IndexError):
            continue
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(root):
    """utime+stime+cutime+cstime of root and its live descendants, in seconds."""
    ticks = 0
    for pid in proc_tree(root):
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # After the comm field: state is [0]; utime, stime, cutime, cstime are fields 14-17 of stat.
            ticks += sum(int(x) for x in fields[11:15])
        except (OSError, IndexError):
            continue
    return ticks / CLK_TCK


class Service:
    """A long-running process of the bench (a relay, a dock, a gateway)."""

    def __init__(self, name, argv, workdir, env=None, ready_port=None):
        self.name = name
        log = open(os.path.join(workdir, name + ".log"), "w")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, cwd=workdir)
        if ready_port:
            wait_port(ready_port, self)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def wait_port(port, service=None, timeout=60):
    import socket
    deadline = time.time() + timeout
    while time.time() < deadline:
        if service is not None and not service.alive():
            raise RuntimeError("%s exited; see its log in the work directory" % service.name)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %ds" % (port, timeout))


# ---------------------------------------------------------------- scenarios

class Scenario:
    def __init__(self, name, port, relay=None, helpers=(), jvm=False):
        self.name = name
        self.port = port
        self.relay = relay            # the Service whose CPU is "the proxy's"
        self.helpers = list(helpers)  # other Services on the path (docks), reported apart
        self.jvm = jvm


def write(workdir, name, text):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start_peer(name, workdir):
    if name == "direct":
        return Scenario(name, IPERF_PORT)
    if name == "socat":
        port = 15301
        s = Service("socat", ["socat", "-b", "131072", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % port,
                              "TCP:127.0.0.1:%d" % IPERF_PORT], workdir, ready_port=port)
        return Scenario(name, port, s)
    if name == "nginx":
        port = 15302
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
    if name in ("haproxy", "haproxy-splice"):
        port = 15303 if name == "haproxy" else 15304
        splice = "  option splice-request\n  option splice-response\n" if name == "haproxy-splice" else ""
        conf = write(workdir, name + ".cfg", """global
  nbthread 1
  maxconn 1000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen relay
  bind 127.0.0.1:%d
%s  server iperf 127.0.0.1:%d
""" % (port, splice, IPERF_PORT))
        s = Service(name, ["haproxy", "-db", "-f", conf], workdir, ready_port=port)
        return Scenario(name, port, s)
    raise KeyError(name)


JAVA_OPTS = ["-Xmx1g", "-XX:MaxDirectMemorySize=1g", "-Dio.netty.leakDetection.level=disabled"]


def gateway_conf(workdir, name, port, zero_copy, read_size, threads, extra=""):
    return write(workdir, name + ".conf", """isthmus {
  listen = "127.0.0.1:%d"
  admin.listen = "127.0.0.1:%d"
  event-loop-threads = %d
  logging.access-log = false
  splice {
    zero-copy = %s
    max-read-size = %s
  }
%s}
""" % (port, port + 1, threads, "true" if zero_copy else "false", read_size, extra))


def start_probe(name, workdir, shared, args):
    """probe-{copy,splice}-{64k,256k}: the gateway from gateway-core's test classpath and splice docks."""
    mode, size = name.split("-")[1:3]
    gw_port = {"64k": 15410, "256k": 15420}[size]
    key = "probe-gateway-" + size
    if key not in shared:
        cp = probe_classpath()
        conf = gateway_conf(workdir, key, gw_port, True, size, args.isthmus_threads,
                            "  plugins.probe { enabled = true, idle-timeout = 1h }\n")
        shared[key] = Service(key, ["java"] + JAVA_OPTS + ["-cp", cp, "io.isthmus.core.splice.BenchGateway", conf],
                              workdir, ready_port=gw_port)
    dock_port = gw_port + (5 if mode == "copy" else 6)
    dock = Service(name + "-dock", [sys.executable, os.path.join(BENCH, "lib", "dock.py"), str(dock_port),
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
    """isthmus-{copy,splice}: the shipped gateway and two WebRoute docks (bench/hooks/webroute-docks.sh)."""
    zero_copy = name == "isthmus-splice"
    home = args.isthmus_home
    launcher = os.path.join(home, "bin", "isthmus")
    if not os.access(launcher, os.X_OK):
        raise Pending("no gateway at %s: build the distribution (mvn -B package) or pass --isthmus-home" % launcher)
    gw_port = 15510 if zero_copy else 15520
    conf = gateway_conf(workdir, name + "-gateway", gw_port, zero_copy, args.isthmus_read_size,
                        args.isthmus_threads, hook_output([os.path.join(BENCH, "hooks", "webroute-docks.sh"), "config"]))
    gateway = Service(name + "-gateway", [launcher, "run", "--config", conf], workdir,
                      env=dict(os.environ, JAVA_OPTS=" ".join(JAVA_OPTS)), ready_port=gw_port)
    shared[name + "-gateway"] = gateway
    dock_port = gw_port + 5
    dock = Service(name + "-docks", [os.path.join(BENCH, "hooks", "webroute-docks.sh"), "run", str(dock_port),
                                     "127.0.0.1:%d" % gw_port, str(IPERF_PORT)], workdir)
    try:
        wait_port(dock_port, dock, timeout=30)
    except RuntimeError:
        with open(os.path.join(workdir, name + "-docks.log")) as f:
            text = f.read()
        if "PENDING" in text:
            raise Pending(text.strip().splitlines()[-1])
        raise
    return Scenario(name, dock_port, gateway, [dock], jvm=True)


def hook_output(argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise Pending((done.stdout + done.stderr).strip().splitlines()[-1] if (done.stdout + done.stderr).strip()
                      else "hook failed: " + " ".join(argv))
    return done.stdout


# ---------------------------------------------------------------- measuring

def iperf(port, seconds, streams):
    argv = ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(seconds), "-P", str(streams), "-J"]
    for attempt in range(3):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        try:
            end = json.loads(done.stdout)["end"]["sum_received"]
            return end["bits_per_second"] / 1e9, end["bytes"], end["seconds"]
        except (ValueError, KeyError):
            time.sleep(1 + attempt)
    raise RuntimeError("iperf3 through port %d failed: %s" % (port, (done.stdout + done.stderr)[-400:]))


def measure(sc, seconds, streams):
    services = ([sc.relay] if sc.relay else []) + sc.helpers
    before = {s.name: cpu_seconds(s.pid) for s in services}
    gbits, nbytes, secs = iperf(sc.port, seconds, streams)
    after = {s.name: cpu_seconds(s.pid) for s in services}
    gb = nbytes / 1e9
    row = {"gbits": gbits, "bytes": nbytes, "seconds": secs}
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


def report(results, scenarios, streams_list, args, meta):
    lines = ["# Bench %s" % meta["started"], "",
             "%d s per run, %d rounds interleaved, medians (min-max). Machine: %s x %s, kernel %s." % (
                 args.seconds, args.rounds, meta["machine"]["cpus"], meta["machine"]["cpu"], meta["machine"]["kernel"]),
             ""]
    pending = {}
    for streams in streams_list:
        direct = median_of(results.get(("direct", streams), []), "gbits")
        lines += ["## -P %d" % streams, "",
                  "| scenario | Gbit/s | % of direct | relay cores | relay CPU-s/GB | docks CPU-s/GB |",
                  "|---|---|---|---|---|---|"]
        for name in scenarios:
            rows = results.get((name, streams))
            if rows is None:
                continue
            if isinstance(rows, str):
                lines.append("| %s | pending | | | | |" % name)
                pending[name] = rows
                continue
            g = [r["gbits"] for r in rows]
            med = statistics.median(g)
            pct = "%.0f" % (100 * med / direct) if direct else "-"
            fmt = lambda v, f="%.2f": f % v if v is not None else "-"
            lines.append("| %s | %.2f (%.2f-%.2f) | %s | %s | %s | %s |" % (
                name, med, min(g), max(g), pct, fmt(median_of(rows, "relay_cores")),
                fmt(median_of(rows, "relay_cpu_s_per_gb")), fmt(median_of(rows, "helper_cpu_s_per_gb"))))
        lines.append("")
    for name, why in pending.items():
        lines.append("- %s is pending: %s" % (name, why))
    lines += ["", "relay = the proxy's (or gateway's) process tree; docks = the two docks on the Isthmus path, apart.", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", help="default: %s; also: %s, or 'all'" % (" ".join(DEFAULT), " ".join(PROBE)))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--streams", default="1,4", help="iperf3 -P values, comma-separated")
    ap.add_argument("--isthmus-home", default=os.environ.get("ISTHMUS_HOME", os.path.join(ROOT, "distribution", "target", "isthmus")))
    ap.add_argument("--isthmus-threads", type=int, default=1, help="event-loop-threads of the gateways (peers run 1 worker)")
    ap.add_argument("--isthmus-read-size", default="256k", help="isthmus.splice.max-read-size of the isthmus-* gateways")
    ap.add_argument("--out", default=os.path.join(BENCH, "results"))
    args = ap.parse_args()
    names = args.scenarios or DEFAULT
    if names == ["all"]:
        names = DEFAULT + PROBE
    unknown = [n for n in names if n not in DESCRIPTIONS]
    if unknown:
        ap.error("unknown scenario(s): %s" % " ".join(unknown))
    if "direct" not in names:
        names = ["direct"] + names
    streams_list = [int(x) for x in args.streams.split(",")]

    workdir = tempfile.mkdtemp(prefix="isthmus-bench-")
    meta = {"started": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(),
            "seconds": args.seconds, "rounds": args.rounds, "streams": streams_list, "workdir": workdir}
    print("work directory (logs, generated configs): %s" % workdir, flush=True)
    services, shared, scenarios, results = [], {}, {}, {}
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
                print("%s: pending (%s)" % (name, p), flush=True)
                for s in streams_list:
                    results[(name, s)] = str(p)
                continue
            scenarios[name] = sc
            services += ([sc.relay] if sc.relay else []) + sc.helpers
            if sc.jvm:
                iperf(sc.port, 3, 1)  # JIT warm-up, not recorded
        for rnd in range(args.rounds):
            for streams in streams_list:
                for name, sc in scenarios.items():
                    row = measure(sc, args.seconds, streams)
                    results.setdefault((name, streams), []).append(row)
                    print("round %d -P %d %-18s %6.2f Gbit/s  relay %s CPU-s/GB" % (
                        rnd + 1, streams, name, row["gbits"],
                        "%.2f" % row["relay_cpu_s_per_gb"] if "relay_cpu_s_per_gb" in row else "-"), flush=True)
    finally:
        for s in list(shared.values()) + services:
            s.stop()
    text = report(results, names, streams_list, args, meta)
    print()
    print(text)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, stamp + ".md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, stamp + ".json"), "w") as f:
        json.dump({"meta": meta, "results": {"%s|P%d" % k: v for k, v in results.items()}}, f, indent=1)
    print("written to %s/%s.{md,json}" % (args.out, stamp))


if __name__ == "__main__":
    main()
