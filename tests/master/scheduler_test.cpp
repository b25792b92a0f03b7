#include "master/scheduler.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/local_transport.h"
#include "master/latin_hypercube.h"
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
      out.push_back({next_, std::vector<double>(static_cast<std::size_t>(dim_), 0.1 + 0.01 * static_cast<double>(next_ % 50))});
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

struct Fixture {
  explicit Fixture(int workers) : network(workers + 1) {
    dir = fs::temp_directory_path() / ("lorahpo_scheduler_" + std::to_string(::getpid()) + "_" +
                                       std::to_string(counter++));
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
  }
  ~Fixture() {
    for (auto& t : threads) t.join();
    fs::remove_all(dir);
  }
  /// The evaluation lines of the journal (events left out).
  std::vector<nlohmann::json> journal_lines() const {
    std::vector<nlohmann::json> lines;
    std::ifstream file(dir / "journal.jsonl");
    for (std::string line; std::getline(file, line);) {
      auto value = nlohmann::json::parse(line);
      if (!value.contains("event")) lines.push_back(std::move(value));
    }
    return lines;
  }
  static inline int counter = 0;
  LocalNetwork network;
  fs::path dir;
  SetupMessage setup;
  std::vector<std::thread> threads;
};

TEST(Scheduler, RunsToBudgetJournalingEveryResultOnce) {
  Fixture f(4);
  auto master = f.network.endpoint(0);
  ScriptedOptimizer optimizer(2, 100, false);
  Journal journal(f.dir.string(), f.setup.space);
  SchedulerOptions options{23, Direction::kMinimize, (f.dir / "trials").string()};
  Scheduler scheduler(*master, optimizer, f.setup.space, journal, options);
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
  Scheduler scheduler(*master, optimizer, f.setup.space, journal,
                      SchedulerOptions{10, Direction::kMinimize, (f.dir / "trials").string()});
  const CampaignOutcome outcome = scheduler.run(f.setup);
  EXPECT_EQ(outcome.records.size(), 10u);
  EXPECT_EQ(f.journal_lines().size(), 10u);
}

TEST(Scheduler, StallingOptimizerIsAnErrorNotAHang) {
  Fixture f(2);
  auto master = f.network.endpoint(0);
  NothingOptimizer optimizer;
  Journal journal(f.dir.string(), f.setup.space);
  Scheduler scheduler(*master, optimizer, f.setup.space, journal,
                      SchedulerOptions{5, Direction::kMinimize, (f.dir / "trials").string()});
  EXPECT_THROW(scheduler.run(f.setup), std::runtime_error);
  for (int w = 1; w <= 2; ++w) master->send(w, MessageTag::kShutdown, "");
}

TEST(Scheduler, LatinHypercubeCampaignOnBraninFindsAGoodPoint) {
  Fixture f(3);
  auto master = f.network.endpoint(0);
  LatinHypercubeSearch optimizer(2, 60, std::mt19937_64(5));
  Journal journal(f.dir.string(), f.setup.space);
  Scheduler scheduler(*master, optimizer, f.setup.space, journal,
                      SchedulerOptions{60, Direction::kMinimize, (f.dir / "trials").string()});
  const CampaignOutcome outcome = scheduler.run(f.setup);
  ASSERT_TRUE(outcome.best);
  // Branin's minimum is 0.398; 60 stratified points land within a few units of it.
  EXPECT_LT(*outcome.best->score, 5.0);
  EXPECT_GE(*outcome.best->score, 0.397887);
}

}  // namespace
}  // namespace lorahpo
