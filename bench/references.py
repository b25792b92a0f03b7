#!/usr/bin/python3
"""Reference optimizers for the search-quality benchmark, at their strongest settings.

Benchmark-only tools, never a dependency of lorahpo: Debian 12's python3-optuna (3.1),
python3-cmaes, python3-sklearn (1.2) and python3-scipy, run with /usr/bin/python3.

Methods (CSV rows in lorahpo_bench_search's format, one per evaluation):
  optuna_tpe_mv  Optuna's TPESampler(multivariate=True, group=True, n_startup_trials=N_INIT):
                 the joint (multivariate) Parzen estimator of Falkner et al. 2018 (BOHB), with
                 N_INIT random trials first, as lorahpo's BO-GP has N_INIT Latin hypercube points.
  optuna_tpe     Optuna's default univariate TPE (n_startup_trials=N_INIT): the old, weaker
                 reference, kept to show the difference.
  optuna_cmaes   Optuna's CmaEsSampler (the `cmaes` library; Hansen 2016), defaults: mean at the
                 box centre, sigma0 = min width / 6, one random startup trial.
  sklearn_gp_ei  An independent GP-EI loop on scikit-learn: N_INIT Latin hypercube points
                 (scipy.stats.qmc), then per step a GaussianProcessRegressor with
                 Constant * Matern(nu=2.5, ARD) + WhiteKernel, normalize_y, refitted (maximum
                 likelihood, L-BFGS-B) every step from the last fit plus one random restart, and
                 the next point maximizing expected improvement (log EI, so that the search has
                 no flat zero region) over 4096 uniform + 500 local candidates, refined by three
                 rounds of shrinking perturbations (sd 0.02, 0.005, 0.001) of the best five.
Mixed spaces (issue 16; --describe's "kinds"): an integer axis is suggest_int for TPE and for
CMA-ES, which then runs with `with_margin=True` (CMA-ES with margin, Hamano et al. 2022, GECCO,
Optuna >= 3.1's mixed-integer CMA-ES); a categorical axis is suggest_categorical for TPE (its
own categorical kernel) and an integer index for CMA-ES, which has no categorical support (Optuna
would hand it to a random independent sampler): for the two-label axes of the mixed functions
this invents no order. The GP-EI loop one-hot encodes categoricals and puts integers at the centre
of their equal-width bin, as lorahpo's BO-GP does (master/optimizers/bo/gp_features.h).

The functions are evaluated by the C++ bench itself: a `lorahpo_bench_search --serve FUNCTION
[--shift --shift-seed SEED]` subprocess per run, with the box from `--describe` at the same seed.
So the per-seed shift and flips (bench/bench_function.h) exist in one implementation only, and
both sides score the same doubles.
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

# One BLAS thread per process: the pool already runs one process per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

DEFAULT_FUNCTIONS = "branin,hartmann6,levy5,styblinski_tang5,michalewicz5"
METHODS = ("optuna_tpe_mv", "optuna_tpe", "optuna_cmaes", "sklearn_gp_ei")
HEADER = ["function", "method", "seed", "n", "f", "best", "regret", "seconds"]


def shift_args(shift, seed):
    return ["--shift", "--shift-seed", str(seed)] if shift else []


def describe(binary, function, shift, seed):
    out = subprocess.run([binary, "--describe", function] + shift_args(shift, seed), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


class Server:
    """A `--serve` subprocess: one line of coordinates in, one value out."""

    def __init__(self, binary, function, shift, seed):
        self.proc = subprocess.Popen([binary, "--serve", function] + shift_args(shift, seed),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)

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


def optuna_run(method, description, seed, budget, n_init, evaluate, record):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    if method == "optuna_tpe_mv":
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_init,
                                             multivariate=True, group=True)
    elif method == "optuna_tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_init)
    bounds = description["bounds"]
    kinds = description["kinds"]
    if method == "optuna_cmaes":
        sampler = optuna.samplers.CmaEsSampler(seed=seed,
                                               with_margin=any(k != "float" for k in kinds))
    elif method not in ("optuna_tpe_mv", "optuna_tpe"):
        raise ValueError(method)

    def objective(trial):
        x = []
        for i, (low, high) in enumerate(bounds):
            name = f"x{i + 1}"
            if kinds[i] == "categorical" and method != "optuna_cmaes":
                labels = list(range(int(round(high - low)) + 1))
                x.append(low + trial.suggest_categorical(name, labels))
            elif kinds[i] != "float":
                x.append(trial.suggest_int(name, int(round(low)), int(round(high))))
            else:
                x.append(trial.suggest_float(name, low, high))
        f = evaluate(x)
        record(f)
        return f

    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=budget)


def log_h(z):
    """log(phi(z) + z Phi(z)), the standardized EI, stable for very negative z (Ament et al.
    2023, "Unexpected improvements to expected improvement", eq. 9 uses the same asymptotics)."""
    import numpy as np
    from scipy.special import ndtr

    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    big = z > -6.0
    zb = z[big]
    phi = np.exp(-0.5 * zb * zb) / math.sqrt(2.0 * math.pi)
    out[big] = np.log(np.maximum(phi + zb * ndtr(zb), 1e-300))
    zs = z[~big]
    # For z -> -inf, h(z) ~ phi(z) / z^2 (1 - 3/z^2): the direct sum cancels to 0 there.
    log_phi = -0.5 * zs * zs - 0.5 * math.log(2.0 * math.pi)
    out[~big] = log_phi - 2.0 * np.log(-zs) + np.log1p(-3.0 / (zs * zs))
    return out


def sklearn_gp_ei_run(description, seed, budget, n_init, evaluate, record):
    import numpy as np
    from scipy.stats import qmc
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    bounds = np.array(description["bounds"], dtype=float)
    low, width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    d = len(bounds)
    kinds = description["kinds"]
    # Values per discrete axis: the integers of its bounds, or its label indices.
    counts = [int(round(width[i])) + 1 if kinds[i] != "float" else 0 for i in range(d)]
    rng = np.random.default_rng(seed)

    def bins(unit, i):
        # lorahpo's equal-width bins (common/search_space.h): u in [k/n, (k+1)/n) is value k.
        return np.minimum(np.floor(np.clip(unit[..., i], 0.0, 1.0) * counts[i]),
                          counts[i] - 1).astype(int)

    def features(unit):
        """The GP's inputs: floats as they are, integers at their bin centre, categoricals
        one-hot, so no order is invented between labels."""
        unit = np.atleast_2d(unit)
        columns = []
        for i in range(d):
            if kinds[i] == "float":
                columns.append(np.clip(unit[:, i:i + 1], 0.0, 1.0))
            elif kinds[i] == "int":
                columns.append(((bins(unit, i) + 0.5) / counts[i])[:, None])
            else:
                columns.append(np.eye(counts[i])[bins(unit, i)])
        return np.hstack(columns)

    def coordinates(unit):
        return [low[i] + (np.clip(unit[i], 0.0, 1.0) * width[i] if kinds[i] == "float"
                          else float(bins(unit, i))) for i in range(d)]

    def run(unit):
        f = evaluate(coordinates(unit))
        record(f)
        return f

    xs = [u for u in qmc.LatinHypercube(d=d, seed=seed).random(min(n_init, budget))]
    ys = [run(u) for u in xs]
    width_f = features(np.full(d, 0.5)).shape[1]
    kernel = (ConstantKernel(1.0, (1e-3, 1e3))
              * Matern(length_scale=np.full(width_f, 0.3), length_scale_bounds=(1e-3, 1e2),
                       nu=2.5)
              + WhiteKernel(1e-4, (1e-10, 1e-1)))
    while len(ys) < budget:
        x = features(np.array(xs))
        y = np.array(ys)
        # Refitted every step; the first start is the last fit's hyperparameters (a warm start),
        # plus one random restart from the bounds (sklearn's log-uniform draw).
        gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=1,
                                      random_state=int(rng.integers(2**31 - 1)))
        gp.fit(x, y)
        kernel = gp.kernel_
        best = y.min()

        def neg_log_ei(points):
            mu, sd = gp.predict(features(points), return_std=True)
            sd = np.maximum(sd, 1e-12)
            return -(np.log(sd) + log_h((best - mu) / sd))

        # Dense candidates, uniform and around the best observations, then three rounds of
        # shrinking Gaussian perturbations around the best five: each round is one vectorized
        # predict, where L-BFGS-B with finite differences would be hundreds of one-point calls.
        # A small move never changes a label, so each moved point also redraws each of its
        # categoricals with probability 1/(number of categorical axes): one label on average, the
        # local search of lorahpo's acquisition optimizer and of Casmopolitan's (Wan et al. 2021).
        categorical = np.array([k == "categorical" for k in kinds])

        def jump(points):
            if categorical.any():
                redraw = (rng.random(points.shape) < 1.0 / categorical.sum()) & categorical
                points = np.where(redraw, rng.random(points.shape), points)
            return points

        order = np.argsort(y)[:5]
        units = np.array(xs)
        local = jump(np.concatenate([units[i] + rng.normal(0.0, 0.05, size=(100, d))
                                     for i in order]))
        candidates = np.clip(np.vstack([rng.random((4096, d)), local]), 0.0, 1.0)
        scores = neg_log_ei(candidates)
        for sd in (0.02, 0.005, 0.001):
            top = candidates[np.argsort(scores)[:5]]
            moved = np.clip(jump(np.repeat(top, 100, axis=0)
                                 + rng.normal(0.0, sd, size=(500, d))), 0.0, 1.0)
            candidates = np.vstack([top, moved])
            scores = neg_log_ei(candidates)
        # A point already evaluated would waste the evaluation: take the best fresh candidate.
        chosen = None
        for i in np.argsort(scores):
            if np.min(np.linalg.norm(x - features(candidates[i]), axis=1)) >= 1e-9:
                chosen = candidates[i]
                break
        if chosen is None:
            chosen = rng.random(d)
        xs.append(chosen)
        ys.append(run(chosen))


def run_one(binary, function, method, seed, budget, n_init, shift):
    """One run; returns its CSV rows."""
    description = describe(binary, function, shift, seed)
    server = Server(binary, function, shift, seed)
    optimum = description["optimum"]
    rows = []
    state = {"best": math.inf}
    start = time.perf_counter()

    def record(f):
        if f is not None and math.isfinite(f):
            state["best"] = min(state["best"], f)
        rows.append([function, method, seed, len(rows) + 1, f, state["best"],
                     state["best"] - optimum, f"{time.perf_counter() - start:.6f}"])

    try:
        if method == "sklearn_gp_ei":
            sklearn_gp_ei_run(description, seed, budget, n_init, server, record)
        else:
            optuna_run(method, description, seed, budget, n_init, server, record)
    finally:
        server.close()
    if len(rows) != budget:
        raise RuntimeError(f"{function} {method} seed {seed}: {len(rows)} evaluations, "
                           f"not {budget}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="path to lorahpo_bench_search")
    parser.add_argument("--functions", default=DEFAULT_FUNCTIONS, help="comma-separated")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated")
    parser.add_argument("--seeds", type=int, default=20, help="runs per (function, method)")
    parser.add_argument("--first-seed", type=int, default=1, help="seeds FIRST..FIRST+N-1")
    parser.add_argument("--shift", action="store_true",
                        help="the per-seed shifted box, as lorahpo_bench_search --shift")
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--n-init", type=int, default=10,
                        help="random/LHS startup points (lorahpo's optimizer.n_init)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="-", help="CSV path (default: stdout)")
    args = parser.parse_args()

    methods = [m for m in args.methods.split(",") if m]
    for m in methods:
        if m not in METHODS:
            sys.exit(f"unknown method {m}; known: {', '.join(METHODS)}")
    needed = {"optuna"} if any(m.startswith("optuna") for m in methods) else set()
    if "optuna_cmaes" in methods:
        needed.add("cmaes")
    if "sklearn_gp_ei" in methods:
        needed |= {"sklearn", "scipy"}
    missing = [m for m in sorted(needed) if importlib.util.find_spec(m) is None]
    if missing:
        sys.exit(f"{sys.executable}: no module {', '.join(missing)}; install: apt-get install "
                 "python3-optuna python3-cmaes python3-sklearn python3-scipy")

    functions = [f for f in args.functions.split(",") if f]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    tasks = [(f, m, s) for f in functions for m in methods for s in seeds]
    results = {}
    started = time.perf_counter()
    # Processes, not threads: the samplers are Python and hold the GIL.
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        futures = {pool.submit(run_one, args.bin, f, m, s, args.budget, args.n_init,
                               args.shift): (f, m, s) for f, m, s in tasks}
        for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
            key = futures[future]
            results[key] = future.result()
            last = results[key][-1]
            print(f"[{done}/{len(tasks)}] {key[0]} {key[1]} seed {key[2]}: regret {last[6]:.4g} "
                  f"({float(last[7]):.2f} s)", file=sys.stderr, flush=True)

    sink = sys.stdout if args.out == "-" else open(args.out, "w", newline="")
    try:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(HEADER)
        for key in tasks:  # the C++ runner's order: function, method, seed
            for row in results[key]:
                writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    finally:
        if sink is not sys.stdout:
            sink.close()
    print(f"{len(tasks)} runs in {time.perf_counter() - started:.1f} s on {args.jobs} process(es)"
          + ("" if args.out == "-" else f"; wrote {args.out}"), file=sys.stderr)


if __name__ == "__main__":
    main()
