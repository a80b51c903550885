"""What every bench suite shares: processes and their CPU, the gateway under test, its metrics and memory,
the Java load tool, and a measure of the load that other processes put on the machine meanwhile.

Stdlib only.
"""
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# Every fixed port of the bench is port(n): n + --port-offset, so that runs from two checkouts on one
# machine can use disjoint ports.
PORT_OFFSET = 0


def port(n):
    return n + PORT_OFFSET


# Flags of every gateway JVM the bench starts (the launcher adds its own first).
GATEWAY_JAVA_OPTS = ["-Xmx1g", "-XX:MaxDirectMemorySize=1g", "-Dio.netty.leakDetection.level=disabled"]


class Pending(Exception):
    """A scenario that cannot run (its tool or build is missing); reported, not fatal."""


# ---------------------------------------------------------------- processes and CPU accounting

def _stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def _all_parents():
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parents[int(name)] = int(_stat(int(name))[1])
            except (OSError, IndexError, ValueError):
                continue
    return parents


def proc_tree(root, parents=None):
    parents = parents if parents is not None else _all_parents()
    children = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _ticks(pid, reaped=True):
    f = _stat(pid)
    # After the comm field: state is [0]; utime, stime, cutime, cstime are fields 14-17 of stat.
    return sum(int(x) for x in f[11:15 if reaped else 13])


def cpu_seconds(root):
    """utime+stime+cutime+cstime of root and its live descendants, in seconds."""
    ticks = 0
    for pid in proc_tree(root):
        try:
            ticks += _ticks(pid)
        except (OSError, IndexError, ValueError):
            continue
    return ticks / CLK_TCK


def jit_seconds(root):
    """CPU seconds of the JIT compiler threads (HotSpot's "C1/C2 CompilerThre...") in root's process tree.
    A gateway still compiling its hot paths spends more CPU there than on the work being measured."""
    ticks = 0
    for pid in proc_tree(root):
        try:
            tasks = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tasks:
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    if not f.read().startswith(("C1 CompilerThre", "C2 CompilerThre")):
                        continue
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
    return ticks / CLK_TCK


def settle_jit(service, warm_batch, log, label, max_batches=10, quiet_share=0.03):
    """Runs warm_batch() (a bounded load) until the service's JIT threads used under quiet_share of its CPU
    during the last batch, at most max_batches times: a fixed warm-up count left C2 compiling through the
    measured run (seen: 5,000 pairs, 1,000 Remoted connects). Returns the batches run."""
    for n in range(1, max_batches + 1):
        cpu0, jit0 = service.cpu(), jit_seconds(service.pid)
        warm_batch()
        cpu, jit = service.cpu() - cpu0, jit_seconds(service.pid) - jit0
        share = jit / cpu if cpu > 0 else 0.0
        log("%s: warm-up batch %d, JIT %.0f%% of the server's CPU" % (label, n, 100 * share))
        if share < quiet_share:
            return n
    return max_batches


class OtherLoad:
    """CPU used meanwhile by processes that are not ours (not descendants of the bench), in cores.

    Kernel threads are left out; so is the time of processes that end within the window (their CPU moves
    to their parent's reaped-children count, which is not read here, so this errs low for short-lived
    processes rather than counting a whole life at once). It tells a quiet run from a disturbed one on a
    shared machine; it is not itself a measurement.
    """

    def __init__(self):
        self.t0 = time.time()
        self.before = self._snapshot()
        self.steal0 = self._steal_ticks()

    @staticmethod
    def _steal_ticks():
        """The machine's stolen time so far (a virtual machine's CPUs taken by its host for others), in ticks."""
        try:
            with open("/proc/stat") as f:
                fields = f.readline().split()
            return int(fields[8]) if len(fields) > 8 else 0
        except (OSError, ValueError):
            return 0

    def steal_cores(self):
        """Cores' worth of CPU the host took away meanwhile: the host's own load, which no process here shows."""
        elapsed = max(1e-3, time.time() - self.t0)
        return max(0, self._steal_ticks() - self.steal0) / CLK_TCK / elapsed

    @staticmethod
    def _snapshot():
        parents = _all_parents()
        ours = set(proc_tree(os.getpid(), parents))
        # Kernel threads: kthreadd (2) and its children.
        kernel = set(proc_tree(2, parents))
        ticks = {}
        for pid in parents:
            if pid in ours or pid in kernel or pid == 1:
                continue
            try:
                ticks[pid] = (_ticks(pid, reaped=False), _stat(pid)[19])  # (utime+stime, start time)
            except (OSError, IndexError, ValueError):
                continue
        return ticks

    def cores(self):
        after = self._snapshot()
        elapsed = max(1e-3, time.time() - self.t0)
        used = 0
        for pid, (t, start) in after.items():
            old = self.before.get(pid)
            # A pid seen before with the same start time is the same process; otherwise it began meanwhile.
            used += t - old[0] if old and old[1] == start else t
        return max(0, used) / CLK_TCK / elapsed


def wait_quiet(max_seconds, threshold=0.15, window=2.0):
    """Waits (at most max_seconds) until other processes use under `threshold` cores over `window` s."""
    deadline = time.time() + max_seconds
    while True:
        probe = OtherLoad()
        time.sleep(window)
        load = probe.cores()
        if load < threshold or time.time() >= deadline:
            return load
        print("  machine busy (other processes: %.2f cores); waiting..." % load, flush=True)


def ensure_free(*ports):
    """Fails early when another process already listens on one of our fixed ports (say, a bench run from
    another checkout; see --port-offset). SO_REUSEADDR, so that TIME_WAIT connections left by an earlier run
    do not count as in use."""
    for p in ports:
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
        except OSError as e:
            raise RuntimeError("127.0.0.1:%d is in use by another process (another bench run? try --port-offset): %s" % (p, e))
        finally:
            s.close()


def listener_pid(p):
    """The pid holding the listening socket of TCP port p, from /proc/net/tcp{,6} and /proc/*/fd; or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                cols = line.split()
                if cols[1].endswith(":%04X" % p) and cols[3] == "0A":  # 0A = LISTEN
                    inodes.add("socket:[%s]" % cols[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


def check_owner(service, *ports):
    """Fails (and stops the service) when a port it should listen on is held by a process outside its tree:
    it lost a race for the port with another process, and the bench would measure that process instead."""
    for p in ports:
        holder, deadline = listener_pid(p), time.time() + 5
        while holder is None and time.time() < deadline:  # iperf3 -s re-opens its listener after each test
            time.sleep(0.05)
            holder = listener_pid(p)
        if holder is not None and holder not in proc_tree(service.pid):
            service.stop()
            raise RuntimeError("127.0.0.1:%d is held by pid %s, not by %s (another bench run? try --port-offset)"
                               % (p, holder, service.name))


class Service:
    """A long-running process of the bench (a relay, a dock, a gateway, an echo server)."""

    def __init__(self, name, argv, workdir, env=None, ready_port=None, stdin=None, ports=()):
        ensure_free(*([ready_port] if ready_port else []), *ports)
        self.name = name
        self.workdir = workdir
        self.log_path = os.path.join(workdir, name + ".log")
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, stdin=stdin,
                                     start_new_session=True, cwd=workdir)
        if ready_port:
            wait_port(ready_port, self)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def cpu(self):
        return cpu_seconds(self.pid)

    def stop(self):
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log_tail(self, n=5):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:]).strip()
        except OSError:
            return ""


def wait_port(port, service=None, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if service is not None and not service.alive():
            raise RuntimeError("%s exited: %s" % (service.name, service.log_tail()))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.2)
            continue
        if service is not None:
            check_owner(service, port)
        return
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %ds" % (port, timeout))


def wait_listening(port, service=None, timeout=60):
    """Waits until something listens on 127.0.0.1:port, read from /proc/net/tcp: unlike wait_port it opens no
    connection, which a listener behind the WebRoute shim would take for a (broken) trigger."""
    want = "0100007F:%04X" % port
    deadline = time.time() + timeout
    while time.time() < deadline:
        if service is not None and not service.alive():
            raise RuntimeError("%s exited: %s" % (service.name, service.log_tail()))
        with open("/proc/net/tcp") as f:
            if any(l.split()[1] == want and l.split()[3] == "0A" for l in list(f)[1:]):  # 0A = LISTEN
                if service is not None:
                    check_owner(service, port)
                return
        time.sleep(0.1)
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %ds" % (port, timeout))


def compile_c(workdir, source, output, shared=False):
    """Builds one of the bench's C tools (bench/c, bench/shim) into the work directory with gcc -O2; they
    share bench/c/webroute.h and libcrypto's SHA-1. Returns the output path; Pending if it does not build."""
    out = os.path.join(workdir, output)
    argv = (["gcc", "-O2", "-Wall", "-I", os.path.join(BENCH, "c")] + (["-shared", "-fPIC"] if shared else [])
            + ["-o", out, os.path.join(BENCH, source), "-ldl", "-lcrypto"])
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        raise Pending("gcc: %s" % e)
    if done.returncode != 0:
        raise Pending("gcc %s failed: %s" % (source, (done.stdout + done.stderr)[-400:]))
    return out


def run_measured(argv, workdir, timeout, on_measuring=None):
    """Runs a client process to its end and returns its stdout. When it prints a line MEASURING (its warm-up
    is over), on_measuring() is called at once, so the caller can start its CPU accounting there."""
    err = open(os.path.join(workdir, "client-stderr.log"), "a")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, cwd=workdir, text=True)
    deadline = time.time() + timeout
    lines = []
    try:
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise subprocess.TimeoutExpired(argv, timeout)
            ready, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
            if not ready:
                continue
            line = p.stdout.readline()
            if not line:
                break
            if line.strip() == "MEASURING":
                if on_measuring:
                    on_measuring()
                continue
            lines.append(line)
        p.wait(max(1, deadline - time.time()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise RuntimeError("timed out after %ds: %s" % (timeout, " ".join(str(a) for a in argv[:8])))
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s (see client-stderr.log)" % (p.returncode, " ".join(str(a) for a in argv[:8])))
    return "".join(lines)


def children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON result in: %r" % text[-300:])


# ---------------------------------------------------------------- the gateway under test

def find_isthmus(path):
    """The shipped executable: the file distribution/target/isthmus, or a tarball home's bin/isthmus."""
    if os.path.isdir(path):
        path = os.path.join(path, "bin", "isthmus")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise Pending("no gateway executable at %s: build it (mvn -B -q package -DskipTests) or pass --isthmus" % path)
    return path


def med(rows, key):
    """The median of `key` over the rows that have a value for it, or None."""
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def large_file(path, mib):
    """`mib` MiB of random bytes (one random MiB repeated) at `path`."""
    with open(path, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(mib):
            f.write(block)


def nginx_origin(workdir, name, origin_port, server, http=""):
    """An nginx origin (one worker, no access log, endless keep-alive) on 127.0.0.1:origin_port; `server` is the
    body of its server block, `http` more lines of its http block."""
    nginx = shutil.which("nginx")
    if not nginx:
        raise Pending("nginx is not installed")
    conf = write(workdir, name + ".conf", """daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid %(w)s/%(n)s.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
%(h)s  client_body_temp_path %(w)s/tmp-body;
  proxy_temp_path %(w)s/tmp-proxy;
  fastcgi_temp_path %(w)s/tmp-fastcgi;
  uwsgi_temp_path %(w)s/tmp-uwsgi;
  scgi_temp_path %(w)s/tmp-scgi;
  server {
    listen 127.0.0.1:%(p)d;
%(s)s  }
}
""" % {"w": workdir, "n": name, "p": origin_port, "h": http, "s": server})
    return Service(name, [nginx, "-p", workdir, "-c", conf], workdir, ready_port=origin_port)


def node_service(workdir, name, package, script, ref_port):
    """A Node reference server (`script` with its port) that needs the npm `package` from testing/npm."""
    node = shutil.which("node")
    modules = os.path.join(ROOT, "testing", "npm", "node_modules")
    if not node:
        raise Pending("node is not installed (Debian nodejs)")
    if not os.path.isdir(os.path.join(modules, *package.split("/"))):
        raise Pending("%s is not installed: run testing/install-deps.sh" % package)
    return Service(name, [node, script, str(ref_port)], workdir, env=dict(os.environ, NODE_PATH=modules),
                   ready_port=ref_port)


def write(workdir, name, text):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def gateway_conf(workdir, name, port, zero_copy, read_size, threads, extra=""):
    """A gateway config: listen on `port`, admin on `port + 1`, shipped defaults plus `extra` lines.
    zero_copy: True, False or "auto" is written as isthmus.splice.zero-copy; None leaves the shipped default."""
    zc = "" if zero_copy is None else "    zero-copy = %s\n" % (
        zero_copy if isinstance(zero_copy, str) else ("true" if zero_copy else "false"))
    return write(workdir, name + ".conf", """isthmus {
  listen = "127.0.0.1:%d"
  admin.listen = "127.0.0.1:%d"
  event-loop-threads = %d
  logging.access-log = false
  splice {
%s    max-read-size = %s
  }
%s}
""" % (port, port + 1, threads, zc, read_size, extra))


def webroute_conf():
    """The HOCON of bench/hooks/webroute-docks.sh config (WebRoute on, per-address caps raised)."""
    done = subprocess.run([os.path.join(BENCH, "hooks", "webroute-docks.sh"), "config"], capture_output=True, text=True)
    if done.returncode != 0:
        raise Pending(((done.stdout + done.stderr).strip().splitlines() or ["webroute-docks.sh config failed"])[-1])
    return done.stdout


class Gateway(Service):
    """The shipped executable, run with a generated config. Its admin port is `port + 1`."""

    def __init__(self, name, args, workdir, port, zero_copy, extra, threads=None):
        launcher = find_isthmus(args.isthmus)
        conf = gateway_conf(workdir, name, port, zero_copy, args.isthmus_read_size,
                            args.isthmus_threads if threads is None else threads, extra)
        self.port = port
        self.admin = port + 1
        super().__init__(name, [launcher, "run", "--config", conf], workdir,
                         env=dict(os.environ, JAVA_OPTS=" ".join(GATEWAY_JAVA_OPTS)), ready_port=port, ports=[port + 1])
        wait_port(self.admin, self)
        self.jfr = None

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin, timeout=10) as r:
            text = r.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                try:
                    samples[key] = float(value)
                except ValueError:
                    continue
        return samples

    def metric_sum(self, name, **labels):
        total = 0.0
        for key, value in self.metrics().items():
            if key == name or key.startswith(name + "{"):
                if all(('%s="%s"' % (k, v)) in key for k, v in labels.items()):
                    total += value
        return total

    def splice_modes(self, protocol="webroute"):
        m = self.metrics()
        modes = {}
        for key, value in m.items():
            if key.startswith("isthmus_splices_total{") and 'protocol="%s"' % protocol in key:
                modes[re.search(r'mode="([^"]+)"', key).group(1)] = int(value)
            if key.startswith("isthmus_zero_copy_fallbacks_total{") and 'protocol="%s"' % protocol in key:
                modes["fallback:" + re.search(r'reason="([^"]+)"', key).group(1)] = int(value)
            if key.startswith("isthmus_zero_copy_switches_total{") and 'protocol="%s"' % protocol in key:
                # zero-copy = auto: links moved to the kernel path (to=splice) or back (to=copy)
                modes["switched-to-" + re.search(r'to="([^"]+)"', key).group(1)] = int(value)
        return modes

    def jcmd(self, *command):
        done = subprocess.run(["jcmd", str(self.pid)] + list(command), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError("jcmd %s: %s" % (" ".join(command), (done.stdout + done.stderr)[-300:]))
        return done.stdout

    def live_heap(self):
        """Heap in use right after a full GC (two, so that finalisable and soft garbage is gone), bytes."""
        self.jcmd("GC.run")
        self.jcmd("GC.run")
        info = self.jcmd("GC.heap_info")
        m = re.search(r"used (\d+)K", info)
        if not m:
            raise RuntimeError("cannot read GC.heap_info: %s" % info[:300])
        return int(m.group(1)) * 1024

    def rss(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def start_profile(self, workdir, label):
        path = os.path.join(workdir, "%s-%s.jfr" % (self.name, label))
        self.jcmd("JFR.start", "name=bench", "settings=profile", "filename=" + path)
        self.jfr = path

    def stop_profile(self):
        path, self.jfr = self.jfr, None
        if path:
            self.jcmd("JFR.stop", "name=bench")
        return path


def slab_bytes():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Slab:"):
                return int(line.split()[1]) * 1024
    return 0


# ---------------------------------------------------------------- the Java load tool

class JavaTool:
    """bench/java/BenchLoad.java, compiled once against the shipped executable (which carries Netty and the
    WebRoute and Remoted clients)."""

    def __init__(self, args, workdir):
        self.isthmus = find_isthmus(args.isthmus)
        self.classes = os.path.join(workdir, "bench-classes")
        source = os.path.join(BENCH, "java", "BenchLoad.java")
        os.makedirs(self.classes, exist_ok=True)
        done = subprocess.run(["javac", "-nowarn", "-cp", self.isthmus, "-d", self.classes, source],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise Pending("javac BenchLoad.java failed: " + (done.stdout + done.stderr)[-400:])

    def argv(self, *args, heap="512m"):
        return ["java", "-Xmx" + heap, "-XX:+UseSerialGC", "-Dio.netty.leakDetection.level=disabled",
                "-cp", self.classes + os.pathsep + self.isthmus, "BenchLoad"] + [str(a) for a in args]


def profile_summary(path, top=12):
    """Top frames of a JFR recording (bench/lib/jfrtop.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import jfrtop
    try:
        return jfrtop.summarise(path, top=top, prefix="io.isthmus")
    except Exception as e:  # a failed summary must not lose the run's numbers
        return "profile %s: could not summarise (%s)" % (path, e)
