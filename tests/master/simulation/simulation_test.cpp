// `lorahpo simulate` in process: the real campaign code on simulated workers gives known
// makespans for a deterministic optimizer, and a journal whose times are virtual.

#include "master/simulation/simulation.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/config_error.h"
#include "common/stop_signal.h"
#include "master/campaign/campaign.h"
#include "master/config/config_loader.h"
#include "master/journal/trial_record.h"
#include "tests/support/journal_lines.h"
#include "worker/test_function.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

constexpr double kEpoch = 1.7e9;
constexpr double kTolerance = 1e-6;         // seconds, exact arithmetic
constexpr double kJournalTolerance = 1e-3;  // the journal's times have millisecond resolution

fs::path fresh_run_dir(const CampaignConfig& config) {
  static int counter = 0;
  const fs::path dir =
      fs::temp_directory_path() /
      ("lorahpo_simulation_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  create_run_directory(dir.string(), config);
  return dir;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream file(path);
  return nlohmann::json::parse(file);
}

CampaignConfig config_of(const std::string& optimizer, const std::string& objective, int budget) {
  return parse_config("campaign: {name: sim, budget: " + std::to_string(budget) +
                          ", direction: minimize, seed: 3}\noptimizer: " + optimizer +
                          "\nobjective: " + objective + "\n",
                      "sim.yaml");
}

struct Rounds {
  int workers;
  double makespan;
};

class LhsMakespan : public ::testing::TestWithParam<Rounds> {};

// 12 evaluations of 100 s each, a master that takes no time: ceil(12 / P) rounds of 100 s.
TEST_P(LhsMakespan, IsTheNumberOfRoundsTimesTheCost) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig config = config_of("{name: lhs}", "{kind: builtin, function: branin}", 12);
  const fs::path dir = fresh_run_dir(config);
  SimulationOptions options;
  options.workers = GetParam().workers;
  options.eval_seconds = 100.0;
  options.master_time_scale = 0.0;
  options.epoch_unix = kEpoch;
  const SimulationResult result = run_simulation(config, dir.string(), options);

  EXPECT_NEAR(result.outcome.wall_seconds, GetParam().makespan, kTolerance);
  EXPECT_NEAR(result.outcome.busy_seconds, 1200.0, kTolerance);
  EXPECT_NEAR(result.utilization, 1200.0 / (options.workers * GetParam().makespan), kTolerance);
  EXPECT_NEAR(result.mean_eval_seconds, 100.0, kTolerance);
  EXPECT_EQ(result.stats.evaluations, 12);
  EXPECT_DOUBLE_EQ(result.stats.master_seconds, 0.0);

  const auto lines = testing_support::journal_evaluations(dir);
  ASSERT_EQ(lines.size(), 12u);
  for (const auto& line : lines) {
    EXPECT_EQ(line["status"], "ok");
    const double start = parse_iso8601_utc(line["start"].get<std::string>());
    const double end = parse_iso8601_utc(line["end"].get<std::string>());
    EXPECT_NEAR(end - start, 100.0, kJournalTolerance);
    EXPECT_GE(start, kEpoch - kJournalTolerance);  // virtual times, not today's date
    EXPECT_LE(end, kEpoch + GetParam().makespan + kJournalTolerance);
    EXPECT_NEAR(std::fmod(start - kEpoch + kJournalTolerance, 100.0), 0.0, 2 * kJournalTolerance)
        << "every evaluation starts at a round boundary";
  }
  const auto summary = read_json(dir / "summary.json");
  EXPECT_NEAR(summary["wall_seconds"].get<double>(), GetParam().makespan, kTolerance);
  EXPECT_EQ(summary["workers"], options.workers);
  const auto simulation = read_json(dir / "simulation.json");
  EXPECT_NEAR(simulation["makespan_evaluations"].get<double>(), GetParam().makespan / 100.0,
              kTolerance);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Workers, LhsMakespan,
                         ::testing::Values(Rounds{1, 1200.0}, Rounds{4, 300.0}, Rounds{5, 300.0},
                                           Rounds{12, 100.0}, Rounds{64, 100.0}));

TEST(Simulation, MasterTimeShowsUpInTheMakespan) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig config = config_of("{name: lhs}", "{kind: builtin, function: branin}", 6);
  const fs::path dir = fresh_run_dir(config);
  SimulationOptions options;
  options.workers = 2;
  options.eval_seconds = 1.0;
  options.master_time_scale = 1e4;  // microseconds of real bookkeeping become seconds
  options.epoch_unix = kEpoch;
  const SimulationResult result = run_simulation(config, dir.string(), options);
  EXPECT_GT(result.stats.master_seconds, 0.0);
  // Three rounds of 1 s plus the master's time: more than the rounds, at most everything in
  // sequence.
  EXPECT_GT(result.outcome.wall_seconds, 3.0);
  EXPECT_LE(result.outcome.wall_seconds, 6.0 + result.stats.master_seconds + kTolerance);
  EXPECT_LT(result.utilization, 1.0);
  fs::remove_all(dir);
}

TEST(Simulation, BayesianOptimizationOnTheLoraSurrogateJournalsTheBudgetWithRealDurations) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig config = parse_config(
      "campaign: {name: sim, budget: 16, direction: maximize, seed: 1}\n"
      "optimizer: {name: bo_gp, n_init: 6, mode: async}\n"
      "objective: {kind: builtin, function: lora_surrogate, noise: 0.005, time_scale: 1.0}\n",
      "sim.yaml");
  const fs::path dir = fresh_run_dir(config);
  SimulationOptions options;
  options.workers = 4;
  options.epoch_unix = kEpoch;
  const SimulationResult result = run_simulation(config, dir.string(), options);
  const auto lines = testing_support::journal_evaluations(dir);
  ASSERT_EQ(lines.size(), 16u);
  double latest_end = 0.0;
  for (const auto& line : lines) {
    const double duration = line["duration"].get<double>();
    EXPECT_NEAR(duration, line["metrics"]["train_minutes"].get<double>() * 60.0, 2e-3);
    latest_end = std::max(latest_end, parse_iso8601_utc(line["end"].get<std::string>()));
  }
  // Four rounds of 52-68 min evaluations on 4 workers: 3.4 to 4.7 hours of virtual time.
  EXPECT_GT(result.outcome.wall_seconds, 4 * 52 * 60.0);
  EXPECT_LT(result.outcome.wall_seconds, 4 * 70 * 60.0 + 600.0);
  EXPECT_NEAR(latest_end - kEpoch, result.outcome.wall_seconds, result.stats.master_seconds + 1.0);
  EXPECT_GT(result.utilization, 0.8);
  ASSERT_TRUE(result.outcome.best.has_value());
  // Hour-long evaluations against the default 300 s silence: their heartbeats keep them alive.
  EXPECT_GT(result.stats.heartbeats, 16 * 52 * 60 / 10 - 16);
  EXPECT_TRUE(result.outcome.lost_workers.empty());
  fs::remove_all(dir);
}

/// Issue 16: every optimizer runs a campaign on a mixed builtin (ackley_mixed: two-label
/// categoricals then continuous coordinates) with 3 workers; the journal holds the labels as
/// strings and the floats as numbers, every point once, and the scores are the function's at them.
TEST(Simulation, EveryOptimizerRunsAMixedBuiltinWithCategoricalLabels) {
  spdlog::set_level(spdlog::level::warn);
  const auto function = make_test_function("ackley_mixed", 6);
  for (const std::string optimizer :
       {"{name: bo_gp, n_init: 4}", "{name: soo, parallel: async}", "{name: soo}",
        "{name: bamsoo, parallel: async}", "{name: lhs}", "{name: random}"}) {
    SCOPED_TRACE(optimizer);
    const CampaignConfig config =
        config_of(optimizer, "{kind: builtin, function: ackley_mixed, dim: 6}", 12);
    const fs::path dir = fresh_run_dir(config);
    SimulationOptions options;
    options.workers = 3;
    options.eval_seconds = 10.0;
    options.epoch_unix = kEpoch;
    run_simulation(config, dir.string(), options);
    const auto lines = testing_support::journal_evaluations(dir);
    std::set<std::string> points;
    int real = 0;
    for (const auto& line : lines) {
      const auto& params = line["params"];
      ASSERT_EQ(params.size(), 6u) << line.dump();
      std::vector<double> x;
      for (int i = 1; i <= 6; ++i) {
        const auto& v = params["x" + std::to_string(i)];
        if (i <= 3) {
          ASSERT_TRUE(v.is_string()) << line.dump();
          EXPECT_TRUE(v == "0" || v == "1") << line.dump();
          x.push_back(v == "1" ? 1.0 : 0.0);
        } else {
          ASSERT_TRUE(v.is_number()) << line.dump();
          x.push_back(v.get<double>());
        }
      }
      EXPECT_TRUE(points.insert(params.dump()).second) << "evaluated twice: " << params.dump();
      if (line["status"] != "ok") continue;
      ++real;
      EXPECT_NEAR(line["score"].get<double>(), function->evaluate(x), 1e-9) << line.dump();
    }
    EXPECT_EQ(real, 12);
    fs::remove_all(dir);
  }
}

// SOO's synchronous batches leave workers idle while the last points of a batch train, for up to
// an hour of heartbeats and polls. The optimizer has nothing to propose until a result arrives:
// the journal gets one empty ask per wait, not one per heartbeat (which was 12,814 of 12,876
// lines of a 50-evaluation campaign).
TEST(Simulation, AWaitingOptimizerIsAskedAgainOnlyAfterAResult) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig config = parse_config(
      "campaign: {name: sim, budget: 12, direction: maximize, seed: 2}\n"
      "optimizer: {name: soo}\n"
      "objective: {kind: builtin, function: lora_surrogate, noise: 0.005, time_scale: 1.0}\n",
      "sim.yaml");
  const fs::path dir = fresh_run_dir(config);
  SimulationOptions options;
  options.workers = 4;
  options.epoch_unix = kEpoch;
  const SimulationResult result = run_simulation(config, dir.string(), options);
  ASSERT_EQ(testing_support::journal_evaluations(dir).size(), 12u);
  EXPECT_GT(result.stats.heartbeats, 1000) << "the waits this test is about did happen";
  int empty_asks = 0;
  bool empty_since_result = false;
  for (const auto& value : testing_support::journal_lines(dir)) {
    if (!value.contains("event")) {
      empty_since_result = false;
    } else if (value["event"] == "ask" && value["trials"].empty()) {
      EXPECT_FALSE(empty_since_result) << "asked again with nothing new: " << value.dump();
      empty_since_result = true;
      ++empty_asks;
    }
  }
  EXPECT_GT(empty_asks, 0) << "SOO did wait for its batches";
  fs::remove_all(dir);
}

// SOO's and BaMSOO's parallel strategies on 5 simulated workers whose 52-68 minute evaluations
// finish out of order (the interleaved asks and tells a cluster gives): a campaign cut after any
// journal line resumes by replaying its journal. Scheduler::replay throws unless the optimizer
// proposes every journaled point again, in order; the evaluations finished before the cut come
// back unchanged and are not run again, and no point is evaluated twice. (What follows the cut
// may differ from the uninterrupted run: the resumed workers all start free.)
class PartitionStrategyResume : public ::testing::TestWithParam<const char*> {};

TEST_P(PartitionStrategyResume, ReplaysTheJournalAfterAnyCut) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig config = parse_config(
      std::string("campaign: {name: sim, budget: 24, direction: maximize, seed: 4}\n"
                  "optimizer: ") +
          GetParam() +
          "\nobjective: {kind: builtin, function: lora_surrogate, noise: 0.005, time_scale: 0}\n",
      "sim.yaml");
  SimulationOptions options;
  options.workers = 5;
  options.epoch_unix = kEpoch;
  options.master_time_scale = 0.0;  // deterministic: the order of results is the costs' alone
  const fs::path reference = fresh_run_dir(config);
  run_simulation(config, reference.string(), options);
  const auto all = testing_support::journal_lines(reference);
  std::vector<std::string> texts;
  {
    std::ifstream file(reference / "journal.jsonl");
    for (std::string line; std::getline(file, line);) texts.push_back(line);
  }
  ASSERT_EQ(texts.size(), all.size());
  int asks_of_several = 0;
  for (const auto& line : all) {
    if (line.value("event", "") == "ask" && line["trials"].size() > 1) ++asks_of_several;
  }
  EXPECT_GT(asks_of_several, 0) << "the workers were asked for together";

  for (std::size_t keep = 2; keep < texts.size(); keep += 3) {
    SCOPED_TRACE(testing::Message() << "cut after line " << keep << " of " << texts.size());
    const fs::path dir = fresh_run_dir(config);
    {
      std::ofstream out(dir / "journal.jsonl", std::ios::trunc);
      for (std::size_t i = 0; i < keep; ++i) out << texts[i] << "\n";
    }
    std::map<long long, nlohmann::json> finished;
    for (std::size_t i = 0; i < keep; ++i) {
      if (!all[i].contains("event") && all[i].value("status", "") != "approximated") {
        finished[all[i]["id"].get<long long>()] = all[i];
      }
    }
    SimulatedTransportOptions transport_options;
    transport_options.workers = options.workers;
    transport_options.epoch_unix = kEpoch;
    transport_options.master_time_scale = 0.0;
    SimulatedTransport transport(transport_options);
    const CampaignOutcome outcome =
        run_campaign(config, dir.string(), transport, transport, /*resume=*/true);
    EXPECT_EQ(outcome.end, CampaignEnd::kBudget);
    const auto resumed = testing_support::journal_evaluations(dir);
    std::vector<std::vector<double>> units;
    std::size_t carried = 0;
    for (const auto& line : resumed) {
      if (line.value("status", "") == "approximated") continue;
      units.push_back(line["unit"].get<std::vector<double>>());
      const auto before = finished.find(line["id"].get<long long>());
      if (before == finished.end()) continue;
      ++carried;
      EXPECT_EQ(line["unit"], before->second["unit"]);
      EXPECT_EQ(line["score"], before->second["score"]);
      EXPECT_EQ(line["start"], before->second["start"]) << "finished before the cut: not rerun";
    }
    EXPECT_EQ(carried, finished.size());
    EXPECT_EQ(units.size(), 24u);
    std::sort(units.begin(), units.end());
    EXPECT_EQ(std::adjacent_find(units.begin(), units.end()), units.end()) << "a point twice";
    fs::remove_all(dir);
  }
  fs::remove_all(reference);
}

std::string strategy_label(const ::testing::TestParamInfo<const char*>& info) {
  static const char* const kNames[] = {"soo_async", "soo_wide", "soo_sweep", "bamsoo_async",
                                       "bamsoo_wide"};
  return kNames[info.index];
}

INSTANTIATE_TEST_SUITE_P(Strategies, PartitionStrategyResume,
                         ::testing::Values("{name: soo, parallel: async}",
                                           "{name: soo, parallel: wide}",
                                           "{name: soo, parallel: sweep}",
                                           "{name: bamsoo, parallel: async}",
                                           "{name: bamsoo, parallel: wide}"),
                         strategy_label);

// Rank 2 goes silent 30 s into its first 100 s evaluation: the scheduler gives it up once it
// has heard nothing for workers.silent_after_seconds of virtual time (at the first message
// after that: within one heartbeat of rank 1), and rank 1 evaluates the rest.
TEST(Simulation, ASilentWorkerIsGivenUpAfterTheConfiguredSilenceInVirtualTime) {
  spdlog::set_level(spdlog::level::off);
  const CampaignConfig config = parse_config(
      "campaign: {name: sim, budget: 4, direction: minimize, seed: 3}\n"
      "optimizer: {name: lhs}\n"
      "objective: {kind: builtin, function: branin}\n"
      "workers: {heartbeat_seconds: 10, silent_after_seconds: 60}\n",
      "sim.yaml");
  const fs::path dir = fresh_run_dir(config);
  SimulatedTransportOptions options;
  options.workers = 2;
  options.epoch_unix = kEpoch;
  options.eval_seconds = 100.0;
  options.master_time_scale = 0.0;
  options.silent_from = {{2, 30.0}};  // its heartbeats at 10, 20 and 30 s arrive, then nothing
  SimulatedTransport transport(options);
  const CampaignOutcome outcome = run_campaign(config, dir.string(), transport, transport);

  EXPECT_EQ(outcome.lost_workers, std::vector<int>{2});
  ASSERT_EQ(outcome.records.size(), 4u);
  for (const TrialRecord& record : outcome.records) {
    EXPECT_EQ(record.status, TrialStatus::kOk);
    EXPECT_EQ(record.worker, 1);
  }
  double lost_at = 0.0;
  for (const auto& value : testing_support::journal_lines(dir)) {
    if (value.value("event", "") == "worker_lost") {
      EXPECT_EQ(value["worker"], 2);
      lost_at = parse_iso8601_utc(value["time"].get<std::string>());
    }
  }
  EXPECT_GT(lost_at, kEpoch + 30.0 + 60.0) << "given up only after 60 s of virtual silence";
  EXPECT_LE(lost_at, kEpoch + 30.0 + 60.0 + 10.0 + kJournalTolerance) << "within a heartbeat";
  // One worker does the four evaluations: the lost one's from t = 100, after rank 1's first.
  EXPECT_NEAR(outcome.wall_seconds, 400.0, kTolerance);
  fs::remove_all(dir);
}

// A stop signal journals its "stop" event at the virtual time, among the campaign's other
// virtual times, not at today's date.
TEST(Simulation, AStopIsJournaledAtTheVirtualTime) {
  spdlog::set_level(spdlog::level::off);
  const CampaignConfig config = config_of("{name: lhs}", "{kind: builtin, function: branin}", 4);
  const fs::path dir = fresh_run_dir(config);
  SimulationOptions options;
  options.workers = 2;
  options.eval_seconds = 100.0;
  options.master_time_scale = 0.0;
  options.epoch_unix = kEpoch;
  install_stop_signal_handlers();
  clear_stop_signal();
  std::raise(SIGUSR2);  // before the first decision: the campaign stops at virtual second 0
  const SimulationResult result = run_simulation(config, dir.string(), options);
  clear_stop_signal();
  EXPECT_EQ(result.outcome.end, CampaignEnd::kSignal);
  std::optional<double> stopped_at;
  for (const auto& value : testing_support::journal_lines(dir)) {
    if (value.value("event", "") == "stop") {
      stopped_at = parse_iso8601_utc(value["time"].get<std::string>());
    }
  }
  ASSERT_TRUE(stopped_at.has_value());
  EXPECT_NEAR(*stopped_at, kEpoch, kJournalTolerance);
  fs::remove_all(dir);
}

TEST(Simulation, OnlyBuiltinObjectivesAndSaneOptionsAreAccepted) {
  const CampaignConfig config = parse_config(
      "campaign: {name: sim, budget: 4}\n"
      "search_space: {x: {type: float, low: 0, high: 1}}\n"
      "objective: {kind: command, command: [/bin/echo, '1']}\n",
      "command.yaml");
  SimulationOptions options;
  EXPECT_THROW(run_simulation(config, fs::temp_directory_path().string(), options), ConfigError);
  const CampaignConfig builtin = config_of("{name: lhs}", "{kind: builtin, function: branin}", 4);
  options.workers = 0;
  EXPECT_THROW(run_simulation(builtin, fs::temp_directory_path().string(), options), ConfigError);
  options.workers = 1;
  options.eval_seconds = -1.0;
  EXPECT_THROW(run_simulation(builtin, fs::temp_directory_path().string(), options), ConfigError);
}

}  // namespace
}  // namespace lorahpo
