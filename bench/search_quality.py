#!/usr/bin/env python3
"""Markdown tables of the fair search-quality benchmark (bench/run_search_quality.sh).

Input: CSVs of lorahpo_bench_search and bench/references.py (function,method,seed,n,f,best,
regret,seconds; one row per evaluation). A run's result is its simple regret at the budget
(its row with n = budget; shorter runs are listed and left out), or with --at N after its first
N evaluations.
  - Per function and method: the median regret over seeds with a percentile-bootstrap 95% CI
    (seeds resampled), and the quartiles; every quantile is the linear interpolation between
    order statistics (R's type 7, numpy's default), the median included.
  - Per comparison A vs B (pairs by seed: the same shifted box): the median of each, the ratio of
    the medians (both floored at 1e-6) with a paired-bootstrap 95% CI, the seeds where A is
    better / worse, and the two-sided paired Wilcoxon signed-rank p (zero differences dropped;
    exact without ties up to 50 pairs, else normal with tie correction and continuity
    correction). Verdict at the 5% level, per comparison, uncorrected for multiplicity: "A better"
    / "A worse" by the sign of the signed-rank statistic (sum of the ranks of B - A), else "no
    significant difference".
With --pooled, each comparison also over every (function, seed) pair at once, on log10 regrets
(a pair's difference is its log ratio; both floored at 1e-6, so two solved runs tie).
The statistics are bench/partition_parallel.py's (imported, not copied). Standard library only.
"""

import argparse
import csv
import math
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from partition_parallel import (  # noqa: E402  (the shared statistics)
    RATIO_FLOOR,
    bootstrap_median_ci,
    bootstrap_ratio_ci,
    fmt,
    keyed_rng,
    percentile,
    ratio,
    wilcoxon,
)


def read_runs(paths, at=None):
    """{function: {method: {seed: regret at the budget}}}, the budget, order of appearance.
    With `at`, the best-so-far regret after `at` evaluations, as if the budget were `at`."""
    last = defaultdict(dict)  # (function, method) -> seed -> (n, regret)
    functions, methods = {}, {}
    budget = 0
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["function"], row["method"])
                functions.setdefault(row["function"], None)
                methods.setdefault(row["method"], None)
                n = int(row["n"])
                if at is not None and n > at:
                    continue
                budget = max(budget, n)
                seed = int(row["seed"])
                prev = last[key].get(seed)
                if prev is None or n > prev[0]:
                    last[key][seed] = (n, float(row["regret"]))
    final = defaultdict(dict)
    short = []
    for (function, method), by_seed in last.items():
        final[function][method] = {}
        for seed, (n, regret) in by_seed.items():
            if n < budget:
                short.append(f"{function} {method} seed {seed} stopped at n = {n}")
            else:
                final[function][method][seed] = regret
    return final, budget, list(functions), list(methods), short


def quantiles(values):
    s = sorted(values)
    return percentile(s, 0.25), percentile(s, 0.5), percentile(s, 0.75)


def signed_rank_sum(xs, ys):
    """Sum of the signed ranks of y - x (ties get their mean rank, zeros dropped): > 0 when x is
    lower (better, regrets) on the larger differences."""
    diffs = [y - x for x, y in zip(xs, ys) if x != y]
    order = sorted(range(len(diffs)), key=lambda i: abs(diffs[i]))
    ranks = [0.0] * len(diffs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and abs(diffs[order[j + 1]]) == abs(diffs[order[i]]):
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return sum(r if d > 0 else -r for r, d in zip(ranks, diffs))


def compare(a, b, rng_key, seed):
    """Statistics of method runs a vs b ({seed: regret}) on their common seeds."""
    common = sorted(set(a) & set(b))
    xs, ys = [a[s] for s in common], [b[s] for s in common]
    p, nz, how = wilcoxon(xs, ys)
    qlo, qhi = bootstrap_ratio_ci(xs, ys, keyed_rng(seed, *rng_key))
    mx, my = quantiles(xs)[1], quantiles(ys)[1]
    better = sum(1 for x, y in zip(xs, ys) if x < y)
    worse = sum(1 for x, y in zip(xs, ys) if x > y)
    if how != "identical" and p < 0.05:
        verdict = "**A better**" if signed_rank_sum(xs, ys) > 0 else "**A worse**"
    else:
        verdict = "no significant difference"
    return {
        "n": len(common), "ma": mx, "mb": my, "ratio": ratio(mx, my), "ci": (qlo, qhi),
        "p": p, "nz": nz, "how": how, "better": better, "worse": worse, "verdict": verdict,
    }


def method_table(final, functions, methods, seed, out):
    present = [m for m in methods if any(final[f].get(m) for f in functions)]
    out.write("| function | method | seeds | median regret [95% CI] | Q1, Q3 |\n"
              "| --- | --- | ---: | --- | --- |\n")
    for function in functions:
        medians = {m: quantiles(list(final[function][m].values()))[1]
                   for m in present if final[function].get(m)}
        lowest = min(medians.values())
        for method in present:
            runs = final[function].get(method)
            if not runs:
                continue
            values = [runs[s] for s in sorted(runs)]
            q1, med, q3 = quantiles(values)
            lo, hi = bootstrap_median_ci(values, keyed_rng(seed, function, method))
            cell = f"{fmt(med)} [{fmt(lo)}, {fmt(hi)}]"
            if med == lowest:
                cell = f"**{cell}**"
            out.write(f"| {function} | {method} | {len(values)} | {cell} | {fmt(q1)}, {fmt(q3)} |\n")
    out.write("\n")


def pooled_row(final, functions, a, b, out):
    """A vs B over every (function, seed) pair at once, on log10 regrets floored at RATIO_FLOOR
    (the scales of the functions differ; on logs a pair's difference is its log ratio, and two
    runs that both solved a function tie)."""
    xs, ys = [], []
    for function in functions:
        ra, rb = final[function].get(a), final[function].get(b)
        if not ra or not rb:
            continue
        for s in sorted(set(ra) & set(rb)):
            xs.append(math.log10(max(ra[s], RATIO_FLOOR)))
            ys.append(math.log10(max(rb[s], RATIO_FLOOR)))
    if not xs:
        return
    p, nz, how = wilcoxon(xs, ys)
    better = sum(1 for x, y in zip(xs, ys) if x < y)
    worse = sum(1 for x, y in zip(xs, ys) if x > y)
    median_log_ratio = percentile(sorted(x - y for x, y in zip(xs, ys)), 0.5)
    if how != "identical" and p < 0.05:
        verdict = "**A better**" if signed_rank_sum(xs, ys) > 0 else "**A worse**"
    else:
        verdict = "no significant difference"
    p_text = "identical" if how == "identical" else f"{p:.3g} ({nz})"
    out.write(f"| all (log10, pooled) | {a} | {b} | {len(xs)} | | "
              f"| median ratio {10 ** median_log_ratio:.3g} | {better} / {worse} | {p_text} "
              f"| {verdict} |\n")


def wide_table(final, functions, methods, seed, out):
    """The medians as function rows x method columns, with the same CIs (the same resampling
    streams as method_table, so the numbers agree)."""
    present = [m for m in methods if any(final[f].get(m) for f in functions)]
    out.write("| function | " + " | ".join(present) + " |\n")
    out.write("| --- |" + " ---: |" * len(present) + "\n")
    for function in functions:
        cells = {}
        for method in present:
            runs = final[function].get(method)
            if runs:
                values = [runs[s] for s in sorted(runs)]
                lo, hi = bootstrap_median_ci(values, keyed_rng(seed, function, method))
                cells[method] = (quantiles(values)[1], lo, hi)
        lowest = min(v[0] for v in cells.values())
        row = []
        for method in present:
            if method not in cells:
                row.append("")
                continue
            med, lo, hi = cells[method]
            text = f"{fmt(med)} [{fmt(lo)}, {fmt(hi)}]"
            row.append(f"**{text}**" if med == lowest else text)
        out.write(f"| {function} | " + " | ".join(row) + " |\n")
    out.write("\n")


def comparison_table(final, functions, pairs, seed, out, pooled=False):
    out.write("| function | A | B | seeds | median A | median B | A/B [95% CI] | A better / worse "
              "| Wilcoxon p (n≠0) | verdict |\n"
              "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |\n")
    for function in functions:
        for a, b in pairs:
            if not final[function].get(a) or not final[function].get(b):
                continue
            c = compare(final[function][a], final[function][b], (function, a, b), seed)
            p_text = "identical" if c["how"] == "identical" else f"{c['p']:.3g} ({c['nz']})"
            out.write(f"| {function} | {a} | {b} | {c['n']} | {fmt(c['ma'])} | {fmt(c['mb'])} "
                      f"| {c['ratio']:.3g} [{c['ci'][0]:.3g}, {c['ci'][1]:.3g}] "
                      f"| {c['better']} / {c['worse']} | {p_text} | {c['verdict']} |\n")
    if pooled:
        for a, b in pairs:
            pooled_row(final, functions, a, b, out)
    out.write("\n")


def basin_table(final, specs, out):
    """Per method, the seeds whose regret is below a threshold: for a bimodal function (Hartmann6:
    its second-best local minimum, -3.2032, is 0.119 above the global one) the share of runs that
    reached the global basin, which a median cannot show."""
    for spec in specs:
        function, threshold = spec.split("=", 1)
        threshold = float(threshold)
        if function not in final:
            continue
        cells = []
        for method, runs in final[function].items():
            if runs:
                hit = sum(1 for r in runs.values() if r < threshold)
                cells.append(f"{method} {hit}/{len(runs)}")
        out.write(f"{function}: runs with regret < {threshold:g}: " + "; ".join(cells) + ".\n\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csvs", nargs="+")
    parser.add_argument("--compare", action="append", default=[],
                        help="A:B, a comparison per function (repeatable)")
    parser.add_argument("--title", default="")
    parser.add_argument("--pooled", action="store_true",
                        help="also each comparison over all functions at once (log regrets)")
    parser.add_argument("--basin", action="append", default=[],
                        help="FUNCTION=THRESHOLD: count the runs below it (repeatable)")
    parser.add_argument("--wide", action="store_true",
                        help="the medians as a function x method table first")
    parser.add_argument("--no-method-table", action="store_true",
                        help="the comparisons only")
    parser.add_argument("--command", default="", help="the command that made the CSVs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling")
    parser.add_argument("--at", type=int, default=None,
                        help="the regret after this many evaluations instead of at the budget "
                             "(the best so far: a run with a larger budget, stopped there)")
    args = parser.parse_args()
    final, budget, functions, methods, short = read_runs(args.csvs, args.at)
    out = sys.stdout
    if args.title:
        out.write(f"### {args.title}\n\n")
    if args.command:
        out.write(f"Command: `{args.command}`\n\n")
    seeds = sorted({s for f in functions for m in final[f].values() for s in m})
    out.write(f"Budget {budget}; seeds {seeds[0]}-{seeds[-1]} ({len(seeds)} in all; a "
              f"comparison pairs the seeds both methods ran); inputs: "
              + ", ".join(f"`{os.path.basename(p)}`" for p in args.csvs) + ".\n\n")
    if short:
        out.write("Runs that stopped short (left out): " + "; ".join(short) + "\n\n")
    if args.wide:
        wide_table(final, functions, methods, args.seed, out)
    if not args.no_method_table:
        method_table(final, functions, methods, args.seed, out)
    basin_table(final, args.basin, out)
    pairs = [tuple(c.split(":", 1)) for c in args.compare]
    if pairs:
        comparison_table(final, functions, pairs, args.seed, out, args.pooled)


if __name__ == "__main__":
    main()
