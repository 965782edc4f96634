#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The load generator's records, table and plot (bench/run.sh).

gen_report.py parse PREFIX < fzgw_gen output   -> "TEST<TAB>KEY<TAB>VALUE" lines
gen_report.py table GEN.tsv [TITLE]            -> markdown table, wireguard-go vs ours
gen_report.py plot BENCH.tsv GEN.tsv OUT.svg   -> throughput and CPU-s per GB per test and
                                                  gateway (gnuplot, SVG)

Records are GATEWAY, REP, TEST, KEY, VALUE. Cells: mean over the repetitions (min-max).
"""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

BASE, CAND = "wireguard-go", "ours"
DIRS = {"c2s": "client → site", "s2c": "site → client"}


def kv(line):
    return dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)


def parse(prefix):
    steps, caps = [], []
    for line in sys.stdin:
        if line.startswith("handshakes "):
            h = kv(line)
            for k in ("per_s", "per_gw_cpu_s", "cookies", "failed", "secs", "gw_cpu_s"):
                print("%s\ths_%s\t%s" % (prefix, k, h[k]))
        elif line.startswith("step "):
            steps.append(kv(line))
        elif line.startswith("capacity "):
            caps.append(kv(line))
    if not prefix.startswith("cap"):  # cap, or capwN: the search with gateway.workers = N
        for s in steps:
            for k in ("gw_ns_per_pkt", "loss_pct", "gw_cpu_pct", "gen_cpu_pct", "offered",
                      "gw_udp_drops"):
                print("%s\t%s\t%s" % (prefix, k, s[k]))
        return 0
    for c in caps:
        test = "%s_%s_%s" % (prefix, c["dir"], c["size"])
        print("%s\tpps\t%s" % (test, c["pps"]))
        print("%s\tgbps\t%s" % (test, c["gbps"]))
        print("%s\tbound\t%s" % (test, c["bound"]))
        at = [s for s in steps if s["dir"] == c["dir"] and s["size"] == c["size"] and
              s["rate"] == c["pps"] and s["verdict"] == "pass"]
        if at:
            for k in ("gw_cpu_pct", "gen_cpu_pct", "gw_cpu_s_per_gb", "gw_ns_per_pkt"):
                print("%s\t%s\t%s" % (test, k, at[-1][k]))
    return 0


def load(path):
    vals = collections.defaultdict(list)
    text = collections.defaultdict(list)
    errors = {}
    reps = collections.defaultdict(dict)  # (gw, rep) -> {(test, key): value}
    if not path or not os.path.exists(path):
        return vals, text, errors
    for line in open(path):
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
            text[(gw, test, key)].append(v)
            continue
        if x < 0:  # not measured
            continue
        vals[(gw, test, key)].append(x)
        reps[(gw, rep)][(test, key)] = x
    for (gw, rep), r in reps.items():
        a, b = r.get(("peersN", "gw_ns_per_pkt")), r.get(("peers1", "gw_ns_per_pkt"))
        if a and b:
            vals[(gw, "peers", "ratio")].append(a / b)
    return vals, text, errors


def fmt(m):
    return "%.0f" % m if abs(m) >= 100 else "%.2f" % m if abs(m) < 10 else "%.1f" % m


def table(path, title):
    vals, text, errors = load(path)
    sizes = sorted({int(t.split("_")[2]) for (_, t, _) in vals if t.startswith("cap_")},
                   reverse=True)
    rows = []
    for d in ("c2s", "s2c"):
        for s in sizes:
            t, n = "cap_%s_%d" % (d, s), "%s, %s B" % (DIRS[d], format(s, ","))
            rows += [(t, "pps", "**%s: packets/s at < 0.1 %% loss**" % n, "higher"),
                     (t, "gbps", "%s: Gbit/s (inner packets)" % n, "higher"),
                     (t, "gw_cpu_pct", "%s: gateway CPU %% at that rate (100 = 1 core)" % n, ""),
                     (t, "gw_cpu_s_per_gb", "%s: gateway CPU-s per GB" % n, "lower"),
                     (t, "gen_cpu_pct", "%s: the generator's CPU %% beside it" % n, ""),
                     (t, "bound", "%s: what ended the search" % n, "")]
    rows += [("peers1", "gw_ns_per_pkt", "1 peer: gateway CPU ns per packet", "lower"),
             ("peersN", "gw_ns_per_pkt", "many peers: gateway CPU ns per packet", "lower"),
             ("peers", "ratio", "**many peers / 1 peer, per-packet cost**", "lower"),
             ("peersN", "loss_pct", "many peers: loss %", "lower"),
             ("peersN", "hs_per_s", "handshakes per second reached", "higher"),
             ("peersN", "hs_per_gw_cpu_s", "**handshakes per gateway CPU-second (per core)**",
              "higher"),
             ("peersN", "hs_cookies", "cookie replies during the handshakes", ""),
             ("peersN", "bytes_per_idle_peer", "**gateway memory per idle peer, bytes**", "lower"),
             ("peersN", "bytes_per_session", "gateway memory per peer with a session, bytes",
              "lower")]

    def cell(gw, test, key):
        xs = vals.get((gw, test, key))
        if not xs:
            ts = text.get((gw, test, key))
            if ts:
                return "/".join(sorted(set(ts))), None
            return ("failed" if gw in errors else "—"), None
        m = sum(xs) / len(xs)
        s = fmt(m)
        if len(xs) > 1:
            s += " (" + fmt(min(xs)) + "–" + fmt(max(xs)) + ")"
        return s, m

    print("### %s\n" % title)
    print("| test | %s | %s | ours / wireguard-go | better |" % (BASE, CAND))
    print("|---|---|---|---|---|")
    for test, key, label, better in rows:
        (bs, bm), (cs, cm) = cell(BASE, test, key), cell(CAND, test, key)
        if bm is None and cm is None and bs == "—" and cs == "—":
            continue
        ratio = "—"
        if bm and cm is not None:
            r = cm / bm
            ratio = ("%.2f×" if r >= 0.1 else "%.1g×") % r
        print("| %s | %s | %s | %s | %s |" % (label, bs, cs, ratio, better))
    workers_table(vals, text)
    for gw, e in sorted(errors.items()):
        print("\n**%s: %s**" % (gw, e))
    return 1 if errors else 0


def workers_table(vals, text):
    """Ours' capacity per gateway.workers value (GEN_WORKERS), and the largest / 1."""
    tests = [t.split("_") for (gw, t, _) in vals
             if gw == CAND and t.startswith("capw") and t.count("_") == 2]
    ws = sorted({int(t[0][4:]) for t in tests})
    if not ws:
        return
    sizes = sorted({int(t[2]) for t in tests}, reverse=True)
    top = ws[-1]
    print("\n### ours by gateway.workers (threads: the loop + workers - 1 output workers)\n")
    print("| packets/s at < 0.1 %% loss | %s | %s |" % (
        " | ".join("workers = %d" % w for w in ws),
        "workers = %d / 1" % top if 1 in ws and top != 1 else "ratio"))
    print("|---|%s---|" % ("---|" * len(ws)))
    for d in ("c2s", "s2c"):
        for s in sizes:
            cells, means = [], {}
            for w in ws:
                xs = vals.get((CAND, "capw%d_%s_%d" % (w, d, s), "pps"))
                if xs:
                    means[w] = sum(xs) / len(xs)
                    c = fmt(means[w])
                    if len(xs) > 1:
                        c += " (" + fmt(min(xs)) + "–" + fmt(max(xs)) + ")"
                    bound = text.get((CAND, "capw%d_%s_%d" % (w, d, s), "bound"), [])
                    if "generator" in bound:
                        c += " [gen]"
                    cells.append(c)
                else:
                    cells.append("—")
            ratio = "—"
            if means.get(1) and top in means and top != 1:
                ratio = "%.2f×" % (means[top] / means[1])
            print("| %s, %s B | %s | %s |" % (DIRS[d], format(s, ","), " | ".join(cells), ratio))
    print("\n[gen]: the generator could not offer more (bound=generator in a repetition): a floor.")


def mean(vals, gw, test, key, scale=1.0):
    xs = vals.get((gw, test, key))
    return "%.6g" % (sum(xs) / len(xs) * scale) if xs else "?"


def plot(bench_tsv, gen_tsv, out):
    if not shutil.which("gnuplot"):
        print("# no gnuplot (apt-get install gnuplot-nox): no plot", file=sys.stderr)
        return 0
    bv, _, _ = load(bench_tsv)
    gv, _, _ = load(gen_tsv)
    both = dict(bv)
    both.update(gv)
    tput = [("TCP 1", "tcp1", "mbps", 1), ("TCP 4", "tcp4", "mbps", 1),
            ("UDP", "udp", "mbps", 1)]
    cpu = [("TCP 1", "tcp1", "cpu_s_per_gb"), ("TCP 4", "tcp4", "cpu_s_per_gb"),
           ("UDP", "udp", "cpu_s_per_gb")]
    caps = {k[1] for k in gv if k[1].startswith("cap_")}
    for t in sorted(caps, key=lambda t: (t.split("_")[1], -int(t.split("_")[2]))):
        d, s = t.split("_")[1:]
        name = "%s %s B" % ("c>s" if d == "c2s" else "s>c", s)
        tput.append((name, t, "gbps", 1000))
        cpu.append((name, t, "gw_cpu_s_per_gb"))
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "tput.dat"), "w") as f:
            for name, t, k, sc in tput:
                f.write('"%s" %s %s\n' % (name, mean(both, BASE, t, k, sc), mean(both, CAND, t, k, sc)))
        with open(os.path.join(tmp, "cpu.dat"), "w") as f:
            for name, t, k in cpu:
                f.write('"%s" %s %s\n' % (name, mean(both, BASE, t, k), mean(both, CAND, t, k)))
        gp = """
set terminal svg size 1000,760 dynamic font "sans,11"
set output '%s'
set datafile missing '?'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key outside top center horizontal
set xtics nomirror
set multiplot layout 2,1
set title "Throughput, Mbit/s (iperf3 TCP 1 and 4 streams, UDP; generator client>site and\\nsite>client by packet size: the highest rate with < 0.1 %% loss)"
set logscale y
plot '%s/tput.dat' using 2:xtic(1) title 'wireguard-go' lc rgb '#888888', '' using 3 title 'ours' lc rgb '#1f77b4'
set title 'Gateway CPU-s per GB (lower is better; generator: at that highest rate)'
plot '%s/cpu.dat' using 2:xtic(1) title 'wireguard-go' lc rgb '#888888', '' using 3 title 'ours' lc rgb '#1f77b4'
unset multiplot
""" % (out, tmp, tmp)
        r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
        if r.returncode:
            print("# gnuplot failed: %s" % r.stderr.strip(), file=sys.stderr)
            return 1
    return 0


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "parse":
        return parse(a[1])
    if len(a) in (2, 3) and a[0] == "table":
        return table(a[1], a[2] if len(a) > 2 else "load generator")
    if len(a) == 4 and a[0] == "plot":
        return plot(a[1], a[2], a[3])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
