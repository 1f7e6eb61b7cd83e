#!/usr/bin/env python3
"""Reachability probes for the lab, run inside a client namespace.

  lab-probe.py tcp HOST PORT [TIMEOUT_SECS]   -> "open <first bytes>" | "refused" | "timeout" | "error <errno>"
  lab-probe.py ping HOST [TIMEOUT_SECS]       -> "reply" | "timeout" | "error <errno>"

Prints one line and exits 0 whatever the outcome (the outcome is the answer); exits 2 on
bad usage. `ping` sends one ICMP echo request over a raw socket (needs root), so the lab
does not depend on iputils being installed. Example:

  ip netns exec hs-client1 scripts/lab-probe.py tcp 198.51.100.2 443
"""

import os
import select
import socket
import struct
import sys
import time


def tcp(host, port, timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((host, port))
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    except OSError as err:
        return "error %s" % err.errno
    try:
        data = sock.recv(64)
    except socket.timeout:
        data = b""
    except OSError as err:
        return "open-then-error %s" % err.errno
    finally:
        sock.close()
    return ("open " + data.decode("utf-8", "replace")).strip()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ping(host, timeout):
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    except OSError as err:
        return "error %s" % err.errno
    ident = os.getpid() & 0xFFFF
    payload = b"hotspotd-lab"
    header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    packet = struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, 1) + payload
    try:
        sock.sendto(packet, (host, 0))
    except OSError as err:
        return "error %s" % err.errno
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return "timeout"
        data, _ = sock.recvfrom(1024)
        ihl = (data[0] & 0x0F) * 4
        icmp_type, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if icmp_type == 0 and rid == ident:
            return "reply"
        if icmp_type == 3:
            return "unreachable"


def main(argv):
    if len(argv) >= 3 and argv[0] == "tcp":
        timeout = float(argv[3]) if len(argv) > 3 else 2.0
        print(tcp(argv[1], int(argv[2]), timeout))
        return 0
    if len(argv) >= 2 and argv[0] == "ping":
        timeout = float(argv[2]) if len(argv) > 2 else 1.0
        print(ping(argv[1], timeout))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
