#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise one `make bench` results folder.

Reads samples.tsv (one line per metric, row and repetition, written by
guest.sh in the VM), meta.txt and host.txt, and writes next to them:
  samples.csv   every sample, with the kernel, CPU count and offloads
  results.json  the same plus the summary
  <metric>.png  one chart per metric (gnuplot, when installed)
and prints the table: per metric and row the native->native anchor, the
row's median [min-max] and the ratio row/anchor, taken within each
repetition and then summarised as median [min-max].

Usage: scripts/bench.d/report.py RESULTS_DIR
"""

import csv
import json
import os
import shutil
import statistics
import subprocess
import sys

ANCHOR = "native-native"
ROWS = ["native-native", "xtcp-xtcp", "xtcp-native", "native-xtcp"]
# what each metric measures and whether more is better
METRICS = {
    "crr": ("transactions/s (connect, 1 B, 1 B, close)", True),
    "twmem": ("slab bytes per TIME_WAIT entry, held by the server stack", False),
    "loss1": ("goodput in Mbit/s of one flow, 1% loss each way", True),
    "loss5": ("goodput in Mbit/s of one flow, 5% loss each way", True),
    "loss10": ("goodput in Mbit/s of one flow, 10% loss each way", True),
    "delay50": ("goodput in Mbit/s of one flow, 50 ms delay each way", True),
    "burst": ("ms the receiver stalls on 10 lost segments (RTT 10 ms)", False),
    "stream1tx": ("goodput in Mbit/s, 1 flow, the client sends (iperf3)", True),
    "stream1rx": ("goodput in Mbit/s, 1 flow, the client receives (iperf3 -R)",
                  True),
    "stream8tx": ("goodput in Mbit/s, 8 flows, the client sends (iperf3 -P 8)",
                  True),
    "stream8rx": ("goodput in Mbit/s, 8 flows, the client receives "
                  "(iperf3 -P 8 -R)", True),
    "rr": ("transactions/s, 1 B request, 1 B response, one connection", True),
    "rr-p50": ("median latency in us of an rr transaction", False),
    "rr-p99": ("99th percentile latency in us of an rr transaction", False),
}
# decimals shown per metric (default 0)
DIGITS = {"loss1": 1, "loss5": 1, "loss10": 1, "delay50": 1, "burst": 1,
          "stream1tx": 1, "stream1rx": 1, "stream8tx": 1, "stream8rx": 1}


def describe(metric):
    """(description, higher is better) of a metric, the numbered
    families (scaleN, scaleN-p99, memNk) included."""
    if metric in METRICS:
        return METRICS[metric]
    if metric.startswith("scale") and metric.endswith("-p99"):
        return (f"99th percentile latency in us, {metric[5:-4]} connections "
                "(epoll)", False)
    if metric.startswith("scale"):
        return (f"aggregate transactions/s, 1 B request/response on "
                f"{metric[5:]} connections (epoll)", True)
    if metric.startswith("mem") and metric.endswith("-sock"):
        return (f"bytes per connection in the socket caches (TCP, XTCP) "
                f"alone, {metric[3:-5]} connections, both ends", False)
    if metric.startswith("mem"):
        return (f"kernel bytes per idle established connection, "
                f"{metric[3:]} connections, both ends", False)
    return (metric, True)


def read_kv(path):
    """meta.txt/host.txt: "key rest of line"; link lines are collected."""
    kv, links = {}, []
    if not os.path.exists(path):
        return kv, links
    with open(path) as f:
        for line in f:
            key, _, val = line.rstrip("\n").partition(" ")
            if key == "link":
                links.append(val)
            else:
                kv[key] = val
    return kv, links


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def spread(vals):
    return (statistics.median(vals), min(vals), max(vals)) if vals else None


def fmt(v, digits):
    if v is None:
        return "-"
    return f"{v:.{digits}f}"


def summarise(samples):
    """{metric: {row: {...}}} with medians, spreads and per-rep ratios."""
    out = {}
    for metric in dict.fromkeys(s["metric"] for s in samples):
        ms = [s for s in samples if s["metric"] == metric]
        by = {}
        for s in ms:
            by.setdefault(s["row"], {})[s["rep"]] = s
        anchor = by.get(ANCHOR, {})
        rows = {}
        for row in ROWS + sorted(set(by) - set(ROWS)):
            if row not in by:
                continue
            vals = [num(s["value"]) for s in by[row].values()]
            vals = [v for v in vals if v is not None]
            ratios = []
            for rep, s in by[row].items():
                a = anchor.get(rep)
                v, av = num(s["value"]), num(a["value"]) if a else None
                if v is not None and av:
                    ratios.append(v / av)
            rows[row] = {
                "unit": next(iter(by[row].values()))["unit"],
                "n": len(vals),
                "value": spread(vals),
                "ratio": spread(ratios),
                "failures": sum(int(s["failures"] or 0) for s in by[row].values()),
            }
        out[metric] = {"anchor": rows.get(ANCHOR, {}).get("value"), "rows": rows}
    return out


def table(summary):
    lines = []
    hdr = (f"{'metric':<13} {'row':<15} {'native->native':>15} "
           f"{'this row (median [min-max])':>30} {'ratio (median [min-max])':>26} "
           f"{'failed':>7}")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for metric, m in summary.items():
        digits = DIGITS.get(metric, 0)
        anc = m["anchor"][0] if m["anchor"] else None
        for row, r in m["rows"].items():
            v, ra = r["value"], r["ratio"]
            vs = (f"{fmt(v[0], digits)} [{fmt(v[1], digits)}-{fmt(v[2], digits)}]"
                  if v else "-")
            rs = (f"{ra[0]:.2f} [{ra[1]:.2f}-{ra[2]:.2f}]" if ra else "-")
            lines.append(f"{metric:<13} {row.replace('-', '->'):<15} "
                         f"{fmt(anc, digits):>15} {vs:>30} {rs:>26} "
                         f"{r['failures']:>7}")
        desc, more = describe(metric)
        lines.append(f"{'':14}({desc}; {'higher' if more else 'lower'} is "
                     f"better; n={max(r['n'] for r in m['rows'].values())} "
                     f"repetitions)")
    return "\n".join(lines)


def chart(outdir, metric, m):
    """A bar per row, median with a min-max error bar, native and XTCP rows
    coloured apart."""
    gp = shutil.which("gnuplot")
    if not gp:
        return None
    dat = os.path.join(outdir, f"{metric}.dat")
    png = os.path.join(outdir, f"{metric}.png")
    with open(dat, "w") as f:
        for row, r in m["rows"].items():
            if not r["value"]:
                continue
            colour = 1 if row == ANCHOR else 2
            f.write(f"\"{row.replace('-', '->')}\" {r['value'][0]} "
                    f"{r['value'][1]} {r['value'][2]} {colour}\n")
    desc = describe(metric)[0]
    script = f"""
set terminal pngcairo size 800,500 noenhanced
set output '{png}'
set title '{metric}: {desc}'
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set grid ytics
set key off
set linetype 1 lc rgb '#4c72b0'
set linetype 2 lc rgb '#dd8452'
plot '{dat}' using 0:2:5:xtic(1) with boxes lc variable, \\
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0
"""
    res = subprocess.run([gp], input=script, text=True, capture_output=True)
    if res.returncode:
        print(f"# gnuplot failed for {metric}: {res.stderr.strip()}",
              file=sys.stderr)
        return None
    return png


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    outdir = sys.argv[1]
    with open(os.path.join(outdir, "samples.tsv")) as f:
        samples = list(csv.DictReader(f, delimiter="\t"))
    meta, links = read_kv(os.path.join(outdir, "meta.txt"))
    host, _ = read_kv(os.path.join(outdir, "host.txt"))
    offloads = " | ".join(links)

    with open(os.path.join(outdir, "samples.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "row", "rep", "value", "unit", "failures",
                    "extra", "kernel", "cpus", "offloads"])
        for s in samples:
            w.writerow([s["metric"], s["row"], s["rep"], s["value"], s["unit"],
                        s["failures"], s["extra"], meta.get("kernel", ""),
                        meta.get("cpus", ""), offloads])

    summary = summarise(samples)
    charts = {m: chart(outdir, m, s) for m, s in summary.items()}
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "host": host, "links": links,
                   "samples": samples, "summary": summary,
                   "charts": charts}, f, indent=1)

    print(f"# kernel {meta.get('kernel', '?')}, {meta.get('cpus', '?')} vCPUs "
          f"(host {host.get('host_cpus', '?')} CPUs), tree {host.get('git', '?')}")
    print(table(summary))
    tw = os.path.join(outdir, "slab-objsize.txt")
    if os.path.exists(tw):
        with open(tw) as f:
            sizes = ", ".join(" ".join(line.split()) + " B" for line in f)
        print(f"# slab object sizes: {sizes}")
    fails = sum(r["failures"] for m in summary.values()
                for r in m["rows"].values())
    if fails:
        print(f"# {fails} failed transactions: see console.txt for the errors")
    for m, png in charts.items():
        if png:
            print(f"# chart: {png}")


if __name__ == "__main__":
    main()
