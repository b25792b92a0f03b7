// Search-quality benchmark: runs lorahpo's optimizers in process on the builtin test functions
// and records the best-so-far curve of every (function, method, seed) run, so methods can be
// compared by simple regret against a known optimum.
//
// The optimizers are pure ask/tell objects, so no MPI is needed: q parallel workers are emulated
// by the order of ask and tell calls alone. Besides the benchmark itself the program has three
// helper modes: --describe and --serve let bench/optuna_tpe.py evaluate the very same C++
// functions, and --time-ask measures the cost of one ask() as the history grows.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_function.h"
#include "common/campaign_config.h"
#include "common/search_space.h"
#include "master/optimizers/bo/bayesian_optimization.h"
#include "master/optimizers/optimizer.h"
#include "master/optimizers/optimizer_factory.h"
#include "worker/builtin_objective.h"
#include "worker/test_function.h"

namespace lorahpo::bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;

/// A function as named on the command line: "levy5" is levy in 5 dimensions; a registered name
/// ("branin", "hartmann6") is taken as is, with its default dimension.
struct FunctionSpec {
  std::string label;
  std::string name;
  int dim = 0;
};

FunctionSpec parse_function_spec(const std::string& label) {
  auto names = test_function_names();
  names.push_back(kLoraSurrogate);
  // Registered names first: "hartmann6" is a name, not hartmann in 6 dimensions.
  if (std::find(names.begin(), names.end(), label) != names.end()) return {label, label, 0};
  std::size_t digits = label.size();
  while (digits > 0 && label[digits - 1] >= '0' && label[digits - 1] <= '9') --digits;
  // No trailing number, or nothing but one: make_test_function will say why.
  if (digits == label.size() || digits == 0) return {label, label, 0};
  return {label, label.substr(0, digits), std::stoi(label.substr(digits))};
}

/// A method as named on the command line. "NAME_syncQ" runs optimizer NAME in mode sync with
/// batch_size Q against Q emulated workers; "NAME_asyncQ" keeps Q evaluations pending at all
/// times (mode async); a plain name runs one evaluation at a time.
///
/// The partition optimizers (soo, bamsoo) choose how to use Q workers with their own option,
/// optimizer.parallel: "soo_asyncQ", "soo_wideQ" and "soo_sweepQ" run that strategy against a
/// pool of Q workers (the async driver below: Q points pending whenever the optimizer gives
/// them, one returns at a time; sweep and wide hold back their next sweep themselves). Plain
/// "soo" is the default strategy (sweep) with one worker. "soo_syncQ" is refused: sync is a
/// bo_gp mode, and driving soo in fixed batches would be neither strategy.
struct MethodSpec {
  std::string label;
  std::string name;
  /// How the driver returns points: "sync" the whole batch, anything else the oldest one (a
  /// pool). For bo_gp it is also optimizer.mode.
  std::string mode = label_of(bo_modes(), BoGpOptions{}.mode);
  int batch_size = 0;
  int workers = 1;
  std::string liar;  ///< "NAME...@LIAR" sets optimizer.liar (best, worst, mean, kriging_believer)
  std::string acquisition;  ///< "NAME...+ACQ" sets optimizer.acquisition (log_ei, ucb)
  std::string parallel;     ///< soo, bamsoo: optimizer.parallel (empty: the default, sweep)
  /// bo_gp only, bench-only: "NAME...%KEY=V:KEY=V" changes engine options no campaign file can
  /// set (SyncBatchOptions: local_points, mean_points, length_init), to re-validate their
  /// defaults; "%default" builds the engine the same way with nothing changed (a check that
  /// this path equals make_optimizer's).
  std::vector<std::pair<std::string, double>> engine;
  bool engine_path = false;
};

bool is_partition_method(const std::string& name) {
  return name == "soo" || name == "bamsoo";
}

std::optional<int> parse_suffix_count(const std::string& label, const std::string& marker,
                                      std::string* prefix) {
  const std::size_t at = label.rfind(marker);
  if (at == std::string::npos || at == 0) return std::nullopt;
  const std::string count = label.substr(at + marker.size());
  if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  *prefix = label.substr(0, at);
  return std::stoi(count);
}

MethodSpec parse_method_spec(const std::string& label) {
  MethodSpec spec;
  spec.label = label;
  spec.name = label;
  std::string base = label;
  if (const auto pct = base.find('%'); pct != std::string::npos) {
    spec.engine_path = true;
    const std::string overrides = base.substr(pct + 1);
    base = base.substr(0, pct);
    spec.name = base;
    if (overrides != "default") {
      std::istringstream in(overrides);
      std::string item;
      while (std::getline(in, item, ':')) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
          throw std::invalid_argument("method " + label + ": engine override " + item +
                                      " is not KEY=VALUE");
        }
        spec.engine.emplace_back(item.substr(0, eq), std::stod(item.substr(eq + 1)));
      }
    }
  }
  if (const auto plus = base.find('+'); plus != std::string::npos) {
    spec.acquisition = base.substr(plus + 1);  // "NAME+ucb": optimizer.acquisition
    base = base.substr(0, plus);
    spec.name = base;
  }
  if (const auto at = base.find('@'); at != std::string::npos) {
    spec.liar = base.substr(at + 1);
    base = base.substr(0, at);
    spec.name = base;
  }
  std::string prefix;
  // "_async" before "_sync": the latter is a suffix of the former.
  if (const auto q = parse_suffix_count(base, "_async", &prefix)) {
    spec.name = prefix;
    spec.mode = "async";
    spec.workers = *q;
    if (is_partition_method(prefix)) spec.parallel = "async";
  } else if (const auto q2 = parse_suffix_count(base, "_sync", &prefix)) {
    spec.name = prefix;
    spec.mode = "sync";
    spec.batch_size = *q2;
    spec.workers = *q2;
  } else {
    for (const char* strategy : {"sweep", "wide"}) {
      if (const auto q3 = parse_suffix_count(base, std::string("_") + strategy, &prefix)) {
        if (!is_partition_method(prefix)) {
          throw std::invalid_argument("method " + label + ": _" + strategy +
                                      "Q is a strategy of soo and bamsoo only");
        }
        spec.name = prefix;
        spec.mode = "async";  // the pool driver
        spec.parallel = strategy;
        spec.workers = *q3;
      }
    }
  }
  if (is_partition_method(spec.name)) {
    if (spec.mode == "sync" && spec.batch_size > 0) {
      throw std::invalid_argument("method " + label + ": soo and bamsoo take _asyncQ, _wideQ or " +
                                  "_sweepQ (optimizer.parallel), not _syncQ");
    }
  }
  if (spec.workers < 1) throw std::invalid_argument("method " + label + ": need at least 1 worker");
  if (spec.engine_path && spec.name != "bo_gp") {
    throw std::invalid_argument("method " + label + ": %overrides are for bo_gp only");
  }
  return spec;
}

/// The value of a name given on the command line; throws for an unknown one.
template <class T>
T known(const std::optional<T>& value, const char* what, const std::string& name) {
  if (!value) throw std::invalid_argument(std::string("unknown ") + what + " " + name);
  return *value;
}

CampaignConfig make_config(const FunctionSpec& function, const MethodSpec& method, int budget,
                           std::uint64_t seed, int n_init) {
  CampaignConfig config;
  config.campaign.name = "bench-" + function.label + "-" + method.label;
  config.campaign.budget = budget;
  config.campaign.direction = Direction::kMinimize;
  config.campaign.seed = seed;
  config.objective.kind = ObjectiveKind::kBuiltin;
  config.objective.builtin.function = function.name;
  config.objective.builtin.dim = function.dim;
  config.space = describe_builtin(config.objective.builtin).space;
  config.optimizer.kind = known(optimizer_kind(method.name), "optimizer", method.name);
  BoGpOptions& bo = config.optimizer.bo_gp;
  bo.n_init = n_init;
  bo.mode = known(choice_of(bo_modes(), method.mode), "mode", method.mode);
  bo.batch_size = method.batch_size;
  if (!method.liar.empty())
    bo.liar = known(choice_of(bo_liars(), method.liar), "liar", method.liar);
  if (!method.acquisition.empty()) {
    bo.acquisition =
        known(choice_of(bo_acquisitions(), method.acquisition), "acquisition", method.acquisition);
  }
  if (!method.parallel.empty()) {
    const PartitionParallel parallel =
        known(choice_of(partition_parallel_strategies(), method.parallel), "parallel strategy",
              method.parallel);
    config.optimizer.soo.parallel = parallel;
    config.optimizer.bamsoo.soo.parallel = parallel;
  }
  return config;
}

/// The optimizer of a run. A "%" method builds bo_gp's engine here from the factory's own
/// mapping of BoGpOptions (bo_gp_engine_options), then applies the overrides; "%default" gives
/// the very runs make_optimizer gives (checked in bench/README.md).
std::unique_ptr<Optimizer> make_bench_optimizer(const CampaignConfig& config,
                                                const MethodSpec& method, std::uint64_t seed) {
  if (!method.engine_path) return make_optimizer(config, std::mt19937_64(seed));
  BayesianOptimizationOptions options =
      bo_gp_engine_options(config.optimizer.bo_gp, config.campaign.budget);
  for (const auto& [key, value] : method.engine) {
    if (key == "local_points") {
      options.sync_batch.local_points = static_cast<int>(value);
    } else if (key == "mean_points") {
      options.sync_batch.mean_points = static_cast<int>(value);
    } else if (key == "length_init") {
      options.sync_batch.length_init = value;
    } else {
      throw std::invalid_argument("method " + method.label + ": unknown engine option " + key);
    }
  }
  return std::make_unique<BayesianOptimization>(config.space, options, std::mt19937_64(seed));
}

/// One finished evaluation of a run; `best` and `regret` are of the best-so-far.
struct Evaluation {
  int n = 0;
  double f = 0.0;
  double best = 0.0;
  double regret = 0.0;
  double seconds = 0.0;  ///< wall time of the run so far: optimizer and function together
};

/// Drives `optimizer` for `budget` evaluations of `function` as `method.workers` workers would,
/// calling `on_evaluation` after each. The caller's scheduler negates scores of a minimized
/// objective; so does this loop: optimizers maximize, test functions are minimized.
///
/// sync: ask until the optimizer returns nothing (or the batch is full), evaluate the whole
/// batch, tell it in ticket order. Otherwise: keep up to `workers` points pending, evaluate and
/// tell the oldest first, which is what a worker pool of equal-speed workers does; with
/// `scramble`, a pending point drawn uniformly from it instead, as when evaluation times vary
/// (the order stresses what an asynchronous strategy assumes about returns).
template <class OnEvaluation>
void drive(Optimizer& optimizer, const TestFunction& function, const MethodSpec& method, int budget,
           OnEvaluation on_evaluation, std::mt19937_64* scramble = nullptr) {
  std::deque<Suggestion> pending;
  int done = 0;
  // The function's own coordinates, through the search space of its (shifted) box as a campaign
  // would (worker/builtin_objective.h): floats low + u (high - low), integers and categories by
  // their equal-width bins, a category as its index. lora_surrogate's box is the exponents of its
  // space, which it maps on through that space (bins, powers of ten).
  const SearchSpace space = test_function_space(function);
  const auto evaluate_and_tell = [&](const Suggestion& s) {
    const std::vector<double> x = test_function_coordinates(function, space, space.to_user(s.unit));
    const double f = function.evaluate(x);
    optimizer.tell(s.ticket, std::isfinite(f) ? std::optional<double>(-f) : std::nullopt);
    ++done;
    on_evaluation(done, f, s.unit);
  };
  const auto ask_into_pending = [&](int want) {
    while (static_cast<int>(pending.size()) < want) {
      std::vector<Suggestion> got = optimizer.ask(want - static_cast<int>(pending.size()));
      if (got.empty()) return;
      for (Suggestion& s : got) pending.push_back(std::move(s));
    }
  };
  while (done < budget) {
    ask_into_pending(std::min(method.workers, budget - done));
    if (pending.empty()) throw std::runtime_error("optimizer proposed no point with none pending");
    // sync: the whole batch comes back before the next ask (an optimizer that returned more than
    // asked still gets all its points back: it may be waiting for them). async: only the oldest.
    const std::size_t returning = method.mode == "sync" ? pending.size() : 1;
    for (std::size_t k = 0; k < returning; ++k) {
      std::size_t index = 0;
      if (scramble != nullptr && returning == 1 && pending.size() > 1) {
        // The top 32 bits modulo a pool size: the bias is below 2^-24 for any pool we run.
        index = static_cast<std::size_t>(((*scramble)() >> 32) % pending.size());
      }
      const Suggestion s = std::move(pending[index]);
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(index));
      evaluate_and_tell(s);
    }
  }
}

struct RunKey {
  FunctionSpec function;
  MethodSpec method;
  std::uint64_t seed = 0;
};

/// How every run of a benchmark treats its function and its workers.
struct RunSettings {
  int budget = 50;
  int n_init = 10;
  bool shift = false;     ///< per-seed domain shift and flips (draw_domain_shift)
  bool scramble = false;  ///< pool returns in a random order (drive)
};

/// The function of a run: with `shift`, the builtin test functions on the box of
/// draw_domain_shift(label, seed), the same for every method. lora_surrogate is left as it is:
/// it models real fine-tuning runs over the seed's search space, and outside that space (or
/// mirrored) it would be a different landscape with no known optimum.
std::unique_ptr<TestFunction> make_run_function(const FunctionSpec& spec, bool shift,
                                                std::uint64_t seed) {
  auto function = make_bench_function(spec.name, spec.dim);
  if (!shift || spec.name == kLoraSurrogate) return function;
  DomainShift domain_shift = draw_domain_shift(*function, spec.label, seed);
  return shift_domain(std::move(function), std::move(domain_shift));
}

struct RunResult {
  std::vector<Evaluation> curve;
  std::string error;  ///< empty when the run finished
  int repeated = 0;   ///< evaluations of a point (unit coordinates) already evaluated in the run
};

RunResult run_one(const RunKey& key, const RunSettings& settings) {
  RunResult result;
  try {
    const CampaignConfig config =
        make_config(key.function, key.method, settings.budget, key.seed, settings.n_init);
    const auto function = make_run_function(key.function, settings.shift, key.seed);
    const double optimum = function->optimum().value;
    auto optimizer = make_bench_optimizer(config, key.method, key.seed);
    // The return order has its own stream, so it does not perturb the optimizer's.
    std::mt19937_64 returns(key.seed ^ 0x9e3779b97f4a7c15ULL);
    double best = std::numeric_limits<double>::infinity();
    std::set<std::vector<double>> seen;  // a repeated point wastes an evaluation: counted, shown
    const auto start = std::chrono::steady_clock::now();
    drive(
        *optimizer, *function, key.method, settings.budget,
        [&](int n, double f, const std::vector<double>& unit) {
          if (!seen.insert(unit).second) ++result.repeated;
          if (std::isfinite(f)) best = std::min(best, f);
          const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
          result.curve.push_back(Evaluation{n, f, best, best - optimum, elapsed.count()});
        },
        settings.scramble ? &returns : nullptr);
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

/// The reason make_optimizer refuses this method, or nullopt when it builds. The factory throws
/// std::invalid_argument for a name it does not know (yet): such methods are skipped, not fatal.
std::optional<std::string> unavailable_reason(const FunctionSpec& function,
                                              const MethodSpec& method, int budget, int n_init) {
  try {
    make_bench_optimizer(make_config(function, method, budget, 1, n_init), method, 1);
    return std::nullopt;
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
}

/// Runs `count` independent jobs on up to `threads` threads; job(i) must not share state.
template <class Job>
void parallel_for(std::size_t count, int threads, Job job) {
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) job(i);
  };
  const std::size_t n_threads = std::min(count, static_cast<std::size_t>(std::max(threads, 1)));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
}

std::vector<FunctionSpec> parse_functions(const std::vector<std::string>& labels) {
  std::vector<FunctionSpec> functions;
  for (const std::string& label : labels) {
    FunctionSpec spec = parse_function_spec(label);
    make_bench_function(spec.name, spec.dim);  // throws with the reason for a bad name or dim
    functions.push_back(std::move(spec));
  }
  return functions;
}

// ---------------------------------------------------------------------------------------------
// Modes

struct BenchOptions {
  std::vector<std::string> functions;
  std::vector<std::string> methods;
  int seeds = 20;
  int first_seed = 1;
  int budget = 50;
  int n_init = 10;
  int jobs = 1;
  bool shift = false;
  bool scramble = false;
  std::string out;
};

/// The CSV is long: one row per evaluation, so the same file gives the final-regret table
/// (the row with the largest n of each run) and the regret-vs-n plots, and Optuna's rows can
/// be appended unchanged.
int run_benchmark(const BenchOptions& options) {
  const std::vector<FunctionSpec> functions = parse_functions(options.functions);
  std::vector<MethodSpec> methods;
  for (const std::string& label : options.methods) methods.push_back(parse_method_spec(label));

  std::vector<RunKey> runs;
  std::map<std::string, std::string> skipped;  // method label -> reason, printed once
  for (const FunctionSpec& function : functions) {
    for (const MethodSpec& method : methods) {
      if (const auto reason =
              unavailable_reason(function, method, options.budget, options.n_init)) {
        skipped.emplace(method.label, *reason);
        continue;
      }
      for (int seed = options.first_seed; seed < options.first_seed + options.seeds; ++seed) {
        runs.push_back(RunKey{function, method, static_cast<std::uint64_t>(seed)});
      }
    }
  }
  for (const auto& [label, reason] : skipped) {
    fmt::print(stderr, "{}: skipped: {}\n", label, reason);
  }

  std::vector<RunResult> results(runs.size());
  std::mutex progress_mutex;
  std::size_t finished = 0;
  const auto start = std::chrono::steady_clock::now();
  parallel_for(runs.size(), options.jobs, [&](std::size_t i) {
    results[i] = run_one(
        runs[i], RunSettings{options.budget, options.n_init, options.shift, options.scramble});
    const RunKey& key = runs[i];
    const RunResult& r = results[i];
    const std::lock_guard<std::mutex> lock(progress_mutex);
    ++finished;
    if (!r.error.empty()) {
      fmt::print(stderr, "[{}/{}] {} {} seed {}: ERROR {}\n", finished, runs.size(),
                 key.function.label, key.method.label, key.seed, r.error);
    } else {
      fmt::print(stderr, "[{}/{}] {} {} seed {}: regret {:.4g} ({:.2f} s)\n", finished, runs.size(),
                 key.function.label, key.method.label, key.seed, r.curve.back().regret,
                 r.curve.back().seconds);
    }
  });
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  std::ofstream out;
  std::ostream* sink = &std::cout;
  if (!options.out.empty() && options.out != "-") {
    out.open(options.out);
    if (!out) throw std::runtime_error("cannot write " + options.out);
    sink = &out;
  }
  *sink << "function,method,seed,n,f,best,regret,seconds\n";
  int failures = 0;
  int with_repeats = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!results[i].error.empty()) ++failures;
    if (results[i].repeated > 0) {
      ++with_repeats;
      fmt::print(stderr, "{} {} seed {}: {} evaluation(s) of a point already evaluated\n",
                 runs[i].function.label, runs[i].method.label, runs[i].seed, results[i].repeated);
    }
    // A failed run keeps the rows it finished: the summary sees a run shorter than the budget.
    for (const Evaluation& e : results[i].curve) {
      *sink << fmt::format("{},{},{},{},{},{},{},{:.6f}\n", runs[i].function.label,
                           runs[i].method.label, runs[i].seed, e.n, e.f, e.best, e.regret,
                           e.seconds);
    }
  }
  sink->flush();
  fmt::print(stderr,
             "{} runs in {:.1f} s on {} thread(s), {} failed, {} with a repeated point, {} "
             "method(s) skipped{}\n",
             runs.size(), elapsed.count(), options.jobs, failures, with_repeats, skipped.size(),
             options.out.empty() || options.out == "-" ? "" : "; wrote " + options.out);
  return failures == 0 ? kExitOk : kExitRunFailed;
}

/// Prints {"function", "name", "dim", "bounds": [[low, high], ...], "kinds", "optimum", "argmin"}.
int describe(const std::string& label, bool shift, std::uint64_t seed) {
  const FunctionSpec spec = parse_functions({label}).front();
  const auto function = make_run_function(spec, shift, seed);
  nlohmann::ordered_json j;
  j["function"] = spec.label;
  j["name"] = function->name();
  j["dim"] = function->dim();
  j["bounds"] = nlohmann::json::array();
  for (const Bounds& b : function->domain()) j["bounds"].push_back({b.low, b.high});
  // Discrete coordinates, for the references: an integer axis takes the integers of its bounds,
  // a categorical one the indices 0 .. n-1 of its labels, which have no order.
  j["kinds"] = nlohmann::json::array();
  for (const AxisKind kind : function->axis_kinds()) {
    j["kinds"].push_back(kind == AxisKind::kContinuous ? "float"
                         : kind == AxisKind::kInteger  ? "int"
                                                       : "categorical");
  }
  const KnownOptimum optimum = function->optimum();
  j["optimum"] = optimum.value;
  j["argmin"] = optimum.argmin;
  fmt::print("{}\n", j.dump());
  return kExitOk;
}

/// One point per line in, f(x) per line out, flushed after each so a parent can talk to it
/// over a pipe. A bad line answers "error: <reason>" rather than ending the conversation.
int serve(const std::string& label, bool shift, std::uint64_t seed) {
  const FunctionSpec spec = parse_functions({label}).front();
  const auto function = make_run_function(spec, shift, seed);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream in(line);
    std::vector<double> x;
    std::string token;
    try {
      while (in >> token) {
        char* end = nullptr;
        const double v = std::strtod(token.c_str(), &end);
        if (end != token.c_str() + token.size())
          throw std::invalid_argument("not a number: " + token);
        x.push_back(v);
      }
      fmt::print("{}\n", function->evaluate(x));
    } catch (const std::exception& e) {
      fmt::print("error: {}\n", e.what());
    }
    std::fflush(stdout);
  }
  return kExitOk;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t m = values.size() / 2;
  return values.size() % 2 == 1 ? values[m] : 0.5 * (values[m - 1] + values[m]);
}

/// Time of one ask(1) after n observations. n_init is set to n so that the history is the
/// optimizer's own initial design (cheap to produce for any n) and the timed ask is the first
/// model-based one: a fresh fit on n points plus the acquisition search. Median of `repeats`
/// fresh optimizers (seeds 1..repeats).
int time_ask(const std::string& function_label, const std::vector<std::string>& method_labels,
             const std::vector<int>& sizes, int repeats) {
  const FunctionSpec function = parse_functions({function_label}).front();
  const auto f = make_bench_function(function.name, function.dim);
  constexpr int kHeadroom = 10;  // budget beyond n, so the optimizer is not at its end
  fmt::print("time of one ask(1) after n observations of {} (n_init = n; median of {})\n\n",
             function.label, repeats);
  fmt::print("| method | n | ask median (ms) | ask min (ms) | ask max (ms) | feeding n (s) |\n");
  fmt::print("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const std::string& label : method_labels) {
    const MethodSpec method = parse_method_spec(label);
    if (const auto reason =
            unavailable_reason(function, method, sizes.front() + kHeadroom, sizes.front())) {
      fmt::print("| {} | - | skipped: {} | | | |\n", label, *reason);
      std::fflush(stdout);
      continue;
    }
    for (const int n : sizes) {
      std::vector<double> ask_ms;
      std::vector<double> feed_s;
      std::string error;
      for (int r = 1; r <= repeats && error.empty(); ++r) {
        try {
          const auto seed = static_cast<std::uint64_t>(r);
          const CampaignConfig config = make_config(function, method, n + kHeadroom, seed, n);
          auto optimizer = make_bench_optimizer(config, method, seed);
          const auto t0 = std::chrono::steady_clock::now();
          drive(*optimizer, *f, method, n, [](int, double, const std::vector<double>&) {});
          const auto t1 = std::chrono::steady_clock::now();
          const std::vector<Suggestion> s = optimizer->ask(1);
          const auto t2 = std::chrono::steady_clock::now();
          if (s.empty()) throw std::runtime_error("ask(1) returned nothing with none pending");
          feed_s.push_back(std::chrono::duration<double>(t1 - t0).count());
          ask_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
        } catch (const std::exception& e) {
          error = e.what();
        }
      }
      if (!error.empty()) {
        fmt::print("| {} | {} | error: {} | | | |\n", label, n, error);
      } else {
        fmt::print("| {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.3f} |\n", label, n, median(ask_ms),
                   *std::min_element(ask_ms.begin(), ask_ms.end()),
                   *std::max_element(ask_ms.begin(), ask_ms.end()), median(feed_s));
      }
      std::fflush(stdout);
    }
  }
  return kExitOk;
}

}  // namespace
}  // namespace lorahpo::bench

int main(int argc, char** argv) {
  using namespace lorahpo::bench;
  CLI::App app{
      "lorahpo search-quality benchmark: runs optimizers in process on builtin test functions and\n"
      "writes the best-so-far curve of every (function, method, seed) run as CSV.\n"
      "Methods: an optimizer name (random, lhs, bo_gp, ...); NAME_syncQ = mode sync, batch_size "
      "Q,\n"
      "Q emulated workers; NAME_asyncQ = mode async with Q evaluations pending.\n"
      "soo, bamsoo: NAME_asyncQ, NAME_wideQ, NAME_sweepQ = optimizer.parallel async, wide, sweep\n"
      "with Q workers; plain NAME = sweep with one worker.\n"
      "Functions: a builtin name; a trailing number sets the dimension (levy5 = levy in 5-d)."};
  BenchOptions options;
  options.functions = {"branin",           "hartmann6",    "levy5",
                       "styblinski_tang5", "michalewicz5", "lora_surrogate"};
  options.methods = {"random", "lhs", "bo_gp", "bo_gp_sync8", "soo", "bamsoo"};
  app.add_option("--functions", options.functions, "comma-separated functions")
      ->delimiter(',')
      ->capture_default_str();
  auto* methods_option = app.add_option("--methods", options.methods, "comma-separated methods")
                             ->delimiter(',')
                             ->capture_default_str();
  app.add_option("--seeds", options.seeds, "runs per (function, method)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--first-seed", options.first_seed,
                 "seeds FIRST..FIRST+N-1 (101 for held-out seeds, untouched by any tuning)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  // Off by default so that the tables already in bench/results/ (search_quality.md) stay
  // reproducible by their commands; every new comparison should pass --shift.
  app.add_flag("--shift", options.shift,
               "move and mirror each test function's box per (function, seed), the same for "
               "every method (bench/bench_function.h: draw_domain_shift)");
  app.add_flag("--scramble-returns", options.scramble,
               "pool workers return in a random order (seeded) instead of oldest first");
  app.add_option("--budget", options.budget, "evaluations per run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--n-init", options.n_init, "optimizer.n_init (initial design of bo_gp)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--jobs", options.jobs, "runs in parallel (threads)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--out", options.out, "CSV path (default: stdout)");

  std::string serve_function;
  std::string describe_function;
  bool time_ask_mode = false;
  std::string time_function = "levy5";
  std::vector<int> time_sizes = {50, 200, 1000};
  int time_repeats = 3;
  std::uint64_t shift_seed = 1;
  app.add_option("--shift-seed", shift_seed,
                 "with --shift: the seed whose box --describe and "
                 "--serve use")
      ->capture_default_str();
  auto* serve_option = app.add_option(
      "--serve", serve_function, "evaluate FUNCTION: coordinates per stdin line, f(x) per line");
  auto* describe_option = app.add_option("--describe", describe_function,
                                         "print FUNCTION's dim, bounds and optimum as JSON");
  auto* time_option = app.add_flag("--time-ask", time_ask_mode,
                                   "time one ask(1) after n observations (methods default bo_gp)");
  app.add_option("--time-function", time_function, "function for --time-ask")
      ->capture_default_str();
  app.add_option("--time-sizes", time_sizes, "history sizes n for --time-ask")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--time-repeats", time_repeats, "repeats per n for --time-ask (median)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_option->excludes(describe_option)->excludes(time_option);
  describe_option->excludes(time_option);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  try {
    if (!serve_function.empty()) return serve(serve_function, options.shift, shift_seed);
    if (!describe_function.empty()) return describe(describe_function, options.shift, shift_seed);
    if (time_ask_mode) {
      const std::vector<std::string> methods =
          methods_option->count() > 0 ? options.methods : std::vector<std::string>{"bo_gp"};
      if (time_sizes.empty()) throw std::invalid_argument("--time-sizes is empty");
      return time_ask(time_function, methods, time_sizes, time_repeats);
    }
    return run_benchmark(options);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kExitRunFailed;
  }
}
