#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Small packet tools for the namespace tests (no tcpdump needed). Run inside a namespace.

  pkt.py capture IFACE OUT READY --dport P --wglen N [--timeout S]
      AF_PACKET: wait for the first outgoing IPv4 UDP datagram to port P whose payload is a
      WireGuard transport message (type 4) of exactly N bytes; write the whole frame as hex to OUT.
      READY is created once the socket listens.
  pkt.py replay IFACE FRAME --count C [--interval S]
      Send the captured frame C times on IFACE (same MACs, addresses and ports; UDP checksum
      zeroed, which IPv4 allows, because a captured frame may carry an offload partial checksum).
  pkt.py count IFACE OUT READY --dport P --wglen N --seconds S
      Count incoming IPv4 UDP datagrams to port P that are type-4 messages of N bytes for S
      seconds; write the count to OUT.
  pkt.py udp-listen ADDR PORT LOG
      Append one line per received datagram (its text up to the first NUL) to LOG.
  pkt.py udp-send SRC DST PORT TEXT [--count C] [--size N]
      Send TEXT (NUL-padded to N bytes) from address SRC (port chosen by the kernel) C times.
"""
import argparse
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def parse_udp(frame):
    """(ip_header_offset, ihl, dport, udp_payload) of an IPv4/UDP Ethernet frame, or None."""
    if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
        return None
    ip = 14
    ihl = (frame[ip] & 0x0F) * 4
    if frame[ip] >> 4 != 4 or frame[ip + 9] != 17 or len(frame) < ip + ihl + 8:
        return None
    udp = ip + ihl
    dport = struct.unpack("!H", frame[udp + 2:udp + 4])[0]
    ulen = struct.unpack("!H", frame[udp + 4:udp + 6])[0]
    return ip, ihl, dport, frame[udp + 8:udp + ulen]


def is_wg_data(payload, wglen):
    return len(payload) == wglen and payload[0] == 4 and payload[1:4] == b"\0\0\0"


def raw_socket(iface, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(timeout)
    return s


def touch(path):
    with open(path, "w") as f:
        f.write("ready\n")


def cmd_capture(a):
    s = raw_socket(a.iface, 0.2)
    touch(a.ready)
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != PACKET_OUTGOING:
            continue
        u = parse_udp(frame)
        if u and u[2] == a.dport and is_wg_data(u[3], a.wglen):
            with open(a.out + ".tmp", "w") as f:
                f.write(frame.hex() + "\n")
            os.rename(a.out + ".tmp", a.out)
            return 0
    print("capture: nothing matched within %.0f s" % a.timeout, file=sys.stderr)
    return 1


def cmd_replay(a):
    frame = bytearray(bytes.fromhex(open(a.frame).read().strip()))
    u = parse_udp(frame)
    if not u:
        print("replay: not an IPv4/UDP frame", file=sys.stderr)
        return 1
    ip, ihl = u[0], u[1]
    frame[ip + ihl + 6:ip + ihl + 8] = b"\0\0"  # no UDP checksum (valid for IPv4)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    for _ in range(a.count):
        s.send(frame)
        if a.interval:
            time.sleep(a.interval)
    return 0


def cmd_count(a):
    s = raw_socket(a.iface, 0.2)
    touch(a.ready)
    n = 0
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        u = parse_udp(frame)
        if u and u[2] == a.dport and is_wg_data(u[3], a.wglen):
            n += 1
    with open(a.out, "w") as f:
        f.write("%d\n" % n)
    return 0


def cmd_udp_listen(a):
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    with open(a.log, "a") as f:
        while True:
            data = s.recv(65535)
            f.write(data.split(b"\0", 1)[0].decode("ascii", "replace") + "\n")
            f.flush()


def cmd_udp_send(a):
    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    data = a.text.encode()
    if a.size > len(data):
        data += b"\0" * (a.size - len(data))
    for _ in range(a.count):
        s.sendto(data, (a.dst, a.port))
        time.sleep(0.01)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("iface"); c.add_argument("out"); c.add_argument("ready")
    c.add_argument("--dport", type=int, required=True); c.add_argument("--wglen", type=int, required=True)
    c.add_argument("--timeout", type=float, default=8)
    c.set_defaults(fn=cmd_capture)
    c = sub.add_parser("replay")
    c.add_argument("iface"); c.add_argument("frame")
    c.add_argument("--count", type=int, default=100); c.add_argument("--interval", type=float, default=0.002)
    c.set_defaults(fn=cmd_replay)
    c = sub.add_parser("count")
    c.add_argument("iface"); c.add_argument("out"); c.add_argument("ready")
    c.add_argument("--dport", type=int, required=True); c.add_argument("--wglen", type=int, required=True)
    c.add_argument("--seconds", type=float, default=3)
    c.set_defaults(fn=cmd_count)
    c = sub.add_parser("udp-listen")
    c.add_argument("addr"); c.add_argument("port", type=int); c.add_argument("log")
    c.set_defaults(fn=cmd_udp_listen)
    c = sub.add_parser("udp-send")
    c.add_argument("src"); c.add_argument("dst"); c.add_argument("port", type=int); c.add_argument("text")
    c.add_argument("--count", type=int, default=1); c.add_argument("--size", type=int, default=0)
    c.set_defaults(fn=cmd_udp_send)
    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
