#!/usr/bin/env python3
"""Slow-header load beside a benchmark, on loopback only.

CONNECTIONS connections to 127.0.0.1:PORT each send a request line and then one header line
every INTERVAL seconds, never ending the head (a slowloris). A connection the server closes
(its header read timeout) is opened again at once, so that CONNECTIONS stay open for the
whole DURATION. Prints `open N` once all are open, then a summary when DURATION is over.

    bench/slowloris.py PORT [--connections 1000] [--interval 1] [--duration 30]
"""

import argparse
import selectors
import socket
import sys
import time

HOST = "127.0.0.1"
REQUEST_LINE = b"GET /healthz HTTP/1.1\r\nHost: slowloris\r\n"
HEADER_LINE = b"X-Slow: 1\r\n"


def opened(port):
    s = socket.create_connection((HOST, port), timeout=10)
    s.sendall(REQUEST_LINE)
    s.setblocking(False)
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    if not 1 <= args.connections <= 5000 or not 0 < args.duration <= 600:
        sys.exit("at most 5,000 connections for at most 600 s")

    selector = selectors.DefaultSelector()
    for _ in range(args.connections):
        selector.register(opened(args.port), selectors.EVENT_READ)
    print(f"open {args.connections}", flush=True)

    started = time.monotonic()
    closed_by_server = 0
    next_drip = started + args.interval
    while (now := time.monotonic()) < started + args.duration:
        for key, _ in selector.select(timeout=max(0.0, min(next_drip, started + args.duration) - now)):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:  # closed by the server (or an answer, which would end it too)
                selector.unregister(s)
                s.close()
                closed_by_server += 1
                selector.register(opened(args.port), selectors.EVENT_READ)
        if time.monotonic() >= next_drip:
            for key in list(selector.get_map().values()):
                try:
                    key.fileobj.send(HEADER_LINE)
                except OSError:
                    pass  # the read side sees the close and reopens it
            next_drip += args.interval
    open_now = len(selector.get_map())
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    print(
        f"slowloris: {open_now} connections held for {args.duration:.0f} s; "
        f"the server closed {closed_by_server} of them (each reopened at once)",
        flush=True,
    )


if __name__ == "__main__":
    main()
