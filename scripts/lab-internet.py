#!/usr/bin/env python3
"""The lab's "internet" host: a tiny web server run inside the hs-internet namespace.

Port 80 answers like the real detection hosts would once a client is online:
  /generate_204, /gen_204      -> 204, empty body (Android)
  /hotspot-detect.html         -> 200 Apple "Success" page (iOS / macOS)
  /connecttest.txt             -> 200 "Microsoft Connect Test" (Windows)
  /redirect                    -> 200 "internet ok" (Windows follow-up)
  /success.txt                 -> 200 "success" (Firefox)
  /stream                      -> 200, 1 KiB every 20 ms for 30 s (a running download)
  /bytes/N                     -> 200, N bytes as fast as the network takes them (N <= 1 GB)
  POST /upload                 -> reads the whole body (<= 1 GB), answers "received N"
  anything else                -> 200 "internet ok"
Every port-80 answer carries the header `X-Lab-Internet: 1`, so a test can tell a real
answer from this host apart from one forged by the portal.

Ports 443 and 8080 (and any given with --raw-port) accept a TCP connection, write
`tls?` and close: a client that reads `tls?` got through, one that is refused or times
out was blocked.

Usage: lab-internet.py [--bind ADDR] [--http-port 80] [--raw-port 443 --raw-port 8080]
Stops on SIGTERM / SIGINT.
"""

import argparse
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APPLE_SUCCESS = b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"


class Handler(BaseHTTPRequestHandler):
    server_version = "lab-internet/1"

    def _stream(self):
        self.send_response(200)
        self.send_header("X-Lab-Internet", "1")
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        chunk = b"x" * 1024
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:
            pass

    def _bytes(self, count, with_body):
        self.send_response(200)
        self.send_header("X-Lab-Internet", "1")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(count))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            while with_body and count > 0:
                n = min(count, len(chunk))
                self.wfile.write(chunk[:n])
                count -= n
        except OSError:
            pass

    def _answer(self, with_body):
        path = self.path.split("?", 1)[0]
        if path == "/stream" and with_body:
            self._stream()
            return
        if path.startswith("/bytes/") and path[len("/bytes/"):].isdigit():
            self._bytes(min(int(path[len("/bytes/"):]), 1 << 30), with_body)
            return
        if path in ("/generate_204", "/gen_204"):
            status, body, ctype = 204, b"", None
        elif path == "/hotspot-detect.html":
            status, body, ctype = 200, APPLE_SUCCESS, "text/html"
        elif path == "/connecttest.txt":
            status, body, ctype = 200, b"Microsoft Connect Test", "text/plain"
        elif path == "/success.txt":
            status, body, ctype = 200, b"success\n", "text/plain"
        else:
            status, body, ctype = 200, b"internet ok", "text/plain"
        self.send_response(status)
        self.send_header("X-Lab-Internet", "1")
        self.send_header("Cache-Control", "no-store")
        if ctype:
            self.send_header("Content-Type", ctype)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body and status != 204:
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server naming)
        self._answer(True)

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if self.path.split("?", 1)[0] == "/upload":
            received = 0
            try:
                while received < min(length, 1 << 30):
                    data = self.rfile.read(min(65536, length - received))
                    if not data:
                        break
                    received += len(data)
            except OSError:
                return
            body = b"received %d" % received
            self.send_response(200)
            self.send_header("X-Lab-Internet", "1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if length:
            self.rfile.read(min(length, 1 << 20))
        self._answer(True)

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.client_address[0], fmt % args))
        sys.stdout.flush()


def listen_raw(bind, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((bind, port))
    sock.listen(64)
    return sock


def serve_raw(sock, port):
    """Accept TCP, write `tls?`, close."""
    while True:
        conn, peer = sock.accept()
        try:
            conn.sendall(b"tls?")
            sys.stdout.write("%s raw:%d\n" % (peer[0], port))
            sys.stdout.flush()
        except OSError:
            pass
        finally:
            conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--http-port", type=int, default=80)
    parser.add_argument("--raw-port", type=int, action="append")
    args = parser.parse_args()
    raw_ports = args.raw_port or [443, 8080]

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    # Bind everything before serving, so "port 80 answers" means every port is ready.
    raw = [(listen_raw(args.bind, port), port) for port in raw_ports]
    httpd = ThreadingHTTPServer((args.bind, args.http_port), Handler)
    for sock, port in raw:
        threading.Thread(target=serve_raw, args=(sock, port), daemon=True).start()
    sys.stdout.write("lab-internet: http %d, raw %s\n" % (args.http_port, raw_ports))
    sys.stdout.flush()
    try:
        httpd.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
