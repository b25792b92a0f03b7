#!/usr/bin/python3
"""Optuna's TPE as the reference for the search-quality benchmark.

Runs TPESampler(seed=seed, n_startup_trials=10) on the same functions, seeds and budget as
lorahpo_bench_search and writes rows in its CSV format (method "optuna_tpe"). The objective is
evaluated by a `lorahpo_bench_search --serve FUNCTION` subprocess, so both sides score the very
same C++ code; domains and optima come from `--describe FUNCTION`.

Run it with Debian's /usr/bin/python3 (apt-get install python3-optuna), not a pyenv python that
lacks optuna.
"""

import argparse
import concurrent.futures
import csv
import importlib.util
import json
import math
import os
import subprocess
import sys
import time
import warnings

DEFAULT_FUNCTIONS = "branin,hartmann6,levy5,styblinski_tang5,michalewicz5,lora_surrogate"
METHOD = "optuna_tpe"
HEADER = ["function", "method", "seed", "n", "f", "best", "regret", "seconds"]


def describe(binary, function):
    out = subprocess.run([binary, "--describe", function], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


class Server:
    """A `--serve` subprocess: one line of coordinates in, one value out."""

    def __init__(self, binary, function):
        self.proc = subprocess.Popen([binary, "--serve", function], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def __call__(self, x):
        # repr() of a float is its shortest round-trip form: the C++ side reads the same double.
        self.proc.stdin.write(" ".join(repr(float(v)) for v in x) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("lorahpo_bench_search --serve exited")
        if line.startswith("error"):
            raise RuntimeError(line.strip())
        return float(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def run_one(binary, function, description, seed, budget, n_startup):
    """One TPE run; returns its CSV rows."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    server = Server(binary, function)
    bounds = description["bounds"]
    optimum = description["optimum"]
    rows = []
    best = math.inf
    start = time.perf_counter()

    def objective(trial):
        x = [trial.suggest_float(f"x{i + 1}", low, high) for i, (low, high) in enumerate(bounds)]
        return server(x)

    try:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        for n in range(1, budget + 1):
            # One trial at a time, so the recorded time is that of the n-th evaluation.
            study.optimize(objective, n_trials=1)
            f = study.trials[-1].value
            if f is not None and math.isfinite(f):
                best = min(best, f)
            rows.append([function, METHOD, seed, n, f if f is not None else math.nan, best,
                         best - optimum, f"{time.perf_counter() - start:.6f}"])
    finally:
        server.close()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="path to lorahpo_bench_search")
    parser.add_argument("--functions", default=DEFAULT_FUNCTIONS, help="comma-separated")
    parser.add_argument("--seeds", type=int, default=20, help="runs per function; seeds 1..N")
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--n-startup", type=int, default=10,
                        help="TPE's random startup trials (lorahpo's n_init)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="-", help="CSV path (default: stdout)")
    args = parser.parse_args()

    # Fail here, once, with the fix, rather than in every worker process.
    if importlib.util.find_spec("optuna") is None:
        sys.exit(f"{sys.executable}: no module optuna; install it: apt-get install python3-optuna")

    functions = [f for f in args.functions.split(",") if f]
    descriptions = {f: describe(args.bin, f) for f in functions}
    tasks = [(f, seed) for f in functions for seed in range(1, args.seeds + 1)]
    results = {}
    started = time.perf_counter()
    # Processes, not threads: TPE is pure Python and holds the GIL.
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        futures = {pool.submit(run_one, args.bin, f, descriptions[f], seed, args.budget,
                               args.n_startup): (f, seed) for f, seed in tasks}
        for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
            key = futures[future]
            results[key] = future.result()
            last = results[key][-1]
            print(f"[{done}/{len(tasks)}] {key[0]} {METHOD} seed {key[1]}: regret {last[6]:.4g} "
                  f"({float(last[7]):.2f} s)", file=sys.stderr, flush=True)

    sink = sys.stdout if args.out == "-" else open(args.out, "w", newline="")
    try:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(HEADER)
        for key in tasks:  # the C++ runner's order: function, then seed
            for row in results[key]:
                writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    finally:
        if sink is not sys.stdout:
            sink.close()
    print(f"{len(tasks)} runs in {time.perf_counter() - started:.1f} s on {args.jobs} process(es)"
          + ("" if args.out == "-" else f"; wrote {args.out}"), file=sys.stderr)


if __name__ == "__main__":
    main()
