#!/usr/bin/env python3
"""Plot the soak run: memory and handles against jobs finished, one panel per store, from the CSVs of --soak.

Usage (from the repository root, after `--soak`, which writes benchmarks/soak-inmemory.csv and benchmarks/soak-sqlite.csv):

    python3 benchmarks/plot_soak.py
    python3 benchmarks/plot_soak.py -o benchmarks/soak.svg

Standard library only. Writes an SVG with a panel per CSV found: working set, GC heap and (on SQLite) the database
file with its WAL in MiB on the left axis, open file descriptors (or handles) and threads on the right axis, against
jobs finished. The warm-up is shaded, and the early and late windows the verdict compares are marked, as --soak splits them.
"""

import argparse
import csv
import math
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))

# The CSV, its title, and the shortest warm-up in seconds; these follow SoakReport.cs (its SoakSetup values).
STORES = [
    ("soak-inmemory.csv", "In-memory store, MaxFinishedJobsInMemory = 10,000 (the default)", 0),
    ("soak-sqlite.csv", "SQLite, Synchronous = Full (default), RetentionPeriod = 1 min, purged every 10 s", 80),
]

MIB = 1024 * 1024
COLOURS = {"working set": "#1f77b4", "GC heap": "#2ca02c", "database + WAL": "#9467bd", "file descriptors": "#d62728", "threads": "#ff7f0e"}


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def number(value):
        return float(value) if value not in ("", None) else None

    return [{key: number(value) for key, value in row.items()} for row in rows]


def windows(rows, minimum_warmup):
    """The jobs finished where the warm-up ends, the early window ends and the late window starts (SoakVerdict.Split);
    None when either window has fewer than 3 samples, as --soak then gives no verdict."""
    total = rows[-1]["jobs_finished"]
    start = next((r["jobs_finished"] for r in rows if r["jobs_finished"] * 4 >= total and r["elapsed_s"] >= minimum_warmup), total)
    third = (total - start) / 3
    early = [r for r in rows if start <= r["jobs_finished"] < start + third]
    late = [r for r in rows if r["jobs_finished"] >= total - third]
    return (start, start + third, total - third) if len(early) >= 3 and len(late) >= 3 else None


def nice_ceiling(value):
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def jobs_label(value, total):
    if not value:
        return "0"
    if total >= 2_000_000:
        return f"{value / 1e6:,.1f}M".replace(".0M", "M")
    return f"{value / 1e3:,.0f}k"


def panel(out, rows, title, minimum_warmup, top, width):
    left, right, height = 80, 80, 240
    plot_w = width - left - right
    total = rows[-1]["jobs_finished"]
    seconds = rows[-1]["elapsed_s"]

    series = {
        "working set": [r["working_set_bytes"] / MIB for r in rows],
        "GC heap": [r["gc_heap_bytes"] / MIB for r in rows],
    }
    if rows[-1].get("database_bytes") is not None:
        series["database + WAL"] = [(r["database_bytes"] + r["wal_bytes"]) / MIB for r in rows]
    counts = [r["fds"] if r.get("fds") is not None else r["handles"] for r in rows]
    count_name = "file descriptors" if rows[-1].get("fds") is not None else "handles"
    threads = [r["threads"] for r in rows]

    y_max = nice_ceiling(max(max(values) for values in series.values()) * 1.1)
    c_max = nice_ceiling(max(max(counts), max(threads)) * 1.5)

    def x(jobs):
        return left + jobs / total * plot_w

    def y(mib):
        return top + height - mib / y_max * height

    def yc(count):
        return top + height - count / c_max * height

    out.append(f'<text x="{left}" y="{top - 26}" font-size="14" font-weight="bold">{escape(title)}</text>')
    out.append(f'<text x="{left}" y="{top - 10}" fill="#555">'
               f'{total:,.0f} jobs in {seconds:,.0f} s ({total / seconds:,.0f} jobs/s), a sample every second</text>')

    # Warm-up shaded, the two windows the verdict compares tinted.
    split = windows(rows, minimum_warmup)
    if split:
        warm, early_end, late_start = split
        out.append(f'<rect x="{left}" y="{top}" width="{x(warm) - left:.1f}" height="{height}" fill="#eeeeee"/>')
        out.append(f'<text x="{(left + x(warm)) / 2:.1f}" y="{top + 14}" text-anchor="middle" fill="#777">warm-up</text>')
        for start, end, label in ((warm, early_end, "early"), (late_start, total, "late")):
            out.append(f'<rect x="{x(start):.1f}" y="{top}" width="{x(end) - x(start):.1f}" height="{height}" fill="#fff6df"/>')
            out.append(f'<text x="{(x(start) + x(end)) / 2:.1f}" y="{top + 14}" text-anchor="middle" fill="#a07a00">{label} window</text>')

    # Grid and axes: MiB on the left, the count on the right.
    for i in range(6):
        mib = y_max * i / 5
        out.append(f'<line x1="{left}" y1="{y(mib):.1f}" x2="{left + plot_w}" y2="{y(mib):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 8}" y="{y(mib) + 4:.1f}" text-anchor="end">{mib:,.0f}</text>')
        count = c_max * i / 5
        out.append(f'<text x="{left + plot_w + 8}" y="{yc(count) + 4:.1f}" text-anchor="start" fill="{COLOURS["file descriptors"]}">{count:,.0f}</text>')
    for i in range(6):
        jobs = total * i / 5
        out.append(f'<text x="{x(jobs):.1f}" y="{top + height + 18}" text-anchor="middle">{jobs_label(jobs, total)}</text>')
    out.append(f'<line x1="{left}" y1="{top + height}" x2="{left + plot_w}" y2="{top + height}" stroke="#333"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + height}" stroke="#333"/>')
    out.append(f'<line x1="{left + plot_w}" y1="{top}" x2="{left + plot_w}" y2="{top + height}" stroke="#333"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{top + height + 36}" text-anchor="middle">jobs finished</text>')
    out.append(f'<text x="24" y="{top + height / 2}" text-anchor="middle" transform="rotate(-90 24 {top + height / 2})">MiB</text>')
    out.append(f'<text x="{width - 20}" y="{top + height / 2}" text-anchor="middle" fill="{COLOURS["file descriptors"]}" '
               f'transform="rotate(90 {width - 20} {top + height / 2})">{count_name}, threads</text>')

    # The lines.
    def path(values, scale):
        return " ".join(f'{"M" if i == 0 else "L"} {x(r["jobs_finished"]):.1f} {scale(v):.1f}' for i, (r, v) in enumerate(zip(rows, values)))

    for name, values in series.items():
        out.append(f'<path d="{path(values, y)}" fill="none" stroke="{COLOURS[name]}" stroke-width="1.8"/>')
    out.append(f'<path d="{path(counts, yc)}" fill="none" stroke="{COLOURS["file descriptors"]}" stroke-width="1.8" stroke-dasharray="5 3"/>')
    out.append(f'<path d="{path(threads, yc)}" fill="none" stroke="{COLOURS["threads"]}" stroke-width="1.8" stroke-dasharray="2 2"/>')

    # Legend under the axis title.
    legend = [(name, COLOURS[name], "", f"{values[-1]:,.0f} MiB at the end") for name, values in series.items()]
    legend.append((f"{count_name} (right axis)", COLOURS["file descriptors"], ' stroke-dasharray="5 3"', f"{counts[-1]:,.0f} at the end"))
    legend.append(("threads (right axis)", COLOURS["threads"], ' stroke-dasharray="2 2"', f"{threads[-1]:,.0f} at the end"))
    lx, ly = left, top + height + 56
    for name, colour, dash, last in legend:
        text = f"{name}: {last}"
        step = 28 + 6.5 * len(text) + 18  # about 6.5 px a character at 12 px
        if lx > left and lx + step > width - 20:
            lx, ly = left, ly + 18
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{lx + 28}" y="{ly}">{escape(text)}</text>')
        lx += step
    return ly + 10


def render(panels, width=760):
    body = []
    top = 106
    for rows, title, minimum_warmup in panels:
        top = panel(body, rows, title, minimum_warmup, top, width) + 64
    height = top - 34
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">'
        "JobTracking soak: memory and handles while jobs flow, retention on</text>",
        f'<text x="{width / 2}" y="46" text-anchor="middle" fill="#555">'
        "no-op jobs started continuously by several callers, 2 workers; GC heap = GC.GetTotalMemory(false)</text>",
    ]
    return "\n".join(head + body + ["</svg>"]) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=HERE, help="where the soak CSVs are (default: this script's folder)")
    parser.add_argument("-o", "--output", default=os.path.join(HERE, "soak.svg"))
    args = parser.parse_args()

    panels = []
    for name, title, minimum_warmup in STORES:
        path = os.path.join(args.folder, name)
        if os.path.exists(path):
            rows = read(path)
            if len(rows) >= 2:
                panels.append((rows, title, minimum_warmup))
    if not panels:
        sys.exit(f"No soak CSV in {args.folder}; run --soak first (see benchmarks/README.md).")
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(render(panels))
    print(f"wrote {args.output} from {len(panels)} CSV file(s) in {args.folder}")


if __name__ == "__main__":
    main()
