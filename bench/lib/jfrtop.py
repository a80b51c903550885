#!/usr/bin/env python3
"""Summarises a JFR recording's CPU samples: the hottest top frames, and the frames (anywhere on the
stack) that most samples pass through, optionally only those of one package prefix.

    jfrtop.py FILE.jfr [--top 15] [--prefix io.isthmus] [--depth 64]

Uses the JDK's `jfr print --json --events jdk.ExecutionSample`. Stdlib only.
"""
import argparse
import collections
import json
import subprocess
import sys


def frames_of(event):
    st = event.get("values", {}).get("stackTrace") or {}
    out = []
    for f in st.get("frames", []):
        m = f.get("method", {})
        t = m.get("type", {}).get("name", "?")
        out.append(("%s.%s" % (t, m.get("name", "?"))).replace("/", "."))
    return out


def _events(path, kind, depth):
    done = subprocess.run(["jfr", "print", "--json", "--stack-depth", str(depth), "--events", kind, path],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["recording"]["events"]


def summarise(path, top=15, prefix=None, depth=64):
    events = _events(path, "jdk.ExecutionSample", depth)
    # Threads inside a native method (a syscall: epoll_wait, read, write, splice, close) are not in the CPU
    # samples above; JFR samples them apart. On an I/O thread most of them are epoll_wait (idle), the rest
    # is kernel work done for us.
    native = _events(path, "jdk.NativeMethodSample", 8)
    native_top = collections.Counter()
    for e in native:
        fr = frames_of(e)
        if fr:
            native_top[fr[0]] += 1
    leaf = collections.Counter()
    through = collections.Counter()
    ours = collections.Counter()
    for e in events:
        fr = frames_of(e)
        if not fr:
            continue
        leaf[fr[0]] += 1
        for name in set(fr):
            through[name] += 1
        if prefix:
            first = next((x for x in fr if x.startswith(prefix)), None)
            if first:
                ours[first] += 1
    n = max(1, len(events))
    lines = ["%d Java CPU samples, %d native-method samples in %s" % (len(events), len(native), path), "",
             "top frames (self):"]
    lines += ["  %5.1f%%  %s" % (100.0 * c / n, name) for name, c in leaf.most_common(top)]
    lines += ["", "frames on the stack (inclusive):"]
    lines += ["  %5.1f%%  %s" % (100.0 * c / n, name) for name, c in through.most_common(top)]
    if prefix:
        lines += ["", "innermost %s frame (inclusive of what it calls):" % prefix]
        lines += ["  %5.1f%%  %s" % (100.0 * c / n, name) for name, c in ours.most_common(top)]
    if native:
        lines += ["", "native methods (threads in a syscall when sampled, idle waits included):"]
        lines += ["  %5.1f%%  %s" % (100.0 * c / len(native), name) for name, c in native_top.most_common(6)]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--prefix", default=None)
    ap.add_argument("--depth", type=int, default=64)
    a = ap.parse_args()
    print(summarise(a.file, a.top, a.prefix, a.depth))


if __name__ == "__main__":
    sys.exit(main())
