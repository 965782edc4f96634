#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers of the load tests tests/integration/load_*.sh (run inside a namespace).

  load_probe.py ping-sizes DST MTU
      ICMP echo requests to DST (IPv4, DF) of every IP size 28..MTU, each size until answered
      (3 tries); prints "sizes N answered A missing LIST".
  load_probe.py outer IFACE PORT SECONDS READY
      AF_PACKET: for SECONDS, every outgoing IPv4 UDP datagram from port PORT; prints one line
      per WireGuard data message "IPLEN PAYLOADLEN FRAGMENT(0/1)", then "end".
  load_probe.py hs-time IFACE SECONDS READY
      AF_PACKET with kernel timestamps: the first outgoing handshake initiation (type 1) and the
      first incoming handshake response (type 2) after it; prints "handshake MS" (or "handshake
      none") and how many initiations and cookie replies went by.
"""
import os
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ping_sizes(dst, mtu):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO: never fragment
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.setblocking(False)
    ident = os.getpid() & 0xFFFF
    sizes = list(range(28, mtu + 1))
    missing = set(sizes)
    for _ in range(3):
        for size in sorted(missing):
            n = size - 28
            body = bytes((size + i) & 0xFF for i in range(n))
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, size)
            pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, size) + body
            try:
                s.sendto(pkt, (dst, 0))
            except OSError as e:
                print("send %d: %s" % (size, e), file=sys.stderr)
            time.sleep(0.0005)
            drain(s, ident, missing)
        end = time.time() + 1.0
        while missing and time.time() < end:
            time.sleep(0.01)
            drain(s, ident, missing)
        if not missing:
            break
    print("sizes %d answered %d missing %s" % (len(sizes), len(sizes) - len(missing),
                                               ",".join(map(str, sorted(missing))) or "-"))


def drain(s, ident, missing):
    while True:
        try:
            d = s.recv(65535)
        except BlockingIOError:
            return
        ihl = (d[0] & 0xF) * 4
        if len(d) < ihl + 8 or d[ihl] != 0:
            continue
        _, _, _, i, seq = struct.unpack("!BBHHH", d[ihl:ihl + 8])
        if i == ident and seq in missing and len(d) == seq:
            missing.discard(seq)


def outer(iface, port, seconds, ready):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    # PACKET_VNET_HDR: a UDP GSO super-packet (UDP_SEGMENT) is seen here before it is cut;
    # the virtio header's gso_size says how: each segment is checked as the datagram it becomes
    s.setsockopt(263, 15, 1)
    s.bind((iface, 0))
    s.settimeout(0.2)
    open(ready, "w").close()
    end = time.time() + seconds
    while time.time() < end:
        try:
            v, addr = s.recvfrom(65535 + 10)
        except socket.timeout:
            continue
        gso_type, gso_size = v[1] & 0x7F, struct.unpack("<H", v[4:6])[0]
        f = v[10:]
        if addr[2] != 4 or len(f) < 14 + 28 or f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        ip = f[14:]
        ihl = (ip[0] & 0xF) * 4
        iplen = struct.unpack("!H", ip[2:4])[0]
        frag = struct.unpack("!H", ip[6:8])[0]
        isfrag = 1 if (frag & 0x2000) or (frag & 0x1FFF) else 0
        sport = struct.unpack("!H", ip[ihl:ihl + 2])[0]
        if sport != port:
            continue
        pay = ip[ihl + 8:iplen]
        segs = [pay]
        if gso_type == 5 and gso_size:  # VIRTIO_NET_HDR_GSO_UDP_L4
            segs = [pay[i:i + gso_size] for i in range(0, len(pay), gso_size)]
        elif gso_type:
            print("%d %d 1" % (iplen, len(pay)), flush=True)  # another GSO kind: IP fragments
            continue
        for seg in segs:
            if isfrag or (len(seg) >= 32 and seg[0] == 4):
                print("%d %d %d" % (ihl + 8 + len(seg), len(seg), isfrag), flush=True)
    print("end", flush=True)


def hs_time(iface, seconds, ready):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
    s.bind((iface, 0))
    s.settimeout(0.2)
    open(ready, "w").close()
    end = time.time() + seconds
    first = None
    inits = cookies = 0
    while time.time() < end:
        try:
            f, anc, _, addr = s.recvmsg(65535, 64)
        except socket.timeout:
            continue
        if len(f) < 14 + 28 + 4 or f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        ihl = (f[14] & 0xF) * 4
        t = None
        for lvl, typ, data in anc:
            if lvl == socket.SOL_SOCKET and typ == 35:
                sec, nsec = struct.unpack("qq", data[:16])
                t = sec + nsec / 1e9
        if t is None:
            t = time.time()
        w = f[14 + ihl + 8:]
        if addr[2] == 4 and w[0] == 1:
            inits += 1
            if first is None:
                first = t
        elif addr[2] != 4 and w[0] == 3:
            cookies += 1
        elif addr[2] != 4 and w[0] == 2 and first is not None:
            print("handshake %d initiations %d cookies %d" % ((t - first) * 1000, inits, cookies), flush=True)
            return
    print("handshake none initiations %d cookies %d" % (inits, cookies), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "ping-sizes":
        ping_sizes(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "hs-time":
        hs_time(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "outer":
        outer(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(64)
