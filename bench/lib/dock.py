#!/usr/bin/env python3
"""A pair of benchmark docks in one process: the two ends of a link through the gateway.

    dock.py probe    LISTEN GATEWAY_PORT TARGET_PORT [QUERY]     (the probe-* scenarios)
    dock.py webroute LISTEN GATEWAY_HOST:PORT TARGET_PORT [PATH]  (the isthmus-* scenarios)

Listens on 127.0.0.1:LISTEN. For each accepted client it opens two connections to the gateway that ask
to be paired with each other, waits for both 101s, then dials 127.0.0.1:TARGET and relays
client <-> gateway leg A and gateway leg B <-> TARGET with splice(2), so the docks cost little CPU and
never touch the bytes in user space.

- probe: the tests' probe plugin of gateway-core (`Upgrade: probe-pair`, a fresh path per pair).
- webroute: the real WebRoute handshake. Leg A plays the client that waits, leg B the partner: both send
  `GET PATH` with `Upgrade: webroute`, `WebRoute-Version: 1` and one fresh random `WebRoute-ID`; the 101's
  `Sec-WebRoute-Accept` is checked. Each leg asks for `WebRoute-Timeout: 600` so an idle iperf3 control
  connection is not closed under a long run.

Stdlib only. Every relay ends when either side does.
"""
import base64
import fcntl
import hashlib
import os
import secrets
import socket
import sys
import threading
import uuid

F_SETPIPE_SZ = 1031
CHUNK = 1 << 20
WEBROUTE_GUID = "BE7204BD-47E6-49EE-9B0D-016E370644B2"


def read_head(sock):
    """Reads one response head byte by byte (never past it: what follows belongs to the relay)."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        b = sock.recv(1)
        if not b:
            raise ConnectionError("gateway closed during the handshake: %r" % head)
        head += b
    if not head.startswith(b"HTTP/1.1 101 "):
        raise ConnectionError("gateway refused: %r" % head)
    return head.decode("latin-1")


def pump(src, dst):
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, F_SETPIPE_SZ, CHUNK)
    except OSError:
        pass
    try:
        while True:
            n = os.splice(src.fileno(), w, CHUNK)
            if n == 0:
                break
            while n:
                n -= os.splice(r, dst.fileno(), n)
    except OSError:
        pass
    finally:
        os.close(r)
        os.close(w)
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def relay(x, y):
    threads = [threading.Thread(target=pump, args=(x, y), daemon=True),
               threading.Thread(target=pump, args=(y, x), daemon=True)]
    for t in threads:
        t.start()
    return threads


def connect(host, port):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def webroute_request(path, host, port, wid):
    return ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: keep-alive, Upgrade\r\nUpgrade: webroute\r\n"
            "WebRoute-Version: 1\r\nWebRoute-ID: %s\r\nWebRoute-Timeout: 600\r\n\r\n" % (path, host, port, wid)).encode()


def webroute_accept(wid):
    return base64.b64encode(hashlib.sha1((wid + WEBROUTE_GUID).encode()).digest()).decode()


def check_webroute_101(head, wid):
    want = "sec-webroute-accept: " + webroute_accept(wid).lower()
    if want not in head.lower():
        raise ConnectionError("101 without the right Sec-WebRoute-Accept: %r" % head)


def open_legs(mode, host, gateway_port, extra):
    """Two gateway connections paired with each other, both past their 101."""
    if mode == "probe":
        path = "/pair/%s%s" % (uuid.uuid4(), "?" + extra if extra else "")
        head = ("GET %s HTTP/1.1\r\nHost: bench\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n" % path).encode()
        heads, check = (head, head), None
    else:
        wid = secrets.token_hex(20)
        head = webroute_request(extra or "/bench", host, gateway_port, wid)
        heads, check = (head, head), wid
    a = connect(host, gateway_port)
    a.sendall(heads[0])
    b = connect(host, gateway_port)
    b.sendall(heads[1])
    try:
        for leg in (a, b):
            h = read_head(leg)
            if check is not None:
                check_webroute_101(h, check)
    except OSError:
        a.close()
        b.close()
        raise
    return a, b


def serve_one(client, mode, host, gateway_port, target_port, extra):
    try:
        a, b = open_legs(mode, host, gateway_port, extra)
    except OSError as e:
        print("dock: %s" % e, file=sys.stderr, flush=True)
        client.close()
        return
    try:
        server = connect("127.0.0.1", target_port)
    except OSError as e:
        print("dock: target: %s" % e, file=sys.stderr, flush=True)
        for s in (client, a, b):
            s.close()
        return
    threads = relay(client, a) + relay(b, server)
    for t in threads:
        t.join()
    for s in (client, a, b, server):
        s.close()


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("probe", "webroute"):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    mode = sys.argv[1]
    listen_port = int(sys.argv[2])
    gateway = sys.argv[3]
    host, gateway_port = ("127.0.0.1", int(gateway)) if ":" not in gateway else (
        gateway.rsplit(":", 1)[0], int(gateway.rsplit(":", 1)[1]))
    target_port = int(sys.argv[4])
    extra = sys.argv[5] if len(sys.argv) > 5 else ""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(64)
    print("dock (%s) on 127.0.0.1:%d via %s:%d to 127.0.0.1:%d" % (mode, listen_port, host, gateway_port, target_port),
          flush=True)
    while True:
        client, _ = ls.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_one, args=(client, mode, host, gateway_port, target_port, extra),
                         daemon=True).start()


if __name__ == "__main__":
    main()
