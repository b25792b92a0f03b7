#!/usr/bin/env python3
"""Re-checks in the idle tail, measured in simulation (issue 15): for each optimizer and seed,
`lorahpo simulate` of the same campaign with and without `rechecks`, on the LoRA surrogate with
lm_eval-sized noise and the real 52-68 minute costs, 8 workers, budget 50.

Per run it reads summary.json, simulation.json and the journal, and compares three ways to name
the campaign's result by the NOISELESS value of the point they name (metric "noiseless": what
the configuration is really worth, which a user would get by training it again):
  max_obs    the best noisy observation (the rule before the recommendation);
  rec        the recommendation without re-checks (best GP posterior mean at an evaluated point);
  rec_rc     the recommendation with re-checks (every measurement of a point conditions the GP).
and the utilization U with and without re-checks (finished re-checks count as work; cancelled
ones do not). Medians with percentile-bootstrap 95% CIs over seeds, paired differences with
their CIs and the two-sided paired Wilcoxon signed-rank test (partition_parallel.py's).

Usage: rechecks.py --lorahpo BIN --out DIR [--seeds 20] [--first-seed 101] [--workers 8]
                   [--budget 50] [--objective YAML-FLOW] [--top-k 3] [--methods ...]
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from partition_parallel import bootstrap_median_ci, median, percentile, wilcoxon, BOOTSTRAP  # noqa: E402

METHODS = {
    "bo_gp": "{name: bo_gp, n_init: 10, mode: async}",
    "lhs": "{name: lhs}",
    "soo": "{name: soo, parallel: async}",
    "bamsoo": "{name: bamsoo, parallel: async}",
}


def simulate(args, method, seed, top_k, workdir):
    name = f"{method}_s{seed}_k{top_k}"
    config = os.path.join(workdir, name + ".yaml")
    with open(config, "w") as f:
        f.write(f"campaign: {{name: {name}, budget: {args.budget}, direction: maximize, seed: {seed}}}\n")
        f.write(f"optimizer: {METHODS[method]}\n")
        f.write(f"objective: {args.objective}\n")
        if top_k > 0:
            f.write(f"rechecks: {{top_k: {top_k}, only_if_it_fits: {args.only_if_it_fits}, "
                    f"at_end: {args.at_end}}}\n")
    out = os.path.join(workdir, name)
    subprocess.run([args.lorahpo, "simulate", config, "--workers", str(args.workers), "--out", out,
                    "--master-time-scale", "0"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(out, "simulation.json")) as f:
        sim = json.load(f)
    noiseless = {}
    with open(os.path.join(out, "journal.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            if "event" in row or "recheck_of" in row or row.get("status") != "ok":
                continue
            noiseless[row["id"]] = row["metrics"]["noiseless"]
    return {
        "method": method, "seed": seed, "top_k": top_k,
        "max_obs": noiseless[summary["best"]["id"]],
        "max_obs_score": summary["best"]["score"],
        "rec": summary["recommended"]["noiseless"],
        "rec_measurements": summary["recommended"]["measurements"],
        "rec_posterior_mean": summary["recommended"]["posterior_mean"],
        "u": sim["utilization"],
        "makespan": sim["makespan_evaluations"],
        "rechecks_ok": summary["rechecks"]["ok"],
        "rechecks_cancelled": summary["rechecks"]["cancelled"],
    }


def ci_text(values, rng):
    lo, hi = bootstrap_median_ci(values, rng)
    return f"{median(values):.4f} [{lo:.4f}, {hi:.4f}]"


def paired(xs, ys, rng):
    """median of x - y with its bootstrap CI, the Wilcoxon p, and better/worse seed counts."""
    d = [x - y for x, y in zip(xs, ys)]
    lo, hi = bootstrap_median_ci(d, rng)
    p, n, _ = wilcoxon(xs, ys)
    better = sum(1 for v in d if v > 0)
    worse = sum(1 for v in d if v < 0)
    return f"{median(d):+.4f} [{lo:+.4f}, {hi:+.4f}]", f"{p:.3g} ({n})", f"{better} / {worse}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lorahpo", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=101)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--at-end", default="wait", choices=["wait", "cancel"])
    parser.add_argument("--only-if-it-fits", default="true", choices=["true", "false"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--objective",
                        default="{kind: builtin, function: lora_surrogate, noise: 0.0044, time_scale: 0}")
    args = parser.parse_args()
    methods = args.methods.split(",")
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    os.makedirs(args.out, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(simulate, args, m, s, k, workdir)
                   for m in methods for s in seeds for k in (0, args.top_k)]
        rows = [f.result() for f in futures]
    csv_path = os.path.join(args.out, "rechecks.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    by = {(r["method"], r["seed"], r["top_k"]): r for r in rows}
    rng = random.Random(20261202)
    md = []
    md.append(f"Objective: `{args.objective}`; {args.workers} simulated workers, budget "
              f"{args.budget}, seeds {seeds[0]}-{seeds[-1]}, re-checks `{{top_k: {args.top_k}, "
              f"only_if_it_fits: {args.only_if_it_fits}, at_end: {args.at_end}}}` "
              f"(max_measurements 4). Noiseless values: higher is better. Medians over seeds "
              f"[percentile-bootstrap 95% CI, {BOOTSTRAP} resamples]; differences paired by seed, "
              f"Wilcoxon p (non-zero pairs); better / worse = seeds where the first rule names a "
              f"better / worse point.\n")
    md.append("| method | max noisy observation | recommended | recommended + re-checks | "
              "U | U + re-checks | makespan | makespan + re-checks | re-checks done / cancelled "
              "(median) |")
    md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in methods:
        get = lambda key, k: [by[(m, s, k)][key] for s in seeds]  # noqa: E731
        md.append(f"| {m} | {ci_text(get('max_obs', 0), rng)} | {ci_text(get('rec', 0), rng)} | "
                  f"{ci_text(get('rec', args.top_k), rng)} | {ci_text(get('u', 0), rng)} | "
                  f"{ci_text(get('u', args.top_k), rng)} | {ci_text(get('makespan', 0), rng)} | "
                  f"{ci_text(get('makespan', args.top_k), rng)} | "
                  f"{median(get('rechecks_ok', args.top_k)):g} / "
                  f"{median(get('rechecks_cancelled', args.top_k)):g} |")
    md.append("")
    md.append("| method | comparison | median difference [95% CI] | Wilcoxon p (n) | better / worse |")
    md.append("| --- | --- | --- | --- | --- |")
    for m in methods:
        get = lambda key, k: [by[(m, s, k)][key] for s in seeds]  # noqa: E731
        for label, xs, ys in (
                ("recommended - max noisy observation", get("rec", 0), get("max_obs", 0)),
                ("recommended + re-checks - recommended", get("rec", args.top_k), get("rec", 0)),
                ("recommended + re-checks - max noisy observation", get("rec", args.top_k),
                 get("max_obs", 0)),
                ("U + re-checks - U", get("u", args.top_k), get("u", 0)),
                ("makespan + re-checks - makespan (evaluation-times)", get("makespan", args.top_k),
                 get("makespan", 0))):
            diff, p, counts = paired(xs, ys, rng)
            md.append(f"| {m} | {label} | {diff} | {p} | {counts} |")
    # The winner's curse itself: how far the best noisy score sits above its point's value.
    md.append("")
    md.append("What the campaign reports as its result's value, against the truth (no re-checks): "
              "the best noisy score (the winner's curse) and the recommendation's GP posterior "
              "mean, each minus the noiseless value of its point.\n")
    md.append("| method | best noisy score - its noiseless value | recommended posterior mean - "
              "its noiseless value |")
    md.append("| --- | --- | --- |")
    for m in methods:
        inflation = [by[(m, s, 0)]["max_obs_score"] - by[(m, s, 0)]["max_obs"] for s in seeds]
        error = [by[(m, s, 0)]["rec_posterior_mean"] - by[(m, s, 0)]["rec"] for s in seeds]
        md.append(f"| {m} | {ci_text(inflation, rng)} | {ci_text(error, rng)} |")
    text = "\n".join(md) + "\n"
    with open(os.path.join(args.out, "rechecks_table.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
