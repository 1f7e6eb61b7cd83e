#!/usr/bin/env python3
"""A fake NAS speaking RFC 5176 on loopback, for tests of hotspotd's Disconnect/CoA client.

Usage: fake-nas.py PORT SECRET LOGFILE [--nak CAUSE] [--silent] [--bind ADDRESS]

Listens on ADDRESS:PORT (127.0.0.1 by default) for Disconnect-Request (40) and CoA-Request
(43). For each request datagram it checks the Request Authenticator (RFC 5176 section 2.3)
and the Message-Authenticator (HMAC-MD5 over the packet with a zero authenticator, as
FreeRADIUS computes it; required), then appends one JSON line to LOGFILE:

  {"code": 40, "id": 7, "valid": true, "authenticator": true,
   "message_authenticator": "valid", "retransmission": false, "reply": 41,
   "attrs": {"User-Name": "alice", "Acct-Session-Id": "81000007",
             "Calling-Station-Id": "AA:BB:CC:DD:EE:FF", "Framed-IP-Address": "10.5.0.9",
             "Event-Timestamp": 1765000000, "Session-Timeout": 600,
             "Mikrotik-Total-Limit": 1000000, "Mikrotik-Rate-Limit": "512k/2048k", ...}}

A valid request is answered with an ACK (41 / 44), or with a NAK (42 / 45) carrying
Error-Cause CAUSE when --nak is given; the reply has a Response Authenticator and a
Message-Authenticator. An invalid one (or any with --silent) gets no answer ("reply": null).
"retransmission" is true for a datagram identical to one received before. An attribute that
occurs more than once is logged as a list; unknown ones as "Attr-N" / "Vendor-V-T" with hex.
Python 3 standard library only. Stops on SIGTERM or SIGINT.
"""

import argparse
import hashlib
import hmac
import json
import signal
import socket
import struct
import sys
from collections import OrderedDict

STRING, INTEGER, IPADDR, OCTETS = "string", "integer", "ipaddr", "octets"

ATTRIBUTES = {
    1: ("User-Name", STRING),
    4: ("NAS-IP-Address", IPADDR),
    5: ("NAS-Port", INTEGER),
    8: ("Framed-IP-Address", IPADDR),
    18: ("Reply-Message", STRING),
    24: ("State", OCTETS),
    25: ("Class", OCTETS),
    27: ("Session-Timeout", INTEGER),
    28: ("Idle-Timeout", INTEGER),
    30: ("Called-Station-Id", STRING),
    31: ("Calling-Station-Id", STRING),
    32: ("NAS-Identifier", STRING),
    33: ("Proxy-State", OCTETS),
    44: ("Acct-Session-Id", STRING),
    50: ("Acct-Multi-Session-Id", STRING),
    55: ("Event-Timestamp", INTEGER),
    80: ("Message-Authenticator", OCTETS),
    85: ("Acct-Interim-Interval", INTEGER),
    87: ("NAS-Port-Id", STRING),
    101: ("Error-Cause", INTEGER),
}

VENDORS = {
    14988: {
        1: ("Mikrotik-Recv-Limit", INTEGER),
        2: ("Mikrotik-Xmit-Limit", INTEGER),
        3: ("Mikrotik-Group", STRING),
        8: ("Mikrotik-Rate-Limit", STRING),
        14: ("Mikrotik-Recv-Limit-Gigawords", INTEGER),
        15: ("Mikrotik-Xmit-Limit-Gigawords", INTEGER),
        17: ("Mikrotik-Total-Limit", INTEGER),
        18: ("Mikrotik-Total-Limit-Gigawords", INTEGER),
    },
    14559: {
        1: ("ChilliSpot-Max-Input-Octets", INTEGER),
        2: ("ChilliSpot-Max-Output-Octets", INTEGER),
        3: ("ChilliSpot-Max-Total-Octets", INTEGER),
        4: ("ChilliSpot-Bandwidth-Max-Up", INTEGER),
        5: ("ChilliSpot-Bandwidth-Max-Down", INTEGER),
    },
    14122: {
        7: ("WISPr-Bandwidth-Max-Up", INTEGER),
        8: ("WISPr-Bandwidth-Max-Down", INTEGER),
        9: ("WISPr-Session-Terminate-Time", STRING),
    },
}

REQUEST_CODES = {40: (41, 42), 43: (44, 45)}
MESSAGE_AUTHENTICATOR = 80
ERROR_CAUSE = 101


def attributes(body):
    """[(type, offset of value, value)] of an attribute area; None if malformed."""
    out, offset = [], 0
    while offset < len(body):
        if offset + 2 > len(body):
            return None
        kind, length = body[offset], body[offset + 1]
        if length < 2 or offset + length > len(body):
            return None
        out.append((kind, offset + 2, body[offset + 2:offset + length]))
        offset += length
    return out


def value_of(kind, value):
    if kind == INTEGER and len(value) == 4:
        return struct.unpack("!I", value)[0]
    if kind == IPADDR and len(value) == 4:
        return socket.inet_ntoa(value)
    if kind == STRING:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return "0x" + value.hex()


def named(attrs):
    """The attributes as {name: value}, vendor ones by their own names."""
    out = {}

    def add(name, value):
        if name in out:
            if not isinstance(out[name], list):
                out[name] = [out[name]]
            out[name].append(value)
        else:
            out[name] = value

    for kind, _, value in attrs:
        if kind == 26 and len(value) >= 4:
            vendor = struct.unpack("!I", value[:4])[0]
            subs = attributes(value[4:])
            if subs is not None and vendor in VENDORS:
                for sub, _, sub_value in subs:
                    name, typ = VENDORS[vendor].get(sub, ("Vendor-%d-%d" % (vendor, sub), OCTETS))
                    add(name, value_of(typ, sub_value))
                continue
            add("Vendor-%d" % vendor, "0x" + value[4:].hex())
            continue
        name, typ = ATTRIBUTES.get(kind, ("Attr-%d" % kind, OCTETS))
        add(name, value_of(typ, value))
    return out


def check(packet, attrs, secret):
    """(request authenticator valid, Message-Authenticator "valid" | "absent" | "invalid")."""
    header, authenticator, body = packet[:4], packet[4:20], packet[20:]
    expected = hashlib.md5(header + bytes(16) + body + secret).digest()
    authentic = hmac.compare_digest(expected, authenticator)
    found = [(offset, value) for kind, offset, value in attrs if kind == MESSAGE_AUTHENTICATOR]
    if not found:
        return authentic, "absent"
    if len(found) > 1 or len(found[0][1]) != 16:
        return authentic, "invalid"
    offset, value = found[0]
    zeroed = header + bytes(16) + body[:offset] + bytes(16) + body[offset + 16:]
    mac = hmac.new(secret, zeroed, hashlib.md5).digest()
    return authentic, "valid" if hmac.compare_digest(mac, value) else "invalid"


def reply(code, identifier, request_authenticator, secret, nak_cause):
    body = b""
    if nak_cause is not None:
        body += struct.pack("!BBI", ERROR_CAUSE, 6, nak_cause)
    ma_at = len(body) + 2
    body += bytes([MESSAGE_AUTHENTICATOR, 18]) + bytes(16)
    header = struct.pack("!BBH", code, identifier, 20 + len(body))
    mac = hmac.new(secret, header + request_authenticator + body, hashlib.md5).digest()
    body = body[:ma_at] + mac + body[ma_at + 16:]
    response = hashlib.md5(header + request_authenticator + body + secret).digest()
    return header + response + body


def main():
    parser = argparse.ArgumentParser(description="A fake RFC 5176 NAS for tests.")
    parser.add_argument("port", type=int)
    parser.add_argument("secret")
    parser.add_argument("logfile")
    parser.add_argument("--nak", type=int, metavar="CAUSE", help="answer NAK with this Error-Cause")
    parser.add_argument("--silent", action="store_true", help="never answer")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args()
    secret = args.secret.encode()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    seen = OrderedDict()  # datagrams received before, newest last (bounded)

    while True:
        packet, peer = sock.recvfrom(4096)
        entry = {"code": packet[0] if packet else None, "valid": False, "reply": None}
        length = struct.unpack("!H", packet[2:4])[0] if len(packet) >= 20 else 0
        attrs = attributes(packet[20:length]) if 20 <= length <= len(packet) else None
        if attrs is None:
            entry["error"] = "malformed"
        else:
            packet = packet[:length]
            authentic, ma = check(packet, attrs, secret)
            entry.update({
                "id": packet[1],
                "authenticator": authentic,
                "message_authenticator": ma,
                "retransmission": packet in seen,
                "attrs": named(attrs),
            })
            entry["valid"] = authentic and ma == "valid" and packet[0] in REQUEST_CODES
            seen[packet] = True
            seen.move_to_end(packet)
            while len(seen) > 256:
                seen.popitem(last=False)
            if entry["valid"] and not args.silent:
                ack, nak = REQUEST_CODES[packet[0]]
                code = ack if args.nak is None else nak
                sock.sendto(reply(code, packet[1], packet[4:20], secret, args.nak), peer)
                entry["reply"] = code
        with open(args.logfile, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, sort_keys=False) + "\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
