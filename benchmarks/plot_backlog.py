#!/usr/bin/env python3
"""Plot drain throughput against backlog size from BenchmarkDotNet's CSV report of BacklogBenchmarks.

Usage (from the repository root, after running the backlog benchmark):

    python3 benchmarks/plot_backlog.py
    python3 benchmarks/plot_backlog.py path/to/JobTracking.Benchmarks.BacklogBenchmarks-report.csv -o benchmarks/backlog.svg

Standard library only. Writes an SVG: jobs per second (backlog size divided by the median drain time) on a
logarithmic backlog axis, with the issue's target drawn in: per-job time within 1.5x of the smallest backlog's,
that is throughput above two thirds of it.
"""

import argparse
import csv
import glob
import math
import os
import sys
from xml.sax.saxutils import escape

DEFAULT_GLOB = "BenchmarkDotNet.Artifacts/results/*BacklogBenchmarks-report.csv"
UNITS = {"ns": 1e-9, "us": 1e-6, "μs": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def seconds(cell):
    """'69.525 ms' -> 0.069525"""
    value, unit = cell.replace(",", "").split()
    return float(value) * UNITS[unit]


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    points = []
    for row in rows:
        time_cell = row.get("Median") or row.get("Mean")
        if not time_cell or time_cell == "NA":
            continue
        size = int(row["BacklogSize"].replace(",", ""))
        drain = seconds(time_cell)
        allocated = row.get("Alloc/job", "").replace('"', "")
        points.append({"size": size, "seconds": drain, "jobs_per_s": size / drain, "alloc": allocated})
    return sorted(points, key=lambda p: p["size"])


def environment(path):
    """The CPU and runtime lines BenchmarkDotNet writes at the top of the GitHub report, if it is there."""
    report = path.replace("-report.csv", "-report-github.md")
    if not os.path.exists(report):
        return ""
    with open(report, encoding="utf-8") as handle:
        lines = [line.strip() for line in handle.readlines()[:8]]
    cpu = next((line for line in lines if "CPU" in line and "cores" in line), "")
    runtime = next((line.split(":", 1)[1].strip().split(" (")[0] for line in lines if line.startswith("[Host]")), "")
    return ", ".join(part for part in (cpu, runtime) if part)


def nice_ceiling(value):
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def render(points, subtitle):
    width, height = 720, 440
    left, right, top, bottom = 90, 30, 70, 60
    plot_w, plot_h = width - left - right, height - top - bottom

    sizes = [p["size"] for p in points]
    x_min = 10 ** math.floor(math.log10(min(sizes)))
    x_max = 10 ** math.ceil(math.log10(max(sizes)))
    if x_max == x_min:
        x_max = x_min * 10
    y_max = nice_ceiling(max(p["jobs_per_s"] for p in points) * 1.15)

    def x(size):
        return left + (math.log10(size) - math.log10(x_min)) / (math.log10(x_max) - math.log10(x_min)) * plot_w

    def y(rate):
        return top + plot_h - rate / y_max * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">'
        "JobTracking: drain throughput vs backlog size (in-memory store)</text>",
        f'<text x="{width / 2}" y="44" text-anchor="middle" fill="#555">{escape(subtitle)}</text>',
    ]

    # Grid and axes.
    for i in range(6):
        rate = y_max * i / 5
        out.append(f'<line x1="{left}" y1="{y(rate):.1f}" x2="{left + plot_w}" y2="{y(rate):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 8}" y="{y(rate) + 4:.1f}" text-anchor="end">{rate:,.0f}</text>')
    decade = x_min
    while decade <= x_max:
        out.append(f'<line x1="{x(decade):.1f}" y1="{top}" x2="{x(decade):.1f}" y2="{top + plot_h}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{x(decade):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{decade:,}</text>')
        decade *= 10
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 14}" text-anchor="middle">queued jobs when the scheduler starts (log scale)</text>')
    out.append(f'<text x="20" y="{top + plot_h / 2}" text-anchor="middle" transform="rotate(-90 20 {top + plot_h / 2})">'
               "jobs drained per second</text>")

    # The target: per-job time within 1.5x of the smallest backlog, i.e. throughput at least 2/3 of it.
    floor = points[0]["jobs_per_s"] / 1.5
    out.append(f'<line x1="{left}" y1="{y(floor):.1f}" x2="{left + plot_w}" y2="{y(floor):.1f}" stroke="#d62728" stroke-dasharray="6 4"/>')
    out.append(f'<text x="{left + 6}" y="{y(floor) + 16:.1f}" text-anchor="start" fill="#d62728">'
               "target floor: per-job time within 1.5x of the smallest backlog</text>")

    # The measurements.
    path = " ".join(f'{"M" if i == 0 else "L"} {x(p["size"]):.1f} {y(p["jobs_per_s"]):.1f}' for i, p in enumerate(points))
    out.append(f'<path d="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    smallest = points[0]["seconds"] / points[0]["size"]
    for index, p in enumerate(points):
        ratio = (p["seconds"] / p["size"]) / smallest
        label = f'{p["jobs_per_s"]:,.0f}/s ({ratio:.2f}x per job)'
        if p["alloc"]:
            label += f', {p["alloc"]}/job'
        out.append(f'<circle cx="{x(p["size"]):.1f}" cy="{y(p["jobs_per_s"]):.1f}" r="4" fill="#1f77b4"/>')
        anchor = "start" if p is points[0] else ("end" if p is points[-1] else "middle")
        # Alternate above and below the line so neighbouring labels at similar heights do not collide.
        label_y = y(p["jobs_per_s"]) - 10 if index % 2 == 0 else y(p["jobs_per_s"]) + 20
        out.append(f'<text x="{x(p["size"]):.1f}" y="{label_y:.1f}" text-anchor="{anchor}" '
                   f'stroke="white" stroke-width="4" paint-order="stroke">{escape(label)}</text>')

    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", help=f"the report CSV (default: {DEFAULT_GLOB})")
    parser.add_argument("-o", "--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "backlog.svg"))
    args = parser.parse_args()

    path = args.csv
    if path is None:
        matches = sorted(glob.glob(DEFAULT_GLOB), key=os.path.getmtime)
        if not matches:
            sys.exit(f"No report found at {DEFAULT_GLOB}; run the backlog benchmark first (see benchmarks/README.md).")
        path = matches[-1]

    points = read_rows(path)
    if not points:
        sys.exit(f"{path} has no backlog rows with a time.")
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(render(points, environment(path)))
    print(f"wrote {args.output} from {path}")


if __name__ == "__main__":
    main()
