#include "master/campaign/scheduler.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/local_transport.h"
#include "common/stop_signal.h"
#include "master/optimizers/latin_hypercube.h"
#include "tests/support/journal_lines.h"
#include "worker/builtin_objective.h"
#include "worker/worker_loop.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

/// Records what the scheduler asks and tells; proposes points in fixed batches of `batch`, and
/// (when synchronous) nothing more until the whole previous batch came back.
class ScriptedOptimizer final : public Optimizer {
 public:
  ScriptedOptimizer(int dim, int batch, bool synchronous)
      : dim_(dim), batch_(batch), synchronous_(synchronous) {}
  std::string name() const override { return "scripted"; }
  std::vector<Suggestion> ask(int n) override {
    max_asked = std::max(max_asked, n);
    if (synchronous_ && pending_ > 0) return {};
    std::vector<Suggestion> out;
    for (int i = 0; i < std::min(n, batch_); ++i) {
      out.push_back({next_, std::vector<double>(static_cast<std::size_t>(dim_),
                                                0.1 + 0.01 * static_cast<double>(next_ % 50))});
      ++next_;
      ++pending_;
    }
    return out;
  }
  void tell(std::int64_t ticket, std::optional<double> value) override {
    EXPECT_TRUE(told.insert(ticket).second) << "ticket told twice: " << ticket;
    --pending_;
    if (value) values.push_back(*value);
  }
  std::set<std::int64_t> told;
  std::vector<double> values;
  int max_asked = 0;

 private:
  int dim_, batch_;
  bool synchronous_;
  std::int64_t next_ = 0;
  int pending_ = 0;
};

class NothingOptimizer final : public Optimizer {
 public:
  std::string name() const override { return "nothing"; }
  std::vector<Suggestion> ask(int) override { return {}; }
  void tell(std::int64_t, std::optional<double>) override {}
};

/// How a scripted worker answers one evaluation: a result, or nothing at all (a silent worker).
using Behaviour = std::function<std::optional<ResultMessage>(const EvaluateMessage&)>;

/// A worker rank that answers through `behaviour` instead of evaluating, until shut down.
void scripted_worker(Transport& transport, const Behaviour& behaviour) {
  while (true) {
    const auto envelope = transport.receive(std::chrono::milliseconds(50));
    if (!envelope) continue;
    if (envelope->tag == MessageTag::kShutdown) return;
    if (envelope->tag != MessageTag::kEvaluate) continue;
    const auto request = decode<EvaluateMessage>(envelope->payload);
    if (auto result = behaviour(request)) {
      result->trial_id = request.trial_id;
      result->metrics_json = "{}";
      transport.send(0, MessageTag::kResult, encode(*result));
    }
  }
}

ResultMessage answer(TrialStatus status, double score = 1.0, std::string reason = "") {
  ResultMessage result;
  result.status = status;
  result.score = score;
  result.reason = std::move(reason);
  result.start_unix = result.end_unix = system_clock().unix_seconds();
  return result;
}

struct Fixture {
  /// `workers` real worker loops, then one scripted worker per behaviour.
  explicit Fixture(int workers, std::vector<Behaviour> scripted = {})
      : network(workers + static_cast<int>(scripted.size()) + 1) {
    dir = fs::temp_directory_path() /
          ("lorahpo_scheduler_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir / "trials");
    BuiltinObjective branin;
    branin.function = "branin";
    setup.objective.builtin = branin;
    setup.space = describe_builtin(branin).space;
    setup.seed = 1;
    for (int w = 1; w <= workers; ++w) {
      threads.emplace_back([this, w] {
        auto endpoint = network.endpoint(w);
        run_worker(*endpoint);
      });
    }
    for (std::size_t i = 0; i < scripted.size(); ++i) {
      const int rank = workers + 1 + static_cast<int>(i);
      threads.emplace_back([this, rank, behaviour = scripted[i]] {
        auto endpoint = network.endpoint(rank);
        scripted_worker(*endpoint, behaviour);
      });
    }
  }
  ~Fixture() {
    for (auto& t : threads) t.join();
    fs::remove_all(dir);
  }
  /// The evaluation lines of the journal (events left out).
  std::vector<nlohmann::json> journal_lines() const {
    return testing_support::journal_evaluations(dir);
  }
  static inline int counter = 0;
  LocalNetwork network;
  fs::path dir;
  SetupMessage setup;
  std::vector<std::thread> threads;
};

SchedulerOptions options_for(const Fixture& f, int budget,
                             Direction direction = Direction::kMaximize) {
  SchedulerOptions options;
  options.budget = budget;
  options.direction = direction;
  options.trials_dir = (f.dir / "trials").string();
  return options;
}

TEST(Scheduler, RunsToBudgetJournalingEveryResultOnce) {
  Fixture f(4);
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 23, Direction::kMinimize);
  Scheduler scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options);
  const CampaignOutcome outcome = scheduler.run(f.setup);

  EXPECT_EQ(outcome.records.size(), 23u);
  EXPECT_EQ(outcome.workers, 4);
  EXPECT_EQ(optimizer.told.size(), 23u);
  EXPECT_LE(optimizer.max_asked, 4);  // never more than the idle workers
  const auto lines = f.journal_lines();
  ASSERT_EQ(lines.size(), 23u);
  std::set<long long> ids;
  for (const auto& line : lines) {
    ids.insert(line["id"].get<long long>());
    EXPECT_EQ(line["status"], "ok");
  }
  EXPECT_EQ(ids.size(), 23u);
  // Minimized objective: the optimizer is told -score, and the best is the smallest score.
  ASSERT_TRUE(outcome.best.has_value());
  for (const auto& r : outcome.records) EXPECT_LE(*outcome.best->score, *r.score);
  for (double v : optimizer.values) EXPECT_LE(v, -*outcome.best->score + 1e-12);
}

TEST(Scheduler, WaitsForASynchronousOptimizersBatch) {
  Fixture f(3);
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 2, true);  // batches of 2 on 3 workers: one always idle
  Journal journal(f.dir.string(), f.setup.space);
  Scheduler scheduler(*master, system_clock(), optimizer, f.setup.space, journal,
                      options_for(f, 10, Direction::kMinimize));
  const CampaignOutcome outcome = scheduler.run(f.setup);
  EXPECT_EQ(outcome.records.size(), 10u);
  EXPECT_EQ(f.journal_lines().size(), 10u);
}

TEST(Scheduler, StallingOptimizerIsAnErrorNotAHang) {
  Fixture f(2);
  auto master = f.network.endpoint(0);
  NothingOptimizer optimizer;
  Journal journal(f.dir.string(), f.setup.space);
  Scheduler scheduler(*master, system_clock(), optimizer, f.setup.space, journal,
                      options_for(f, 5, Direction::kMinimize));
  EXPECT_THROW(scheduler.run(f.setup), std::runtime_error);
  for (int w = 1; w <= 2; ++w) master->send(w, MessageTag::kShutdown, "");
}

TEST(Scheduler, LatinHypercubeCampaignOnBraninFindsAGoodPoint) {
  Fixture f(3);
  auto master = f.network.endpoint(0);
  LatinHypercubeSearch optimizer(2, 60, std::mt19937_64(5));
  Journal journal(f.dir.string(), f.setup.space);
  Scheduler scheduler(*master, system_clock(), optimizer, f.setup.space, journal,
                      options_for(f, 60, Direction::kMinimize));
  const CampaignOutcome outcome = scheduler.run(f.setup);
  ASSERT_TRUE(outcome.best);
  // Branin's minimum is 0.398; 60 stratified points land within a few units of it.
  EXPECT_LT(*outcome.best->score, 5.0);
  EXPECT_GE(*outcome.best->score, 0.397887);
}

TEST(Scheduler, RetriesInfrastructureErrorsThenRecordsTheLastOne) {
  // Trial 0 always hits an infrastructure error, trial 1 once; the others succeed.
  std::map<std::int64_t, int> attempts;
  std::mutex mutex;
  Fixture f(0, {[&](const EvaluateMessage& request) -> std::optional<ResultMessage> {
              std::lock_guard lock(mutex);
              const int n = ++attempts[request.trial_id];
              if (request.trial_id == 0 || (request.trial_id == 1 && n == 1)) {
                return answer(TrialStatus::kError, 0.0, "node lost its GPU");
              }
              return answer(TrialStatus::kOk, static_cast<double>(request.trial_id));
            }});
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 6);
  options.failures.max_retries = 2;
  const CampaignOutcome outcome =
      Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options).run(f.setup);

  EXPECT_EQ(attempts[0], 3);  // 1 + max_retries
  EXPECT_EQ(attempts[1], 2);
  EXPECT_EQ(outcome.records.size(), 6u);
  EXPECT_EQ(outcome.retries, 3);
  int retried_lines = 0;
  for (const auto& line : f.journal_lines()) {
    if (line.value("retried", false)) ++retried_lines;
    if (line["id"] == 0 && !line.value("retried", false)) {
      EXPECT_EQ(line["status"], "error");
      EXPECT_EQ(line["attempt"], 3);
    }
  }
  EXPECT_EQ(retried_lines, 3);
  EXPECT_EQ(optimizer.told.size(), 6u);  // each point told once, the retried ones included
}

TEST(Scheduler, ANodeFaultRetiresTheWorkerAndItsPointRunsElsewhere) {
  // Rank 1 is a real worker; rank 2 is on a node with 3 GPUs: it answers at once, every time.
  std::atomic<int> faults{0};
  Fixture f(1, {[&](const EvaluateMessage&) -> std::optional<ResultMessage> {
              ++faults;
              return answer(TrialStatus::kError, 0.0,
                            "node fault: 3 GPUs visible, objective.devices = 4");
            }});
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 6);
  options.failures.stop_after = 2;
  const CampaignOutcome outcome =
      Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options).run(f.setup);
  EXPECT_EQ(outcome.end, CampaignEnd::kBudget) << outcome.message;
  EXPECT_EQ(faults.load(), 1);
  EXPECT_EQ(outcome.retries, 1);
  ASSERT_EQ(outcome.records.size(), 6u);
  for (const auto& r : outcome.records) EXPECT_EQ(r.status, TrialStatus::kOk) << r.reason;
  EXPECT_TRUE(outcome.lost_workers.empty());
}

TEST(Scheduler, WhenEveryWorkerIsOnAFaultyNodeTheSetupIsBroken) {
  const Behaviour fault = [](const EvaluateMessage&) -> std::optional<ResultMessage> {
    return answer(TrialStatus::kError, 0.0,
                  "node fault: cannot list the GPUs: nvidia-smi: not found in PATH");
  };
  Fixture f(0, {fault, fault});
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  const CampaignOutcome outcome =
      Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options_for(f, 10))
          .run(f.setup);
  EXPECT_EQ(outcome.end, CampaignEnd::kSetupBroken);
  EXPECT_NE(outcome.message.find("2 of 2 worker rank(s) are on faulty nodes"), std::string::npos)
      << outcome.message;
  EXPECT_NE(outcome.message.find("nvidia-smi: not found"), std::string::npos) << outcome.message;
  EXPECT_TRUE(outcome.records.empty());  // both points wait for a worker; nothing was evaluated
}

TEST(Scheduler, FailedPointsAreToldTheConfiguredScore) {
  Fixture f(0, {[](const EvaluateMessage& request) -> std::optional<ResultMessage> {
              if (request.trial_id % 2 == 1)
                return answer(TrialStatus::kFailed, 0.0, "CUDA out of memory");
              return answer(TrialStatus::kOk, 0.7);
            }});
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 6);
  options.failures.failed_value = 0.25;
  Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options).run(f.setup);
  // No silent hole: 6 values told, the failed ones at 0.25; and never retried.
  ASSERT_EQ(optimizer.values.size(), 6u);
  EXPECT_EQ(std::count(optimizer.values.begin(), optimizer.values.end(), 0.25), 3);
  EXPECT_EQ(f.journal_lines().size(), 6u);
}

TEST(Scheduler, StopsWhenTheFirstEvaluationsAllFail) {
  Fixture f(0, {[](const EvaluateMessage&) -> std::optional<ResultMessage> {
              return answer(TrialStatus::kFailed, 0.0, "litgpt: command not found");
            }});
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 50);
  options.failures.stop_after = 4;
  const CampaignOutcome outcome =
      Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options).run(f.setup);
  EXPECT_EQ(outcome.end, CampaignEnd::kSetupBroken);
  EXPECT_EQ(outcome.records.size(), 4u);
  EXPECT_NE(outcome.message.find("command not found"), std::string::npos) << outcome.message;
}

TEST(Scheduler, SilentWorkerIsGivenUpAndItsEvaluationRunsElsewhere) {
  std::atomic<int> swallowed{0};
  // Rank 1 is a real worker; rank 2 takes one evaluation and never answers again.
  Fixture f(1, {[&](const EvaluateMessage&) -> std::optional<ResultMessage> {
              ++swallowed;
              return std::nullopt;
            }});
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 8);
  options.workers.heartbeat_seconds = 0.05;
  options.workers.silent_after_seconds = 0.5;
  const CampaignOutcome outcome =
      Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options).run(f.setup);
  EXPECT_EQ(outcome.end, CampaignEnd::kBudget);
  EXPECT_EQ(swallowed.load(), 1);
  EXPECT_EQ(outcome.lost_workers, std::vector<int>{2});
  EXPECT_EQ(outcome.records.size(), 8u);
  for (const auto& r : outcome.records) EXPECT_EQ(r.status, TrialStatus::kOk) << r.reason;
  EXPECT_EQ(optimizer.told.size(), 8u);
}

TEST(Scheduler, HeartbeatsKeepASlowWorkerAlive) {
  // Evaluations of 0.6 s with heartbeats every 0.05 s: never mistaken for silence at 0.3 s.
  Fixture f(2);
  BuiltinObjective slow;
  slow.function = "branin";
  slow.cost.base_seconds = 0.6;
  f.setup.objective.builtin = slow;
  f.setup.heartbeat_seconds = 0.05;
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 4);
  options.workers.heartbeat_seconds = 0.05;
  options.workers.silent_after_seconds = 0.3;
  const CampaignOutcome outcome =
      Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options).run(f.setup);
  EXPECT_TRUE(outcome.lost_workers.empty());
  EXPECT_EQ(outcome.retries, 0);
}

TEST(Scheduler, StopSignalCancelsRunningEvaluationsAfterTheGracePeriod) {
  Fixture f(2);
  BuiltinObjective slow;
  slow.function = "branin";
  slow.cost.base_seconds = 30.0;  // would outlast the test: the cancel must cut it short
  f.setup.objective.builtin = slow;
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options = options_for(f, 10);
  options.workers.stop_grace_seconds = 0.2;
  install_stop_signal_handlers();
  clear_stop_signal();
  std::thread signaller([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::raise(SIGUSR2);
  });
  const auto start = std::chrono::steady_clock::now();
  const CampaignOutcome outcome =
      Scheduler(*master, system_clock(), optimizer, f.setup.space, journal, options).run(f.setup);
  signaller.join();
  clear_stop_signal();
  EXPECT_EQ(outcome.end, CampaignEnd::kSignal);
  EXPECT_EQ(outcome.signal, SIGUSR2);
  EXPECT_TRUE(outcome.records.empty());  // cancelled evaluations are not results
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  std::ifstream file(f.dir / "journal.jsonl");
  std::string text((std::istreambuf_iterator<char>(file)), {});
  EXPECT_NE(text.find(R"("event":"stop","signal":"SIGUSR2")"), std::string::npos) << text;
}

}  // namespace
}  // namespace lorahpo
