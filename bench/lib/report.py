#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Markdown table of a bench/run.sh run: report.py RESULTS.tsv [TITLE]

Records are GATEWAY, REP, TEST, KEY, VALUE (tab-separated). Each cell is the mean over the
repetitions, with min-max when there are several. The ratio column is ours / wireguard-go
of the means; the "better" column says which direction is an improvement.
"""
import collections
import sys

BASE, CAND = "wireguard-go", "ours"
ROWS = [  # (test, key, label, better)
    ("tcp1", "mbps", "TCP, 1 stream: Mbit/s", "higher"),
    ("tcp1", "gw_cpu_pct", "TCP, 1 stream: gateway CPU % (100 = 1 core)", ""),
    ("tcp1", "cpu_s_per_gb", "TCP, 1 stream: gateway CPU-s per GB", "lower"),
    ("tcp1", "retransmits", "TCP, 1 stream: retransmits", "lower"),
    ("tcp4", "mbps", "TCP, 4 streams: Mbit/s", "higher"),
    ("tcp4", "gw_cpu_pct", "TCP, 4 streams: gateway CPU %", ""),
    ("tcp4", "cpu_s_per_gb", "TCP, 4 streams: gateway CPU-s per GB", "lower"),
    ("udp", "mbps", "UDP: Mbit/s received", "higher"),
    ("udp", "sent_mbps", "UDP: Mbit/s sent by iperf3", ""),
    ("udp", "loss_pct", "UDP: loss %", "lower"),
    ("udp", "gw_cpu_pct", "UDP: gateway CPU %", ""),
    ("udp", "cpu_s_per_gb", "UDP: gateway CPU-s per GB", "lower"),
    ("all", "cpu_s_per_gb", "TCP+UDP together: gateway CPU-s per GB", "lower"),
    ("tcp1", "cl_cpu_pct", "TCP, 1 stream: client wireguard-go CPU %", ""),
    ("ping", "rtt_avg_ms", "ping: RTT avg ms", "lower"),
    ("ping", "rtt_min_ms", "ping: RTT min ms", "lower"),
    ("ping", "rtt_median_ms", "ping: RTT median ms", "lower"),
    ("ping", "rtt_max_ms", "ping: RTT max ms", "lower"),
    ("ping", "loss_pct", "ping: loss %", "lower"),
    ("ping_load", "rtt_median_ms", "ping under a TCP stream: RTT median ms", "lower"),
    ("ping_load", "rtt_max_ms", "ping under a TCP stream: RTT max ms", "lower"),
    ("ping_load", "added_ms", "ping under a TCP stream: added median ms (vs idle)", "lower"),
    ("ping_load", "loss_pct", "ping under a TCP stream: loss %", "lower"),
]


def main():
    vals = collections.defaultdict(list)  # (gw, test, key) -> [values]
    errors = {}
    per_rep = collections.defaultdict(lambda: [0.0, 0.0])  # (gw, rep) -> [cpu_s, bytes]
    for line in open(sys.argv[1]):
        f = line.rstrip("\n").split("\t")
        if len(f) != 5:
            continue
        gw, rep, test, key, v = f
        if key == "error":
            errors[gw] = "%s: %s" % (test, v)
            continue
        try:
            x = float(v)
        except ValueError:
            continue
        vals[(gw, test, key)].append(x)
        if test in ("tcp1", "tcp4", "udp") and key in ("gw_cpu_s", "bytes"):
            per_rep[(gw, rep)][0 if key == "gw_cpu_s" else 1] += x
    for (gw, rep), (cpu, b) in per_rep.items():
        if b > 0:
            vals[(gw, "all", "cpu_s_per_gb")].append(cpu / (b / 1e9))
    medians = collections.defaultdict(dict)  # gw -> {rep: idle median}
    for line in open(sys.argv[1]):
        f = line.rstrip("\n").split("\t")
        if len(f) == 5 and f[2] == "ping" and f[3] == "rtt_median_ms":
            medians[f[0]][f[1]] = float(f[4])
    for line in open(sys.argv[1]):
        f = line.rstrip("\n").split("\t")
        if len(f) == 5 and f[2] == "ping_load" and f[3] == "rtt_median_ms" and f[1] in medians[f[0]]:
            vals[(f[0], "ping_load", "added_ms")].append(float(f[4]) - medians[f[0]][f[1]])

    def cell(gw, test, key):
        xs = vals.get((gw, test, key))
        if not xs:
            return "failed" if gw in errors else "—", None
        m = sum(xs) / len(xs)
        fmt = "%.0f" if m >= 100 else "%.2f" if m < 10 else "%.1f"
        s = fmt % m
        if len(xs) > 1:
            s += " (" + fmt % min(xs) + "–" + fmt % max(xs) + ")"
        return s, m

    title = sys.argv[2] if len(sys.argv) > 2 else "bench"
    print("### %s\n" % title)
    print("| test | %s | %s | ours / wireguard-go | better |" % (BASE, CAND))
    print("|---|---|---|---|---|")
    for test, key, label, better in ROWS:
        (bs, bm), (cs, cm) = cell(BASE, test, key), cell(CAND, test, key)
        if bm is None and cm is None:
            continue
        ratio = "—"
        if bm and cm is not None:
            r = cm / bm
            ratio = ("%.2f×" if r >= 0.1 else "%.1g×") % r
        print("| %s | %s | %s | %s | %s |" % (label, bs, cs, ratio, better))
    reps = sorted(set(medians[BASE]) & set(medians[CAND]), key=lambda r: int(r) if r.isdigit() else 0)
    if reps:
        wins = sum(1 for r in reps if medians[CAND][r] <= medians[BASE][r])
        print("\nping RTT median per repetition (ms), %s / %s: %s; ours <= wireguard-go in %d of %d" % (
            BASE, CAND, ", ".join("%.3f / %.3f" % (medians[BASE][r], medians[CAND][r]) for r in reps),
            wins, len(reps)))
    for gw, e in sorted(errors.items()):
        print("\n**%s failed** (%s)" % (gw, e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
