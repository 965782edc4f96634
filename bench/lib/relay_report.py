#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Markdown table of a bench/relay.sh run: relay_report.py RESULTS.tsv

Records are PATH, REP, TEST, KEY, VALUE (tab-separated), PATH one of direct, srflx, relayed,
relayed-nat.
Each cell is the mean over the repetitions, with min-max when there are several; text cells
(the path the gateway logged) list the distinct values. The last columns are relayed / direct.
"""
import collections
import sys

PATHS = ("direct", "srflx", "relayed", "relayed-nat")
ROWS = [  # (test, key, label)
    ("auth", "created_s", "create_authorization → authorization_created, s"),
    ("auth", "gathered_s", "→ client's candidates gathered (its own TURN allocation), s"),
    ("auth", "connected_s", "→ ICE connected at the client, s"),
    ("auth", "first_ping_s", "**→ first answered ping through the tunnel, s**"),
    ("auth", "gw_first_path", "path the gateway nominated first"),
    ("auth", "gw_path", "path the gateway logged, settled (the one measured below)"),
    ("auth", "client_pair", "client's pair (its side first)"),
    ("ping", "rtt_avg_ms", "ping RTT avg, ms"),
    ("tcp", "mbps", "**TCP 1 stream client → resource, Mbit/s**"),
    ("tcp", "retransmits", "TCP retransmits"),
    ("tcp", "gw_cpu_pct", "gateway CPU % (100 = 1 core)"),
    ("tcp", "gw_cpu_s_per_gb", "**gateway CPU-s per GB**"),
    ("tcp", "turn_cpu_pct", "coturn CPU %"),
    ("tcp", "turn_cpu_s_per_gb", "coturn CPU-s per GB"),
    ("counters", "core.rx-relayed-bytes", "gateway: MB received as ChannelData (core.rx-relayed-bytes)"),
    ("tcp", "icefwd_cpu_pct", "client's ICE forwarder (aioice, Python) CPU %"),
    ("tcp", "wgc_cpu_pct", "client's wireguard-go CPU %"),
]


def main():
    vals = collections.defaultdict(list)
    errors = collections.defaultdict(list)
    for line in open(sys.argv[1]):
        f = line.rstrip("\n").split("\t")
        if len(f) != 5:
            continue
        p, rep, test, key, v = f
        if key == "error":
            errors[p].append("rep %s: %s" % (rep, v))
            continue
        if key == "client_pair":  # "host 192.168.20.2:44970 -> relay 198.51.100.3:61978": the types
            w = v.split()
            v = "%s -> %s" % (w[0], w[3]) if len(w) == 5 else v
        if key.endswith("-bytes"):
            v = "%.3f" % (float(v) / 1e6)
        vals[(p, test, key)].append(v)

    def cell(p, test, key):
        xs = vals.get((p, test, key))
        if not xs:
            return "failed" if p in errors else "—", None
        try:
            nums = [float(x) for x in xs]
        except ValueError:
            return ", ".join(sorted(set(xs))), None
        m = sum(nums) / len(nums)
        fmt = "%.0f" if m >= 100 else "%.3f" if m < 10 else "%.1f"
        s = fmt % m
        if len(nums) > 1:
            s += " (" + fmt % min(nums) + "–" + fmt % max(nums) + ")"
        return s, m

    present = [p for p in PATHS if any(k[0] == p for k in vals) or p in errors]
    print("### relay module: direct, server-reflexive and relayed paths\n")
    print("| | " + " | ".join(present) + " | relayed / direct | relayed-nat / direct |")
    print("|---|" + "---|" * len(present) + "---|---|")
    for test, key, label in ROWS:
        cells = [cell(p, test, key) for p in present]
        if all(c[1] is None and c[0] == "—" for c in cells):
            continue
        d = cell("direct", test, key)[1]
        ratios = []
        for other in ("relayed", "relayed-nat"):
            r = cell(other, test, key)[1]
            ratios.append(("%.2f×" % (r / d)) if d and r is not None and test == "tcp" and not key.startswith("turn") else "")
        print("| %s | %s | %s |" % (label, " | ".join(c[0] for c in cells), " | ".join(ratios)))
    for p in present:
        for e in errors.get(p, []):
            print("\n%s: %s" % (p, e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
