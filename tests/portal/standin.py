#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A stand-in for the Firezone portal: the gateway WebSocket (v2), Phoenix framing, scripted.
"""
Serves /gateway/v2/websocket the way the portal does (Phoenix V1 JSON objects), checks the
connect parameters and headers, answers joins and heartbeats, and follows commands sent on a
control socket, one JSON object per line, each answered with one JSON line:

  {"cmd": "init", "payload": {...}, "now": B}
                                            sent after every join (and now, when joined,
                                            unless "now" is false)
  {"cmd": "send", "event": E, "payload": P} one message to the gateway now
  {"cmd": "send_file", "path": F}           every line of F ({"event": E, "payload": P}) now
  {"cmd": "repeat", "event": E, "payload": P, "count": N, "interval": S}
                                            N messages E, one every S seconds (answered at once)
  {"cmd": "raw", "text": T}                 a text frame as given (need not be JSON)
  {"cmd": "binary"}                         a binary frame (the gateway must close with 1003)
  {"cmd": "drop", "how": H}                 end the connection: close (ws close 1000),
        close_code (with "code"), reset (TCP RST), tls_alert (a fatal TLS alert record, then
        RST), tls_close (TLS close_notify, no ws close), truncate (half a frame, then FIN),
        silence (answer nothing more on this connection), phx_close, token_expired
  {"cmd": "answer", "status": S, "count": N, "retry_after": R, "reason": X}
                                            the next N upgrades get HTTP S (problem+json)
  {"cmd": "join_reply", "mode": "ok" | "none" | "error", "reason": X}
  {"cmd": "wait", "event": E, "count": N, "timeout": T}
                                            until N messages E were received in all
  {"cmd": "state"}                          connections, joined, counts per event
  {"cmd": "ice", "client_id": C, "since": N, "timeout": T}
                                            the gateway's broadcast_ice_candidates and
        broadcast_invalidated_ice_candidates naming client C, from the N-th on (0: all), as
        the portal relays them to that client: {"events": [{"kind": "add" | "remove",
        "candidates": [...]}, ...], "next": M}; waits up to T seconds (default 0) for one
  {"cmd": "quit"}

Everything is logged as JSON lines to --log: {"t": unix time, "kind": "connect" | "refused"
| "recv" | "sent" | "closed", ...}; "closed" has the gateway's close code ("code", null when the
connection ended without a close frame). Sent messages over 64 KiB are logged by size only.

`standin.py ctl SOCKET 'JSON'` sends one command; `standin.py ctl SOCKET @FILE` reads it from
FILE (for commands larger than an argument may be, such as a big init).
"""
import argparse
import asyncio
import base64
import json
import os
import socket
import ssl
import struct
import sys
import time
import urllib.parse
from http import HTTPStatus

import websockets
import websockets.server


class Portal:
    def __init__(self, args):
        self.args = args
        self.log_file = open(args.log, "a", buffering=1)
        self.init_payload = None
        self.ws = None
        self.joined = False
        self.silent = False
        self.join_mode = "ok"
        self.join_reason = "invalid_version"
        self.answers = []  # pending [status, count, retry_after, reason]
        self.connections = 0
        self.counts = {}
        self.waiters = []
        self.last_connect = {}
        self.on_join = []  # [{"event": E, "payload": P}] sent after init on every join
        self.ice_waiters = []
        self.ice = {}  # client id -> [{"kind": "add" | "remove", "candidates": [...]}]

    def log(self, kind, **kw):
        rec = {"t": round(time.time(), 6), "kind": kind}
        rec.update(kw)
        self.log_file.write(json.dumps(rec, sort_keys=True) + "\n")

    # ------------------------------------------------------------ the upgrade
    async def process_request(self, path, headers):
        url = urllib.parse.urlsplit(path)
        q = dict(urllib.parse.parse_qsl(url.query))
        info = {
            "path": url.path,
            "query": q,
            "user_agent": headers.get("User-Agent", ""),
            "host": headers.get("Host", ""),
            "token_ok": headers.get("X-Authorization", "") == "Bearer " + self.args.token,
        }
        problems = []
        if url.path != "/gateway/v2/websocket":
            problems.append("path")
        for k in ("external_id", "name", "public_key"):
            if not q.get(k):
                problems.append("missing " + k)
        pk = q.get("public_key", "")
        try:
            if len(pk) != 44 or len(base64.b64decode(pk, validate=True)) != 32:
                problems.append("public_key")
        except ValueError:
            problems.append("public_key")
        if self.answers:
            status, count, retry_after, reason = self.answers[0]
            self.answers[0][1] -= 1
            if self.answers[0][1] <= 0:
                self.answers.pop(0)
            self.log("refused", status=status, **info)
            return self.problem(status, reason, retry_after)
        if not info["token_ok"]:
            self.log("refused", status=401, **info)
            return self.problem(401, "invalid_token", None)
        if problems:
            self.log("refused", status=400, problems=problems, **info)
            return self.problem(400, "invalid_connect_params", None)
        self.last_connect = info
        return None

    @staticmethod
    def problem(status, reason, retry_after):
        body = json.dumps({"error": {"reason": reason or HTTPStatus(status).phrase}}).encode()
        headers = [("Content-Type", "application/problem+json")]
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        return HTTPStatus(status), headers, body

    # ------------------------------------------------------------ one connection
    async def handler(self, ws, path=None):
        if self.ws is not None:
            # the first connection wins, as the portal does with duplicates
            self.log("duplicate")
            await ws.close(4009, "duplicate")
            return
        self.connections += 1
        self.ws, self.joined, self.silent = ws, False, False
        self.log("connect", n=self.connections, peer=str(ws.remote_address[0]), **self.last_connect)
        try:
            async for text in ws:
                if isinstance(text, bytes):
                    self.log("recv_binary", len=len(text))
                    continue
                await self.on_message(ws, text)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.log("closed", code=ws.close_code, reason=ws.close_reason)
            if self.ws is ws:
                self.ws, self.joined = None, False

    async def on_message(self, ws, text):
        msg = json.loads(text)
        event = msg.get("event")
        self.counts[event] = self.counts.get(event, 0) + 1
        self.log("recv", msg=msg)
        self.record_ice(event, msg.get("payload"))
        self.wake()
        if self.silent:
            return
        ref = msg.get("ref")
        if event == "phx_join":
            if self.join_mode == "none":
                return
            if self.join_mode == "error":
                await self.send(ws, "phx_reply", {"status": "error",
                                                  "response": {"reason": self.join_reason}},
                                ref=ref, topic=msg.get("topic"))
                return
            await self.send(ws, "phx_reply", {"status": "ok", "response": {}}, ref=ref,
                            topic=msg.get("topic"))
            self.joined = True
            if self.init_payload is not None:
                await self.send(ws, "init", self.init_payload)
            for m in self.on_join:
                await self.send(ws, m["event"], m["payload"])
        elif event == "heartbeat":
            # as Phoenix: the ref echoed as a string now and then
            await self.send(ws, "phx_reply", {"status": "ok", "response": {}},
                            ref=str(ref) if ref % 2 else ref, topic="phoenix")

    async def send(self, ws, event, payload, ref=None, topic="gateway"):
        msg = {"topic": topic, "event": event, "payload": payload, "ref": ref, "join_ref": None}
        text = json.dumps(msg)
        await ws.send(text)
        if len(text) > 65536:
            self.log("sent", msg={"event": event, "topic": topic}, size=len(text))
        else:
            self.log("sent", msg=msg)

    async def repeat(self, event, payload, count, interval):
        for _ in range(count):
            if self.ws is None:
                return
            await self.send(self.ws, event, payload)
            await asyncio.sleep(interval)

    def record_ice(self, event, payload):
        kind = {"broadcast_ice_candidates": "add",
                "broadcast_invalidated_ice_candidates": "remove"}.get(event)
        if kind is None or not isinstance(payload, dict):
            return
        cands = [c for c in payload.get("candidates") or [] if isinstance(c, str)]
        for cid in payload.get("client_ids") or []:
            if isinstance(cid, str):
                self.ice.setdefault(cid, []).append({"kind": kind, "candidates": cands})
        for w in list(self.ice_waiters):
            if not w.done():
                w.set_result(True)

    async def ice_events(self, cid, since, timeout):
        if len(self.ice.get(cid, [])) <= since and timeout > 0:
            fut = asyncio.get_running_loop().create_future()
            self.ice_waiters.append(fut)
            deadline = time.monotonic() + timeout
            try:
                while len(self.ice.get(cid, [])) <= since:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        await asyncio.wait_for(asyncio.shield(fut), left)
                    except asyncio.TimeoutError:
                        break
                    self.ice_waiters.remove(fut)
                    fut = asyncio.get_running_loop().create_future()
                    self.ice_waiters.append(fut)
            finally:
                self.ice_waiters.remove(fut)
        evs = self.ice.get(cid, [])
        return {"ok": True, "events": evs[since:], "next": len(evs)}

    # ------------------------------------------------------------ drops
    async def drop(self, how, code=None):
        ws = self.ws
        if ws is None:
            return {"ok": False, "error": "not connected"}
        transport = ws.transport
        raw = transport.get_extra_info("socket")
        self.log("drop", how=how)
        if how == "close":
            await ws.close(1000)
        elif how == "close_code":
            await ws.close(code or 4000)
        elif how == "reset":
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        elif how == "tls_alert":
            # a fatal internal_error alert record straight on the socket, then a reset
            os.write(raw.fileno(), b"\x15\x03\x03\x00\x02\x02\x50")
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        elif how == "tls_close":
            transport.close()  # TLS close_notify (on a TLS connection), no WebSocket close
        elif how == "truncate":
            transport.write(b"\x81\x7e\x01\x00" + b"{\"topic\":\"gateway\"")
            transport.close()
        elif how == "silence":
            self.silent = True
        elif how == "phx_close":
            await self.send(ws, "phx_close", {})
        elif how == "token_expired":
            await self.send(ws, "disconnect", {"reason": "token_expired"})
        else:
            return {"ok": False, "error": "unknown how"}
        return {"ok": True}

    # ------------------------------------------------------------ control
    def wake(self):
        for w in list(self.waiters):
            event, count, fut = w
            if self.counts.get(event, 0) >= count and not fut.done():
                fut.set_result(True)

    async def command(self, c):
        cmd = c.get("cmd")
        if cmd == "init":
            self.init_payload = c["payload"]
            if self.ws is not None and self.joined and c.get("now", True):
                await self.send(self.ws, "init", self.init_payload)
            return {"ok": True}
        if cmd == "send":
            if self.ws is None:
                return {"ok": False, "error": "not connected"}
            await self.send(self.ws, c["event"], c.get("payload", {}), topic=c.get("topic", "gateway"))
            return {"ok": True}
        if cmd == "send_file":
            if self.ws is None:
                return {"ok": False, "error": "not connected"}
            n = 0
            with open(c["path"]) as f:
                for line in f:
                    if line.strip():
                        m = json.loads(line)
                        await self.send(self.ws, m["event"], m["payload"])
                        n += 1
            return {"ok": True, "sent": n}
        if cmd == "repeat":
            if self.ws is None:
                return {"ok": False, "error": "not connected"}
            asyncio.get_running_loop().create_task(
                self.repeat(c["event"], c.get("payload", {}), c.get("count", 1),
                            c.get("interval", 1.0)))
            return {"ok": True}
        if cmd == "raw":
            if self.ws is None:
                return {"ok": False, "error": "not connected"}
            await self.ws.send(c["text"])
            self.log("sent_raw", text=c["text"][:200])
            return {"ok": True}
        if cmd == "binary":
            if self.ws is None:
                return {"ok": False, "error": "not connected"}
            await self.ws.send(b"\x01\x02\x03")
            self.log("sent_binary")
            return {"ok": True}
        if cmd == "drop":
            return await self.drop(c.get("how", "close"), c.get("code"))
        if cmd == "answer":
            self.answers.append([c["status"], c.get("count", 1), c.get("retry_after"),
                                 c.get("reason")])
            return {"ok": True}
        if cmd == "join_reply":
            self.join_mode = c.get("mode", "ok")
            self.join_reason = c.get("reason", self.join_reason)
            return {"ok": True}
        if cmd == "wait":
            event, count = c["event"], c.get("count", 1)
            if self.counts.get(event, 0) < count:
                fut = asyncio.get_running_loop().create_future()
                w = (event, count, fut)
                self.waiters.append(w)
                try:
                    await asyncio.wait_for(fut, c.get("timeout", 10))
                except asyncio.TimeoutError:
                    return {"ok": False, "error": "timeout", "count": self.counts.get(event, 0)}
                finally:
                    self.waiters.remove(w)
            return {"ok": True, "count": self.counts.get(event, 0)}
        if cmd == "ice":
            return await self.ice_events(c["client_id"], int(c.get("since", 0)),
                                         float(c.get("timeout", 0)))
        if cmd == "state":
            return {"ok": True, "connected": self.ws is not None, "joined": self.joined,
                    "connections": self.connections, "counts": self.counts}
        if cmd == "quit":
            asyncio.get_running_loop().call_soon(self.stop.set_result, True)
            return {"ok": True}
        return {"ok": False, "error": "unknown command"}

    async def control(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    reply = await self.command(json.loads(line))
                except Exception as e:  # a bad command must not stop the stand-in
                    reply = {"ok": False, "error": repr(e)}
                writer.write((json.dumps(reply) + "\n").encode())
                await writer.drain()
        finally:
            writer.close()

    async def run(self):
        ctx = None
        if self.args.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.args.cert, self.args.key)
        host, port = self.args.listen.rsplit(":", 1)
        self.stop = asyncio.get_running_loop().create_future()
        if os.path.exists(self.args.control):
            os.unlink(self.args.control)
        # commands may be large (an init of 50,000 authorizations is about 6 MB)
        ctl = await asyncio.start_unix_server(self.control, self.args.control, limit=1 << 28)
        async with websockets.serve(self.handler, host.strip("[]"), int(port), ssl=ctx,
                                    process_request=self.process_request, ping_interval=None,
                                    max_size=1 << 20):
            self.log("listening", listen=self.args.listen, tls=bool(ctx))
            await self.stop
        ctl.close()


def ctl(sock, command, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(command.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    sys.stdout.write(buf.decode())
    try:
        return 0 if json.loads(buf).get("ok") else 1
    except ValueError:
        return 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "ctl":
        # standin.py ctl SOCKET 'JSON' | @FILE
        command = sys.argv[3]
        if command.startswith("@"):
            with open(command[1:]) as f:
                command = f.read().replace("\n", "")
        return ctl(sys.argv[2], command, float(os.environ.get("CTL_TIMEOUT", "120")))
    ap = argparse.ArgumentParser(description="portal stand-in")
    ap.add_argument("--listen", required=True, help="HOST:PORT")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--token", required=True, help="the token the gateway must present")
    ap.add_argument("--control", required=True, help="control socket path")
    ap.add_argument("--log", required=True)
    ap.add_argument("--init", help="a JSON file: the init payload sent after each join")
    ap.add_argument("--on-join", help="a JSON file: [{event, payload}] sent after init on each join")
    args = ap.parse_args()
    portal = Portal(args)
    if args.init:
        with open(args.init) as f:
            portal.init_payload = json.load(f)
    if args.on_join:
        with open(args.on_join) as f:
            portal.on_join = json.load(f)
    asyncio.run(portal.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
