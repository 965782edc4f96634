#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# An ICE peer for the relay tests, built on Debian's python3-aioice (an ICE agent we did not
# write), with a forwarder between wireguard-go's UDP socket and the ICE connection.
"""
  ice_peer.py creds --public-key PK --secret S [--expires E]
      prints "USERNAME PASSWORD": the TURN credentials the portal derives for the owner of PK
      (FIREZONE.md section 2): salt = b64nopad(SHA-256(PK)), username = "E:salt",
      password = b64nopad(SHA-256("E:S:salt"))

  ice_peer.py client --ctl SOCK --client-id ID --ufrag U --pwd P --remote-ufrag U --remote-pwd P
                     --turn HOST:PORT --turn-user U --turn-pass P --host-ip IP
                     --listen 127.0.0.1:PORT --wg 127.0.0.1:PORT --status FILE
      The Firezone client's side: CONTROLLING agent. Its local credentials are the
      create_authorization's client_ice_credentials, the remote ones gateway_ice_credentials.
      Candidates: host (--host-ip only), server-reflexive (coturn's BINDING) and relayed
      (its own allocation on coturn). They go to the gateway as `ice_candidates` through the
      portal stand-in's control socket; the gateway's `broadcast_ice_candidates` (recorded by
      the stand-in) come back the same way (cmd "ice"), and its
      `broadcast_invalidated_ice_candidates` are logged and never chosen again.
      Once a pair is nominated, datagrams from wireguard-go (its peer endpoint is --listen) go
      over the ICE connection and back to --wg. Up to 128 datagrams wait while ICE runs.
      Liveness: a BINDING check on the nominated pair every --probe-interval s; after
      --fail-after misses in a row, every other pair is checked at once and the best one that
      answers is nominated (USE-CANDIDATE): the path fails over, as a Firezone client does.
      aioice nominates the first pair that answers; for --upgrade-secs after that, a pair of
      higher priority that answers (e.g. server-reflexive, once the gateway's own checks opened
      its NAT) is nominated instead.

  ice_peer.py gateway --url WS_URL --token T --public-key PK --ca FILE --host-ip IP
                      --listen 127.0.0.1:PORT --wg 127.0.0.1:PORT --status FILE
      A STAND-IN GATEWAY FOR THE HARNESS SELF-TEST ONLY (relay_harness_selftest.sh): it speaks
      just enough of the portal protocol (join, init's relays, create_authorization,
      ice_candidates; replies authorization_created and broadcast_ice_candidates) to be the
      CONTROLLED aioice agent in front of a wireguard-go "gateway". It shows the client side
      and the stand-in plumbing work without our gateway. It is not a model of our gateway.

Status file: one JSON object per line, {"t": unix time, "event": ...}: gathered, sent,
remote, invalidated, connected (path, pair), upgrade (path, pair: a better pair answered
within --upgrade-secs of connecting), probe_fail, failover (path, pair, gap),
failover_failed, closed, error.
"""
import argparse
import asyncio
import base64
import hashlib
import json
import socket
import ssl
import sys
import time
import urllib.parse

PATH_RELAY = "relay"
PATH_DIRECT = "direct"


def creds(public_key, secret, expires):
    salt = base64.b64encode(hashlib.sha256(public_key.encode()).digest()).decode().rstrip("=")
    username = "%d:%s" % (expires, salt)
    pw = hashlib.sha256(("%d:%s:%s" % (expires, secret, salt)).encode()).digest()
    return username, base64.b64encode(pw).decode().rstrip("=")


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h.strip("[]"), int(p)


class Status:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else sys.stdout

    def __call__(self, event, **kw):
        rec = {"t": round(time.time(), 6), "event": event}
        rec.update(kw)
        self.f.write(json.dumps(rec, sort_keys=True) + "\n")


def restrict_host_addresses(ips):
    """aioice would offer every address of the namespace (the WireGuard TUN's too: a loop)."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(ips)


def cand_str(c):
    return "candidate:" + c.to_sdp()


def parse_cand(s):
    from aioice import Candidate
    return Candidate.from_sdp(s[len("candidate:"):] if s.startswith("candidate:") else s)


def path_of(pair):
    if pair.local_candidate.type == "relay" or pair.remote_candidate.type == "relay":
        return PATH_RELAY
    return PATH_DIRECT


def pair_info(pair):
    lc, rc = pair.local_candidate, pair.remote_candidate
    return "%s %s:%d -> %s %s:%d" % (lc.type, lc.host, lc.port, rc.type, rc.host, rc.port)


class Forwarder(asyncio.DatagramProtocol):
    """wireguard-go <-> the ICE connection; datagrams keep their order (one sender task)."""

    def __init__(self, wg_addr, status):
        self.wg_addr = wg_addr
        self.status = status
        self.conn = None
        self.pending = []
        self.queue = asyncio.Queue(maxsize=4096)
        self.transport = None
        self.to_ice = self.to_wg = self.dropped = 0

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if self.conn is None:
            self.pending.append(data)
            if len(self.pending) > 128:  # as the original: 128 wait, the oldest go
                self.pending.pop(0)
                self.dropped += 1
            return
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped += 1

    async def start(self, conn):
        self.conn = conn
        for d in self.pending:
            self.queue.put_nowait(d)
        self.pending = []
        asyncio.ensure_future(self.sender())
        asyncio.ensure_future(self.receiver())

    async def sender(self):
        while True:
            d = await self.queue.get()
            try:
                await self.conn.send(d)
                self.to_ice += 1
            except Exception:  # a path going away: counted, the next datagram tries again
                self.dropped += 1

    async def receiver(self):
        while True:
            try:
                d = await self.conn.recv()
            except ConnectionError as e:
                self.status("closed", why=str(e))
                return
            self.transport.sendto(d, self.wg_addr)
            self.to_wg += 1


class Peer:
    def __init__(self, args, controlling):
        self.args = args
        self.status = Status(args.status)
        self.controlling = controlling
        self.conn = None
        self.invalid = set()  # (host, port) of withdrawn remote candidates
        self.remote_seen = set()
        self.fwd = None

    async def make_conn(self, turn, turn_user, turn_pass, stun, ufrag, pwd, rufrag, rpwd):
        import aioice
        restrict_host_addresses(self.args.host_ip)
        self.conn = aioice.Connection(ice_controlling=self.controlling, stun_server=stun,
                                      turn_server=turn, turn_username=turn_user,
                                      turn_password=turn_pass, use_ipv6=False)
        self.conn.local_username, self.conn.local_password = ufrag, pwd
        self.conn.remote_username, self.conn.remote_password = rufrag, rpwd
        loop = asyncio.get_running_loop()
        self.fwd = Forwarder(hostport(self.args.wg), self.status)
        await loop.create_datagram_endpoint(lambda: self.fwd, local_addr=hostport(self.args.listen))
        await asyncio.wait_for(self.conn.gather_candidates(), self.args.gather_timeout)
        cands = [cand_str(c) for c in self.conn.local_candidates]
        self.status("gathered", candidates=cands)
        return cands

    async def add_remote(self, strings):
        for s in strings:
            try:
                c = parse_cand(s)
            except (ValueError, IndexError) as e:
                self.status("error", what="bad remote candidate", candidate=s, why=str(e))
                continue
            key = (c.host, c.port)
            if key in self.remote_seen:
                continue
            self.remote_seen.add(key)
            try:
                await self.conn.add_remote_candidate(c)
                self.status("remote", candidate=s)
            except ValueError as e:
                self.status("error", what="remote candidate refused", candidate=s, why=str(e))

    def invalidate(self, strings):
        for s in strings:
            try:
                c = parse_cand(s)
            except (ValueError, IndexError):
                continue
            self.invalid.add((c.host, c.port))
            self.status("invalidated", candidate=s)

    async def connect(self):
        t0 = time.time()
        await asyncio.wait_for(self.conn.connect(), self.args.connect_timeout)
        pair = self.conn._nominated[1]
        self.status("connected", path=path_of(pair), pair=pair_info(pair),
                    local_type=pair.local_candidate.type, remote_type=pair.remote_candidate.type,
                    secs=round(time.time() - t0, 3))
        await self.fwd.start(self.conn)

    # ---------------------------------------------------------------- liveness, failover
    async def check(self, pair, nominate, retransmissions):
        from aioice import stun
        req = self.conn.build_request(pair, nominate=nominate)
        try:
            _, addr = await pair.protocol.request(
                req, pair.remote_addr, integrity_key=self.conn.remote_password.encode(),
                retransmissions=retransmissions)
        except (stun.TransactionError, OSError, ConnectionError):
            return False
        return addr == pair.remote_addr

    def prio(self, pair):
        from aioice.ice import candidate_pair_priority
        return candidate_pair_priority(pair.local_candidate, pair.remote_candidate,
                                       self.conn.ice_controlling)

    async def upgrade(self, cur):
        """aioice nominates the first pair that answers; a pair of higher priority may answer
        only later (a NAT opened by the gateway's own checks): nominate it then."""
        better = [p for p in self.conn._check_list
                  if self.prio(p) > self.prio(cur) and p.protocol in self.conn._protocols
                  and (p.remote_candidate.host, p.remote_candidate.port) not in self.invalid]
        if not better:
            return
        oks = await asyncio.gather(*[self.check(p, False, 1) for p in better])
        good = sorted([p for p, ok in zip(better, oks) if ok], key=self.prio, reverse=True)
        for p in good:
            if await self.check(p, True, 2):
                self.conn._nominated[1] = p
                self.status("upgrade", path=path_of(p), pair=pair_info(p), old=pair_info(cur))
                return

    async def monitor(self):
        misses, last_ok, t0 = 0, time.time(), time.time()
        while True:
            await asyncio.sleep(self.args.probe_interval)
            pair = self.conn._nominated.get(1)
            if pair is None:
                return
            if await self.check(pair, False, 0):
                misses, last_ok = 0, time.time()
                if time.time() - t0 < self.args.upgrade_secs:
                    await self.upgrade(pair)
                continue
            misses += 1
            self.status("probe_fail", pair=pair_info(pair), misses=misses)
            if misses < self.args.fail_after:
                continue
            if await self.failover(pair, last_ok):
                misses, last_ok = 0, time.time()

    async def failover(self, dead, last_ok):
        t0 = time.time()
        cands = [p for p in self.conn._check_list
                 if p is not dead and (p.remote_candidate.host, p.remote_candidate.port) not in self.invalid
                 and p.protocol in self.conn._protocols]
        oks = await asyncio.gather(*[self.check(p, False, 2) for p in cands])
        good = [p for p, ok in zip(cands, oks) if ok]
        from aioice.ice import sort_candidate_pairs
        sort_candidate_pairs(good, self.conn.ice_controlling)
        for p in good:
            if await self.check(p, True, 2):
                self.conn._nominated[1] = p
                self.status("failover", path=path_of(p), pair=pair_info(p), old=pair_info(dead),
                            secs=round(time.time() - t0, 3), since_last_ok=round(time.time() - last_ok, 3))
                return True
        self.status("failover_failed", tried=len(cands), answered=len(good))
        return False


# -------------------------------------------------------------------- the client's side
def ctl(sock, cmd, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(json.dumps(cmd).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    s.close()
    return json.loads(buf)


async def actl(sock, cmd, timeout=30):
    return await asyncio.get_running_loop().run_in_executor(None, ctl, sock, cmd, timeout)


async def run_client(a):
    p = Peer(a, controlling=True)
    turn = hostport(a.turn) if a.turn else None
    stun = hostport(a.stun) if a.stun else turn
    try:
        cands = await p.make_conn(turn, a.turn_user, a.turn_pass, stun, a.ufrag, a.pwd,
                                  a.remote_ufrag, a.remote_pwd)
    except Exception as e:  # a refused allocation (401), an unreachable server...
        p.status("error", what="gathering candidates", why=repr(e))
        return 1
    r = await actl(a.ctl, {"cmd": "send", "event": "ice_candidates",
                           "payload": {"client_id": a.client_id, "candidates": cands}})
    p.status("sent", ok=r.get("ok"), error=r.get("error"))
    if not r.get("ok"):
        return 1

    async def poll():  # the gateway's candidates, as the portal relays them
        since = 0
        while True:
            r = await actl(a.ctl, {"cmd": "ice", "client_id": a.client_id, "since": since,
                                   "timeout": 2}, timeout=10)
            if not r.get("ok"):
                p.status("error", what="stand-in ice", why=r.get("error"))
                await asyncio.sleep(0.5)
                continue
            for ev in r["events"]:
                if ev["kind"] == "add":
                    await p.add_remote(ev["candidates"])
                else:
                    p.invalidate(ev["candidates"])
            since = r["next"]

    asyncio.ensure_future(poll())
    try:
        await p.connect()
    except (asyncio.TimeoutError, ConnectionError) as e:
        p.status("error", what="ICE", why=repr(e))
        return 1
    await p.monitor() if a.probe_interval > 0 else await asyncio.Future()
    return 0


# -------------------------------------------------------------------- the self-test's gateway
async def run_gateway(a):
    import websockets
    p = Peer(a, controlling=False)
    q = urllib.parse.urlencode({"external_id": "relay-harness-selftest", "name": "selftest",
                                "public_key": a.public_key})
    ctx = None
    if a.url.startswith("wss:"):
        ctx = ssl.create_default_context(cafile=a.ca)
    ws = await websockets.connect(a.url + "/gateway/v2/websocket?" + q, ssl=ctx,
                                  extra_headers={"X-Authorization": "Bearer " + a.token})
    ref = 0

    async def push(event, payload, topic="gateway"):
        nonlocal ref
        await ws.send(json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref}))
        ref += 1

    await push("phx_join", None)
    relays, started, early = [], False, []
    async for text in ws:
        m = json.loads(text)
        ev, pl = m.get("event"), m.get("payload")
        if ev == "init":
            relays = [r for r in pl.get("relays", []) if r.get("type") == "turn"]
            p.status("init", relays=len(relays))
        elif ev == "create_authorization" and not started:
            started = True
            if not relays:
                await push("no_relays", {})
                p.status("no_relays")
                continue
            r = relays[0]
            g, c = pl["gateway_ice_credentials"], pl["client_ice_credentials"]
            cid = pl["client"]["id"]
            try:
                cands = await p.make_conn(hostport(r["addr"]), r["username"], r["password"],
                                          hostport(r["addr"]), g["username"], g["password"],
                                          c["username"], c["password"])
            except Exception as e:
                p.status("error", what="gathering candidates", why=repr(e))
                return 1
            await push("broadcast_ice_candidates", {"client_ids": [cid], "candidates": cands})
            await push("authorization_created", {"ref": pl["ref"]})
            await p.add_remote(early)

            async def connect():
                try:
                    await p.connect()
                except (asyncio.TimeoutError, ConnectionError) as e:
                    p.status("error", what="ICE", why=repr(e))
            asyncio.ensure_future(connect())
        elif ev == "ice_candidates":
            if p.conn is None:
                early += pl["candidates"]
            else:
                await p.add_remote(pl["candidates"])
        elif ev == "invalidate_ice_candidates":
            p.invalidate(pl["candidates"])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("creds")
    c.add_argument("--public-key", required=True)
    c.add_argument("--secret", required=True)
    c.add_argument("--expires", type=int, default=2145916800)
    for name in ("client", "gateway"):
        s = sub.add_parser(name)
        s.add_argument("--host-ip", action="append", required=True)
        s.add_argument("--listen", required=True, help="the socket wireguard-go sends to")
        s.add_argument("--wg", required=True, help="wireguard-go's own socket")
        s.add_argument("--status")
        s.add_argument("--gather-timeout", type=float, default=10)
        s.add_argument("--connect-timeout", type=float, default=20)
        s.add_argument("--probe-interval", type=float, default=0.5 if name == "client" else 0)
        s.add_argument("--fail-after", type=int, default=3)
        s.add_argument("--upgrade-secs", type=float, default=15,
                       help="after connecting, this long: a better pair that answers is nominated")
    s = sub.choices["client"]
    for k in ("ctl", "client-id", "ufrag", "pwd", "remote-ufrag", "remote-pwd"):
        s.add_argument("--" + k, required=True)
    s.add_argument("--turn", help="HOST:PORT of the client's TURN server (coturn)")
    s.add_argument("--stun", help="HOST:PORT for the server-reflexive candidate (default: --turn)")
    s.add_argument("--turn-user")
    s.add_argument("--turn-pass")
    s = sub.choices["gateway"]
    for k in ("url", "token", "public-key"):
        s.add_argument("--" + k, required=True)
    s.add_argument("--ca")
    a = ap.parse_args()
    if a.cmd == "creds":
        print(*creds(a.public_key, a.secret, a.expires))
        return 0
    try:
        return asyncio.run(run_client(a) if a.cmd == "client" else run_gateway(a))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
