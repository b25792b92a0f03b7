#!/usr/bin/env python3
"""Markdown tables of simple regret from search-quality CSVs (lorahpo_bench_search, optuna_tpe.py).

Input rows: function,method,seed,n,f,best,regret,seconds, one per evaluation. Prints
  1. final simple regret, median [Q1, Q3] over seeds: rows = function, columns = method, the
     lowest median of each row in bold;
  2. the median regret after n = 10, 25, 50 evaluations (--at) as "a / b / c".
Standard library only, so any python3 runs it.
"""

import argparse
import csv
import math
import statistics
import sys
from collections import defaultdict


def quartiles(values):
    """Q1, median, Q3 with linear interpolation (numpy's default, R's type 7)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def fmt(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.3g}"


def read_curves(paths):
    """{(function, method, seed): {n: regret}} and the order functions and methods appear in."""
    curves = defaultdict(dict)
    functions, methods = {}, {}
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["function"], row["method"], int(row["seed"]))
                curves[key][int(row["n"])] = float(row["regret"])
                functions.setdefault(row["function"], None)
                methods.setdefault(row["method"], None)
    return curves, list(functions), list(methods)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="+", help="CSV files (rows of all are pooled)")
    parser.add_argument("--at", default="10,25,50", help="evaluation counts for the second table")
    args = parser.parse_args()
    at = [int(n) for n in args.at.split(",") if n]

    curves, functions, methods = read_curves(args.csv)
    if not curves:
        sys.exit("no rows in " + ", ".join(args.csv))

    # Final regret of a run = regret at its largest n. A run shorter than the others (it failed
    # part-way) is counted at its own end and flagged below, not silently mixed in.
    by_cell = defaultdict(list)
    lengths = defaultdict(set)
    for (function, method, _), curve in curves.items():
        n_max = max(curve)
        by_cell[(function, method)].append(curve[n_max])
        lengths[(function, method)].add(n_max)
    budgets = sorted({n for s in lengths.values() for n in s})
    seeds = sorted({len(v) for v in by_cell.values()})

    rows = []
    for function in functions:
        stats = {m: quartiles(sorted(by_cell[(function, m)])) for m in methods
                 if (function, m) in by_cell}
        best = min((s[1] for s in stats.values()), default=math.nan)
        row = [function]
        for m in methods:
            if m not in stats:
                row.append("-")
                continue
            q1, med, q3 = stats[m]
            cell = f"{fmt(med)} [{fmt(q1)}, {fmt(q3)}]"
            row.append(f"**{cell}**" if med == best else cell)
        rows.append(row)

    print(f"Final simple regret f(best) - f*, median [Q1, Q3] over "
          f"{'/'.join(map(str, seeds))} seeds, budget {'/'.join(map(str, budgets))} "
          f"evaluations; lowest median in bold.\n")
    print(table(["function"] + methods, rows))

    rows = []
    for function in functions:
        row = [function]
        for m in methods:
            runs = [c for (f, mm, _), c in curves.items() if f == function and mm == m]
            if not runs:
                row.append("-")
                continue
            cells = []
            for n in at:
                values = [c[n] for c in runs if n in c]
                cells.append(fmt(statistics.median(values)) if values else "-")
            row.append(" / ".join(cells))
        rows.append(row)
    print(f"\nMedian simple regret after n = {' / '.join(map(str, at))} evaluations.\n")
    print(table(["function"] + methods, rows))

    short = sorted(k for k, v in lengths.items() if len(v) > 1)
    if short:
        print("\nRuns of unequal length (some stopped early): "
              + ", ".join(f"{f} {m}" for f, m in short))


if __name__ == "__main__":
    main()
