// Worker utilization of lorahpo's optimizers on the real cost model: each evaluation of
// lora_surrogate lasts what the real run's training did (52 + 0.026 lora_r minutes). A
// discrete-event loop drives the real optimizer objects as the scheduler does (the moment a
// worker is idle it asks for a point), on a virtual clock, for P workers:
//   U = sum of busy time / (P * makespan).
// Synchronous methods (SOO and BaMSOO sweeps, sync BO batches) leave workers idle while the
// slowest point of a batch (the largest rank) finishes; that is what this measures.
//
//   build-bench/bench/lorahpo_bench_utilization [--seeds 10] [--workers 4,8] [--budget 50]

#include <algorithm>
#include <cstdio>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "master/optimizers/optimizer_factory.h"
#include "worker/builtin_objective.h"
#include "worker/lora_surrogate.h"

namespace {

using namespace lorahpo;

struct Run {
  double utilization = 0.0;
  double makespan_hours = 0.0;
  double best = 0.0;
};

struct Method {
  std::string label;
  std::string name;
  std::string mode;  ///< bo_gp: async or sync
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Run simulate(const Method& method, int workers, int budget, std::uint64_t seed) {
  CampaignConfig config;
  config.campaign.budget = budget;
  config.campaign.seed = seed;
  config.objective.builtin.function = kLoraSurrogate;
  config.space = describe_builtin(config.objective.builtin).space;
  config.optimizer.kind = *optimizer_kind(method.name);
  config.optimizer.bo_gp.mode = *choice_of(bo_modes(), method.mode);
  config.optimizer.bo_gp.batch_size = workers;
  const auto optimizer = make_optimizer(config, std::mt19937_64(seed));
  const LoraSurrogate& surrogate = LoraSurrogate::instance();

  struct Event {
    double finish;
    int worker;
    std::int64_t ticket;
    double value;
    bool operator>(const Event& o) const { return finish > o.finish; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> running;
  std::set<int> idle;
  for (int w = 0; w < workers; ++w) idle.insert(w);
  double now = 0.0, busy = 0.0, best = 0.0;
  int dispatched = 0, done = 0;
  while (done < budget) {
    while (!idle.empty() && dispatched < budget) {
      const auto batch =
          optimizer->ask(std::min(static_cast<int>(idle.size()), budget - dispatched));
      optimizer->take_unevaluated();
      if (batch.empty()) break;
      for (const Suggestion& s : batch) {
        const auto values = config.space.to_user(s.unit);
        const LoraSurrogate::Estimate e = surrogate.predict(values);
        const int w = *idle.begin();
        idle.erase(idle.begin());
        busy += e.minutes;
        running.push(Event{now + e.minutes, w, s.ticket, e.hellaswag_acc_norm});
        ++dispatched;
      }
    }
    if (running.empty()) throw std::runtime_error(method.label + " proposed nothing");
    const Event event = running.top();
    running.pop();
    now = event.finish;
    idle.insert(event.worker);
    best = std::max(best, event.value);
    optimizer->tell(event.ticket, event.value);
    ++done;
  }
  return Run{busy / (workers * now), now / 60.0, best};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"worker utilization of lorahpo's optimizers on lora_surrogate's real cost model"};
  int seeds = 10, budget = 50;
  std::vector<int> worker_counts = {4, 8};
  app.add_option("--seeds", seeds, "runs per (method, P)");
  app.add_option("--budget", budget, "evaluations per campaign");
  app.add_option("--workers", worker_counts, "worker counts P")->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  const std::vector<Method> methods = {{"lhs", "lhs", "async"},
                                       {"bo_gp (async)", "bo_gp", "async"},
                                       {"bo_gp (sync, q = P)", "bo_gp", "sync"},
                                       {"soo", "soo", "async"},
                                       {"bamsoo", "bamsoo", "async"}};
  fmt::print(
      "Worker utilization U = busy / (P x makespan), lora_surrogate cost model "
      "(52 + 0.026 lora_r minutes per evaluation), budget {}, median over {} seeds\n\n",
      budget, seeds);
  fmt::print("| method | P | U | makespan (h) | evaluation-times | best HellaSwag |\n");
  fmt::print("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Method& method : methods) {
    for (int workers : worker_counts) {
      std::vector<double> u, makespan, best;
      for (int seed = 1; seed <= seeds; ++seed) {
        const Run run = simulate(method, workers, budget, static_cast<std::uint64_t>(seed));
        u.push_back(run.utilization);
        makespan.push_back(run.makespan_hours);
        best.push_back(run.best);
      }
      // One evaluation-time: the mean real evaluation, about an hour.
      const double evaluation_hours = LoraSurrogate::instance().minutes_for_rank(257.0) / 60.0;
      fmt::print("| {} | {} | {:.3f} | {:.1f} | {:.1f} | {:.4f} |\n", method.label, workers,
                 median(u), median(makespan), median(makespan) / evaluation_hours, median(best));
    }
  }
  return 0;
}
