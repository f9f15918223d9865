#!/usr/bin/env python3
"""A TCP relay for the tests: listen on ADDR:PORT (0: any free port) and carry every
connection's bytes both ways to TARGET:TPORT, unchanged (TLS passes through).

huaweisim listens on loopback only; a dispenser in another network namespace reaches it
through this relay on the cabinet link, as it would reach a real unit on the network.

    tcp_relay.py ADDR PORT TARGET TPORT

Prints "listening port=P" once ready and "accepted from A:P" per connection.
"""
import selectors
import socket
import sys


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    addr, port, target, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(4)
    print(f"listening port={ls.getsockname()[1]}", flush=True)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                c, peer = ls.accept()
                try:
                    t = socket.create_connection((target, tport), timeout=5)
                except OSError as e:
                    print(f"refused {peer[0]}:{peer[1]}: {e}", flush=True)
                    c.close()
                    continue
                for s in (c, t):
                    s.setblocking(False)
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(c, selectors.EVENT_READ, t)
                sel.register(t, selectors.EVENT_READ, c)
                print(f"accepted from {peer[0]}:{peer[1]}", flush=True)
                continue
            src, dst = key.fileobj, key.data
            try:
                b = src.recv(65536)
            except OSError:
                b = b""
            if b:
                try:
                    dst.setblocking(True)  # small test traffic: a short blocking write is fine
                    dst.sendall(b)
                    dst.setblocking(False)
                    continue
                except OSError:
                    pass
            # one side closed: close both, so each end sees what the other saw
            for s in (src, dst):
                try:
                    sel.unregister(s)
                except (KeyError, ValueError):
                    pass
                s.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
