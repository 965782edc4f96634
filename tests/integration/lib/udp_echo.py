#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# UDP echo for the offload test (udp_offload.sh): "serve ADDR PORT" echoes every datagram to its
# sender; "check ADDR PORT COUNT SIZE" sends COUNT numbered datagrams of SIZE bytes in bursts,
# reads the echoes and prints "sent N back N intact N corrupt N" (every byte of each checked).
import hashlib
import socket
import sys
import time


def payload(i, size):
    seed = hashlib.sha256(i.to_bytes(4, "big")).digest()
    body = (seed * (size // len(seed) + 1))[: size - 4]
    return i.to_bytes(4, "big") + body


def serve(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((addr, port))
    while True:
        d, src = s.recvfrom(65535)
        s.sendto(d, src)


def check(addr, port, count, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.settimeout(0)
    seen, corrupt = set(), 0

    def drain():
        nonlocal corrupt
        while True:
            try:
                d = s.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            i = int.from_bytes(d[:4], "big") if len(d) >= 4 else -1
            if 0 <= i < count and d == payload(i, size):
                seen.add(i)
            else:
                corrupt += 1

    burst = 32
    for b in range(0, count, burst):
        for i in range(b, min(count, b + burst)):
            s.sendto(payload(i, size), (addr, port))
        time.sleep(0.005)
        drain()
    end = time.time() + 2
    while time.time() < end:
        time.sleep(0.05)
        drain()
    print("sent %d back %d intact %d corrupt %d" % (count, len(seen), len(seen), corrupt))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
