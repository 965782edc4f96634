#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for systemd's notification socket (sd_notify's NOTIFY_SOCKET): a datagram
socket that logs every message as a JSON line {"t": monotonic seconds, "msg": text}. On each
READY=1 it runs --on-ready (a shell command) at once and logs its output as {"t", "check"}
before the message itself: what the system looked like when READY=1 arrived (e.g. the TUN's
addresses), there by the time a reader sees the READY=1 line.

  notify_listen.py SOCKET LOG [--on-ready CMD]
"""
import argparse, json, os, socket, subprocess, time

ap = argparse.ArgumentParser()
ap.add_argument("socket")
ap.add_argument("log")
ap.add_argument("--on-ready")
a = ap.parse_args()
try:
    os.unlink(a.socket)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(a.socket)
os.chmod(a.socket, 0o666)
with open(a.log, "a", buffering=1) as log:
    log.write(json.dumps({"t": time.monotonic(), "listening": True}) + "\n")
    while True:
        data = s.recv(65536)
        msg = data.decode("utf-8", "replace")
        # the check first: whoever sees the READY=1 line in the log finds its check beside it
        if a.on_ready and "READY=1" in msg.split("\n"):
            out = subprocess.run(a.on_ready, shell=True, capture_output=True, text=True).stdout
            log.write(json.dumps({"t": time.monotonic(), "check": out}) + "\n")
        log.write(json.dumps({"t": time.monotonic(), "msg": msg}) + "\n")
