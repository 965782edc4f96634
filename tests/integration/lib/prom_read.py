#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reads a Prometheus /metrics page with the reference parser (python3-prometheus-client's
text_string_to_metric_families) and prints one line per sample: NAME{k="v",...} VALUE, labels
sorted; exits 1 when the page does not parse or the content type is not the text format 0.0.4.

  prom_read.py URL             every sample
  prom_read.py URL SELECTOR    the value of one sample, e.g. 'x_total{direction="rx"}' (0 if absent)
"""
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families

def samples(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode("utf-8")
    if "version=0.0.4" not in ctype or not ctype.startswith("text/plain"):
        sys.exit("content type %r is not the text format 0.0.4" % ctype)
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
            out["%s{%s}" % (s.name, labels) if labels else s.name] = s.value
    return out

def canon(sel):
    if "{" not in sel:
        return sel
    name, rest = sel.split("{", 1)
    parts = [p for p in rest.rstrip("}").split(",") if p]
    return "%s{%s}" % (name, ",".join(sorted(parts)))

try:
    got = samples(sys.argv[1])
except Exception as e:  # a page the parser refuses is a failure, said plainly
    sys.exit("cannot read %s: %s" % (sys.argv[1], e))
if len(sys.argv) > 2:
    v = got.get(canon(sys.argv[2]), 0)
    print(int(v) if float(v).is_integer() else v)
else:
    for k, v in sorted(got.items()):
        print(k, v)
