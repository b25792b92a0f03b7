#!/usr/bin/env python3
"""Markdown tables: SOO's and BaMSOO's parallel strategies at Q workers against the one-worker
sweep, at equal evaluations (issue 14's "search quality does not collapse" criterion).

Input: CSVs of lorahpo_bench_search (function,method,seed,n,f,best,regret,seconds, one row per
evaluation), one per budget; each run's simple regret at the budget is its row with n = budget.
For every function and every strategy NAME_STRATEGYQ (soo_async8, bamsoo_wide8, ...) the
reference is plain NAME (sweep, one worker) on the same seeds, hence the same domain shift:
  - median regret over seeds with a percentile-bootstrap 95% CI (resampling seeds);
  - ratio = median(strategy) / median(reference), with a paired-bootstrap 95% CI (seeds resampled
    together), and whether the ratio is within 1.25;
  - the two-sided paired Wilcoxon signed-rank p-value against the reference (pairs by seed).
Ratio near 0/0: both medians are floored at RATIO_FLOOR before dividing, so a reference that
solved the function (median regret < RATIO_FLOOR) gives ratio 1 for a strategy that solved it
too and a large ratio for one that did not; the floor is printed with the table.
Wilcoxon: zero differences are dropped (Wilcoxon 1945; with SciPy's zero_method="wilcox"); the
exact null distribution when no |difference| ties and at most 50 pairs remain, else the normal
approximation with the tie-corrected variance and a continuity correction (Hollander & Wolfe,
Nonparametric Statistical Methods, 3rd ed., sec. 3.1). All pairs equal: p = 1, marked "identical".
Standard library only (no SciPy on the bench machine); Python 3.9.
"""

import argparse
import csv
import math
import os
import random
import statistics
import sys
import zlib
from collections import defaultdict

RATIO_FLOOR = 1e-6
THRESHOLD = 1.25
BOOTSTRAP = 4000


def median(values):
    return statistics.median(values)


def percentile(sorted_values, q):
    """Linear interpolation between order statistics (numpy's default, R's type 7)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (pos - lo) * (sorted_values[hi] - sorted_values[lo])


def bootstrap_median_ci(values, rng):
    n = len(values)
    stats = sorted(median([values[rng.randrange(n)] for _ in range(n)]) for _ in range(BOOTSTRAP))
    return percentile(stats, 0.025), percentile(stats, 0.975)


def ratio(a, b):
    return max(a, RATIO_FLOOR) / max(b, RATIO_FLOOR)


def bootstrap_ratio_ci(xs, ys, rng):
    """Paired: one resample of the seeds serves both medians."""
    n = len(xs)
    stats = []
    for _ in range(BOOTSTRAP):
        idx = [rng.randrange(n) for _ in range(n)]
        stats.append(ratio(median([xs[i] for i in idx]), median([ys[i] for i in idx])))
    stats.sort()
    return percentile(stats, 0.025), percentile(stats, 0.975)


def exact_signed_rank_p(ranks, w_plus):
    """Two-sided exact p of W+ for integer ranks: counts of the 2^n sign assignments by sum."""
    total = sum(ranks)
    counts = [0] * (total + 1)
    counts[0] = 1
    for r in ranks:
        for s in range(total, r - 1, -1):
            counts[s] += counts[s - r]
    n_assign = 2 ** len(ranks)
    w = int(round(w_plus))
    low = sum(counts[: w + 1]) / n_assign
    high = sum(counts[w:]) / n_assign
    return min(1.0, 2.0 * min(low, high))


def wilcoxon(xs, ys):
    """(p, n_nonzero, note) of the two-sided signed-rank test of xs - ys."""
    diffs = [x - y for x, y in zip(xs, ys) if x != y]
    n = len(diffs)
    if n == 0:
        return 1.0, 0, "identical"
    order = sorted(range(n), key=lambda i: abs(diffs[i]))
    ranks = [0.0] * n
    ties = []
    i = 0
    while i < n:
        j = i
        while j + 1 < n and abs(diffs[order[j + 1]]) == abs(diffs[order[i]]):
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        ties.append(j - i + 1)
        i = j + 1
    w_plus = sum(r for r, d in zip(ranks, diffs) if d > 0)
    if max(ties) == 1 and n <= 50:
        return exact_signed_rank_p([int(r) for r in ranks], w_plus), n, "exact"
    mean = n * (n + 1) / 4.0
    var = n * (n + 1) * (2 * n + 1) / 24.0 - sum(t**3 - t for t in ties) / 48.0
    if var <= 0:
        return 1.0, n, "normal"
    z = (abs(w_plus - mean) - 0.5) / math.sqrt(var)
    p = math.erfc(max(z, 0.0) / math.sqrt(2.0))
    return min(1.0, p), n, "normal"


def fmt(x):
    if math.isnan(x):
        return "nan"
    if x == 0:
        return "0"
    return f"{x:.3g}"


def read_final(path):
    """{(function, method): {seed: regret at the budget}}, the budget, the order of appearance."""
    rows = defaultdict(dict)
    functions, methods = {}, {}
    budget = 0
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            n = int(row["n"])
            key = (row["function"], row["method"])
            functions.setdefault(row["function"], None)
            methods.setdefault(row["method"], None)
            seed = int(row["seed"])
            budget = max(budget, n)
            prev = rows[key].get(seed)
            if prev is None or n > prev[0]:
                rows[key][seed] = (n, float(row["regret"]))
    final = {}
    short = []
    for key, by_seed in rows.items():
        final[key] = {}
        for seed, (n, regret) in by_seed.items():
            if n < budget:
                short.append(f"{key[0]} {key[1]} seed {seed} stopped at n = {n}")
            else:
                final[key][seed] = regret
    return final, budget, list(functions), list(methods), short


def reference_of(method):
    """soo_async8 -> soo; plain soo and bamsoo are references themselves (None)."""
    for base in ("bamsoo", "soo"):
        if method.startswith(base + "_"):
            return base
    return None


def keyed_rng(seed, *key):
    """A resampling stream per (table, function, method): a method's CI is the same in every row
    it appears in, and does not depend on the rows before it."""
    return random.Random(seed * 1000003 + zlib.crc32("/".join(map(str, key)).encode()))


def table(path, seed, out):
    final, budget, functions, methods, short = read_final(path)
    seeds = sorted({s for v in final.values() for s in v})
    out.write(f"### Budget {budget} ({len(seeds)} seeds, {seeds[0]}-{seeds[-1]}; `{os.path.basename(path)}`)\n\n")
    if short:
        out.write("Runs that stopped short (left out): " + "; ".join(short) + "\n\n")
    out.write(
        "| function | strategy | median regret [95% CI] | reference (1-worker sweep) "
        "| ratio [95% CI] | within 1.25x | Wilcoxon p (n≠0) | worse / better seeds |\n"
        "| --- | --- | --- | --- | ---: | --- | ---: | ---: |\n"
    )
    verdicts = []
    for function in functions:
        for method in methods:
            ref = reference_of(method)
            if ref is None or (function, method) not in final or (function, ref) not in final:
                continue
            a, b = final[(function, method)], final[(function, ref)]
            common = sorted(set(a) & set(b))
            xs, ys = [a[s] for s in common], [b[s] for s in common]
            mx, my = median(xs), median(ys)
            lo, hi = bootstrap_median_ci(xs, keyed_rng(seed, budget, function, method))
            rlo, rhi = bootstrap_median_ci(ys, keyed_rng(seed, budget, function, ref))
            r = ratio(mx, my)
            qlo, qhi = bootstrap_ratio_ci(xs, ys, keyed_rng(seed, budget, function, method, ref))
            p, nz, how = wilcoxon(xs, ys)
            worse = sum(1 for x, y in zip(xs, ys) if x > y)
            better = sum(1 for x, y in zip(xs, ys) if x < y)
            within = r <= THRESHOLD
            p_text = "identical" if how == "identical" else f"{p:.3g} ({nz})"
            out.write(
                f"| {function} | {method} | {fmt(mx)} [{fmt(lo)}, {fmt(hi)}] "
                f"| {fmt(my)} [{fmt(rlo)}, {fmt(rhi)}] | {r:.2f} [{qlo:.2f}, {qhi:.2f}] "
                f"| {'yes' if within else '**no**'} | {p_text} | {worse} / {better} |\n"
            )
            verdicts.append((function, method, r, within, p, how, worse, better))
    out.write("\n")
    losses = [v for v in verdicts if not v[3]]
    sig = [v for v in verdicts if v[5] != "identical" and v[4] < 0.05 and v[6] > v[7]]
    out.write(f"Ratio floor: both medians floored at {RATIO_FLOOR:g} before dividing.\n\n")
    if losses:
        out.write("Over 1.25x (the strategy loses the criterion): " + "; ".join(
            f"{f} {m} ({r:.2f}x)" for f, m, r, *_ in losses) + ".\n\n")
    else:
        out.write("Every strategy is within 1.25x of the one-worker sweep here.\n\n")
    if sig:
        out.write("Significantly worse than the one-worker sweep (Wilcoxon p < 0.05, more seeds "
                  "worse than better): " + "; ".join(f"{f} {m} (p = {p:.3g})"
                                                    for f, m, _, _, p, *_ in sig) + ".\n\n")
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csvs", nargs="+", help="lorahpo_bench_search CSVs, one per budget")
    parser.add_argument("--command", default="", help="the command that made them (printed)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling")
    args = parser.parse_args()
    out = sys.stdout
    out.write("# SOO and BaMSOO parallel strategies: search quality at equal evaluations\n\n")
    if args.command:
        out.write(f"Command: `{args.command}`\n\n")
    out.write(__doc__.split("\n", 2)[2].split("Standard library")[0].strip() + "\n\n")
    for path in args.csvs:
        table(path, args.seed, out)


if __name__ == "__main__":
    main()
