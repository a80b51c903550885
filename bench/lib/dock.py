#!/usr/bin/env python3
"""A pair of benchmark docks in one process, for the probe-* scenarios.

Listens on 127.0.0.1:LISTEN. For each accepted client it opens two connections to the gateway that ask
for the same fresh pairing path (the tests' probe plugin, `Upgrade: probe-pair`), waits for both 101s,
then dials TARGET and relays client <-> gateway side A and gateway side B <-> TARGET with splice(2),
so the docks themselves cost little CPU and never touch the bytes in user space.

The WebRoute scenarios use the real WebRoute client instead (see bench/scenarios/isthmus.sh).
"""
import fcntl
import os
import socket
import sys
import threading
import uuid

F_SETPIPE_SZ = 1031
CHUNK = 1 << 20


def read_head(sock):
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        b = sock.recv(1)
        if not b:
            raise ConnectionError("gateway closed during the handshake: %r" % head)
        head += b
    if not head.startswith(b"HTTP/1.1 101 "):
        raise ConnectionError("gateway refused: %r" % head)


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


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def serve_one(client, gateway_port, target_port, query):
    path = "/pair/%s%s" % (uuid.uuid4(), "?" + query if query else "")
    head = ("GET %s HTTP/1.1\r\nHost: bench\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n" % path).encode()
    a = connect(gateway_port)
    a.sendall(head)
    b = connect(gateway_port)
    b.sendall(head)
    try:
        read_head(a)
        read_head(b)
        server = connect(target_port)
    except OSError as e:
        print("dock: %s" % e, file=sys.stderr)
        for s in (client, a, b):
            s.close()
        return
    threads = relay(client, a) + relay(b, server)
    for t in threads:
        t.join()
    for s in (client, a, b, server):
        s.close()


def main():
    listen_port, gateway_port, target_port = (int(x) for x in sys.argv[1:4])
    query = sys.argv[4] if len(sys.argv) > 4 else ""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(64)
    while True:
        client, _ = ls.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_one, args=(client, gateway_port, target_port, query), daemon=True).start()


if __name__ == "__main__":
    main()
