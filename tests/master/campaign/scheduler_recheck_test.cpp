// Re-checks in the idle tail (RecheckPolicy, Scheduler::start_rechecks): on simulated workers
// (the virtual clock makes the tail exact), and with scripted workers for the preemption.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/local_transport.h"
#include "master/campaign/campaign.h"
#include "master/campaign/scheduler.h"
#include "master/config/config_loader.h"
#include "master/optimizers/latin_hypercube.h"
#include "master/simulation/simulated_transport.h"
#include "master/simulation/simulation.h"
#include "tests/support/journal_lines.h"
#include "worker/builtin_objective.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

constexpr double kEpoch = 1.7e9;

fs::path fresh_run_dir(const CampaignConfig& config) {
  static int counter = 0;
  const fs::path dir =
      fs::temp_directory_path() /
      ("lorahpo_recheck_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  create_run_directory(dir.string(), config);
  return dir;
}

/// 20 evaluations on 8 workers: rounds of 8, 8 and 4, so four workers idle in the last round
/// (the real 52-68 minute costs of the LoRA surrogate, by rank).
CampaignConfig tail_config(const std::string& rechecks, int budget = 20) {
  return parse_config("campaign: {name: tail, budget: " + std::to_string(budget) +
                          ", direction: maximize, seed: 5}\n"
                          "optimizer: {name: lhs}\n"
                          "objective: {kind: builtin, function: lora_surrogate, noise: 0.005, "
                          "time_scale: 0}\n" +
                          rechecks,
                      "tail.yaml");
}

/// Every "recheck" line of the journal names one of the `top_k` points by mean observed score
/// (ties: the earlier evaluation) among the results journaled before it. The eight results of a
/// round arrive at the same virtual time but are told one at a time, so the top k can change
/// between two re-checks started at that time.
void expect_rechecks_of_the_top(const fs::path& dir, int top_k) {
  std::map<std::int64_t, std::pair<double, int>> measured;  // point id -> (sum, count)
  int rechecks = 0;
  for (const auto& line : testing_support::journal_lines(dir)) {
    if (line.value("event", "") == "recheck") {
      std::vector<std::pair<double, std::int64_t>> ranked;  // (-mean, id): best first
      for (const auto& [id, m] : measured) ranked.emplace_back(-m.first / m.second, id);
      std::sort(ranked.begin(), ranked.end());
      ranked.resize(std::min(ranked.size(), static_cast<std::size_t>(top_k)));
      const auto of = line["of"].get<std::int64_t>();
      EXPECT_TRUE(
          std::any_of(ranked.begin(), ranked.end(), [&](const auto& r) { return r.second == of; }))
          << "re-check of #" << of << " outside the top " << top_k << ": " << line.dump();
      ++rechecks;
      continue;
    }
    if (line.contains("event") || line.value("status", "") != "ok") continue;
    const std::int64_t id = line.contains("recheck_of") ? line["recheck_of"].get<std::int64_t>()
                                                        : line["id"].get<std::int64_t>();
    auto& m = measured[id];
    m.first += line["score"].get<double>();
    ++m.second;
  }
  EXPECT_GT(rechecks, 0);
}

SimulationOptions eight_workers() {
  SimulationOptions options;
  options.workers = 8;
  options.epoch_unix = kEpoch;
  options.master_time_scale = 0.0;
  return options;
}

TEST(SchedulerRechecks, RunOnlyInTheTailOutsideTheBudgetAndCancelledAtItsEnd) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig plain = tail_config("");
  const CampaignConfig config = tail_config(
      "rechecks: {top_k: 3, max_measurements: 3, only_if_it_fits: false, at_end: "
      "cancel}\n");
  const fs::path plain_dir = fresh_run_dir(plain);
  const fs::path dir = fresh_run_dir(config);
  const SimulationResult without = run_simulation(plain, plain_dir.string(), eight_workers());
  const SimulationResult with = run_simulation(config, dir.string(), eight_workers());

  // The budget is the budget: the same 20 evaluations, at the same times, the same end.
  ASSERT_EQ(with.outcome.records.size(), 20u);
  EXPECT_TRUE(without.outcome.rechecks.empty());
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(with.outcome.records[i].unit, without.outcome.records[i].unit);
    EXPECT_EQ(with.outcome.records[i].start_unix, without.outcome.records[i].start_unix);
    EXPECT_FALSE(with.outcome.records[i].recheck_of);
  }
  EXPECT_DOUBLE_EQ(with.outcome.wall_seconds, without.outcome.wall_seconds)
      << "the campaign does not wait for its re-checks";
  EXPECT_EQ(with.stats.evaluations - static_cast<int>(with.outcome.rechecks.size()), 20);

  // The tail: four workers idle from the moment the last budget point left.
  double last_ask = 0.0, last_end = 0.0;
  for (const TrialRecord& r : with.outcome.records) {
    last_ask = std::max(last_ask, r.start_unix);
    last_end = std::max(last_end, r.end_unix);
  }
  ASSERT_FALSE(with.outcome.rechecks.empty());
  std::map<std::int64_t, std::set<int>> replicates;
  std::map<std::vector<double>, double> first_score;
  for (const TrialRecord& r : with.outcome.records) first_score[r.unit] = r.score.value_or(0.0);
  std::vector<double> scores;
  for (const auto& [unit, score] : first_score) scores.push_back(score);
  std::sort(scores.rbegin(), scores.rend());
  int finished = 0;
  for (const TrialRecord& r : with.outcome.rechecks) {
    ASSERT_TRUE(r.recheck_of);
    EXPECT_GE(r.start_unix, last_ask) << "#" << r.id << ": before the whole budget was asked";
    EXPECT_LE(r.end_unix, last_end + 1e-6) << "#" << r.id << ": ran past the budget's end";
    const auto of = std::find_if(with.outcome.records.begin(), with.outcome.records.end(),
                                 [&](const TrialRecord& b) { return b.id == *r.recheck_of; });
    ASSERT_NE(of, with.outcome.records.end());
    EXPECT_EQ(r.unit, of->unit) << "a re-check measures its point again";
    EXPECT_TRUE(replicates[*r.recheck_of].insert(r.replicate).second) << "a seed used twice";
    EXPECT_GE(r.replicate, 1);
    EXPECT_LE(r.replicate, 2) << "max_measurements 3: the first and two re-checks";
    // Before any re-check came back, the top 3 were the three best first measurements.
    EXPECT_GE(of->score.value(), scores[2] - 0.05);
    if (r.status == TrialStatus::kOk) ++finished;
  }
  EXPECT_GT(finished, 0) << "some re-checks fit in the tail";
  EXPECT_EQ(with.outcome.rechecks_cancelled,
            static_cast<int>(with.outcome.rechecks.size()) - finished);
  // Only finished re-checks count as work done.
  EXPECT_GT(with.outcome.busy_seconds, without.outcome.busy_seconds);
  EXPECT_GT(with.utilization, without.utilization);

  // The journal: a "recheck" line before each re-check's result line, none before the last ask.
  const auto lines = testing_support::journal_lines(dir);
  std::size_t last_ask_line = 0;
  std::set<long long> announced;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string event = lines[i].value("event", "");
    if (event == "ask" && !lines[i]["trials"].empty()) last_ask_line = i;
    if (event == "recheck") {
      EXPECT_GT(i, last_ask_line);
      announced.insert(lines[i]["id"].get<long long>());
    }
    if (lines[i].contains("recheck_of")) {
      EXPECT_TRUE(announced.count(lines[i]["id"].get<long long>())) << lines[i].dump();
    }
  }
  EXPECT_EQ(announced.size(), with.outcome.rechecks.size());
  const nlohmann::json summary = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  EXPECT_EQ(summary["evaluations"]["ok"].get<int>(), 20);
  EXPECT_EQ(summary["rechecks"]["ok"].get<int>(), finished);
  EXPECT_EQ(summary["rechecks"]["cancelled"].get<int>(), with.outcome.rechecks_cancelled);
  // The recommendation pools a point's measurements, and summary.json says how much repeated
  // measurements scattered: each ok re-check is one degree of freedom.
  ASSERT_TRUE(with.outcome.recommended);
  ASSERT_GT(finished, 0);
  const auto& spread = summary["recommended"]["noise"]["replicates"];
  ASSERT_TRUE(spread.is_object()) << summary["recommended"].dump();
  EXPECT_EQ(spread["degrees_of_freedom"].get<int>(), finished);
  EXPECT_GE(spread["sd"].get<double>(), 0.0);
  fs::remove_all(plain_dir);
  fs::remove_all(dir);
}

// Equal evaluations of 100 s, 20 on 8 workers: rounds of 8, 8 and 4. The four workers idle in
// the last round re-check the best points, which fit exactly: the campaign ends when it would
// have, with every worker busy to the end.
TEST(SchedulerRechecks, ByDefaultOnlyThoseThatFitBeforeTheBudgetsEnd) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig plain = tail_config("");
  const CampaignConfig config = tail_config("rechecks: {top_k: 2}\n");
  EXPECT_TRUE(config.rechecks.only_if_it_fits);
  EXPECT_TRUE(config.rechecks.wait_at_end);
  SimulationOptions options = eight_workers();
  options.eval_seconds = 100.0;
  const fs::path plain_dir = fresh_run_dir(plain);
  const fs::path dir = fresh_run_dir(config);
  const SimulationResult without = run_simulation(plain, plain_dir.string(), options);
  const SimulationResult with = run_simulation(config, dir.string(), options);
  EXPECT_DOUBLE_EQ(without.outcome.wall_seconds, 300.0);
  EXPECT_DOUBLE_EQ(with.outcome.wall_seconds, 300.0) << "the end is not delayed";
  ASSERT_EQ(with.outcome.rechecks.size(), 4u);
  std::map<std::int64_t, int> per_point;
  for (const TrialRecord& r : with.outcome.rechecks) {
    EXPECT_EQ(r.status, TrialStatus::kOk) << r.reason;
    EXPECT_DOUBLE_EQ(r.start_unix, kEpoch + 200.0);
    ++per_point[*r.recheck_of];
  }
  // top_k 2, least measured first: no point gets a third measurement while another of the top
  // two has one.
  for (const auto& [of, n] : per_point) EXPECT_LE(n, 2) << "#" << of;
  expect_rechecks_of_the_top(dir, 2);
  EXPECT_NEAR(without.utilization, 2000.0 / 2400.0, 1e-9);
  EXPECT_NEAR(with.utilization, 1.0, 1e-9);
  fs::remove_all(plain_dir);
  fs::remove_all(dir);

  // The real 52-68 minute costs: a re-check starts only if its point's duration fits before the
  // budget's expected end (its last evaluations' start + the median duration), so the campaign
  // ends at most the spread of the durations later, never a whole evaluation later.
  const fs::path plain_real = fresh_run_dir(plain);
  const fs::path real_dir = fresh_run_dir(config);
  const SimulationResult without_real = run_simulation(plain, plain_real.string(), eight_workers());
  const SimulationResult with_real = run_simulation(config, real_dir.string(), eight_workers());
  double shortest = 1e18, longest = 0.0;
  for (const TrialRecord& r : with_real.outcome.records) {
    shortest = std::min(shortest, r.end_unix - r.start_unix);
    longest = std::max(longest, r.end_unix - r.start_unix);
  }
  EXPECT_LE(with_real.outcome.wall_seconds,
            without_real.outcome.wall_seconds + (longest - shortest));
  for (const TrialRecord& r : with_real.outcome.rechecks) EXPECT_EQ(r.status, TrialStatus::kOk);
  fs::remove_all(plain_real);
  fs::remove_all(real_dir);
}

// only_if_it_fits: false, at_end: wait: idle workers re-check until the budget's last evaluation
// ends and all of them finish; the campaign ends with the last, less than one evaluation after
// the budget's last.
TEST(SchedulerRechecks, WaitedForAtTheEndWhenNotOnlyThoseThatFit) {
  spdlog::set_level(spdlog::level::warn);
  const CampaignConfig plain = tail_config("");
  const CampaignConfig config = tail_config("rechecks: {top_k: 3, only_if_it_fits: false}\n");
  EXPECT_TRUE(config.rechecks.wait_at_end);
  const fs::path plain_dir = fresh_run_dir(plain);
  const fs::path dir = fresh_run_dir(config);
  const SimulationResult without = run_simulation(plain, plain_dir.string(), eight_workers());
  const SimulationResult with = run_simulation(config, dir.string(), eight_workers());
  ASSERT_EQ(with.outcome.records.size(), 20u);
  double last_end = 0.0, longest = 0.0;
  for (std::size_t i = 0; i < 20; ++i) {
    const TrialRecord& r = with.outcome.records[i];
    EXPECT_EQ(r.start_unix, without.outcome.records[i].start_unix) << "the budget is not delayed";
    last_end = std::max(last_end, r.end_unix);
    longest = std::max(longest, r.end_unix - r.start_unix);
  }
  ASSERT_GE(with.outcome.rechecks.size(), 4u) << "four workers idle in the last round";
  EXPECT_EQ(with.outcome.rechecks_cancelled, 0);
  double end = last_end;
  for (const TrialRecord& r : with.outcome.rechecks) {
    EXPECT_EQ(r.status, TrialStatus::kOk) << r.reason;
    EXPECT_LT(r.start_unix, last_end) << "started while the budget ran";
    end = std::max(end, r.end_unix);
  }
  EXPECT_NEAR(kEpoch + with.outcome.wall_seconds, end, 1e-6) << "the campaign waited for them";
  EXPECT_LT(with.outcome.wall_seconds, without.outcome.wall_seconds + longest);
  EXPECT_GT(with.utilization, without.utilization) << "the idle tail did work";
  // Every point re-checked is one of the top 3 by its measurements' mean at the time: here,
  // with one or two measurements each, at least among the best 5 first measurements.
  ASSERT_TRUE(with.outcome.recommended);
  EXPECT_GE(with.outcome.recommended->measurements, 1);
  fs::remove_all(plain_dir);
  fs::remove_all(dir);
}

TEST(SchedulerRechecks, OffByDefaultAndWhenTheBudgetFillsEveryRound) {
  spdlog::set_level(spdlog::level::warn);
  // 16 on 8 workers: no idle round, but the costs differ by rank, so workers still idle while
  // the slowest run: re-checks may start there, and never change the budget's evaluations.
  const CampaignConfig config = tail_config("rechecks: {top_k: 2}\n", 16);
  const fs::path dir = fresh_run_dir(config);
  const SimulationResult result = run_simulation(config, dir.string(), eight_workers());
  EXPECT_EQ(result.outcome.records.size(), 16u);
  for (const TrialRecord& r : result.outcome.rechecks) EXPECT_LE(r.replicate, 3);
  fs::remove_all(dir);
  EXPECT_EQ(tail_config("").rechecks.top_k, 0) << "off unless asked for";
}

// A cut anywhere in the journal: the re-checks finished before it come back as they were (not
// run again, in the recommendation's measurements), no id and no seed of a point is used
// twice, and the budget is still exactly the budget.
TEST(SchedulerRechecks, ResumeReplaysTheFinishedRechecks) {
  spdlog::set_level(spdlog::level::off);
  // Not only those that fit: whether a re-check of the top three fits the tail depends on the
  // surrogate's landscape (which points lead, and their costs); this test is about replay.
  const CampaignConfig config =
      tail_config("rechecks: {top_k: 3, max_measurements: 4, only_if_it_fits: false}\n");
  const fs::path reference = fresh_run_dir(config);
  run_simulation(config, reference.string(), eight_workers());
  std::vector<std::string> texts;
  {
    std::ifstream file(reference / "journal.jsonl");
    for (std::string line; std::getline(file, line);) texts.push_back(line);
  }
  const auto all = testing_support::journal_lines(reference);
  std::size_t first_recheck = texts.size();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].contains("recheck_of") && first_recheck == texts.size()) first_recheck = i;
  }
  ASSERT_LT(first_recheck, texts.size()) << "the reference has a finished re-check";

  for (std::size_t keep = first_recheck - 2; keep <= texts.size(); ++keep) {
    SCOPED_TRACE(testing::Message() << "cut after line " << keep << " of " << texts.size());
    const fs::path dir = fresh_run_dir(config);
    {
      std::ofstream out(dir / "journal.jsonl", std::ios::trunc);
      for (std::size_t i = 0; i < keep; ++i) out << texts[i] << "\n";
    }
    std::map<long long, nlohmann::json> finished_rechecks;
    for (std::size_t i = 0; i < keep; ++i) {
      if (all[i].contains("recheck_of")) finished_rechecks[all[i]["id"].get<long long>()] = all[i];
    }
    SimulatedTransportOptions transport_options;
    transport_options.workers = 8;
    transport_options.epoch_unix = kEpoch;
    transport_options.master_time_scale = 0.0;
    SimulatedTransport transport(transport_options);
    const CampaignOutcome outcome =
        run_campaign(config, dir.string(), transport, transport, /*resume=*/true);
    EXPECT_EQ(outcome.end, CampaignEnd::kBudget);
    EXPECT_EQ(outcome.records.size(), 20u);
    std::size_t carried = 0;
    std::set<long long> ids;
    std::map<long long, std::set<int>> seeds;
    for (const TrialRecord& r : outcome.records) EXPECT_TRUE(ids.insert(r.id).second);
    for (const TrialRecord& r : outcome.rechecks) {
      EXPECT_TRUE(ids.insert(r.id).second) << "id " << r.id << " used twice";
      EXPECT_TRUE(seeds[*r.recheck_of].insert(r.replicate).second)
          << "seed offset " << r.replicate << " of #" << *r.recheck_of << " used twice";
      const auto before = finished_rechecks.find(r.id);
      if (before == finished_rechecks.end()) continue;
      ++carried;
      EXPECT_EQ(r.score.has_value(), before->second["score"].is_number());
      if (r.score) {
        EXPECT_EQ(*r.score, before->second["score"].get<double>());
      }
    }
    EXPECT_EQ(carried, finished_rechecks.size());
    fs::remove_all(dir);
  }
  fs::remove_all(reference);
}

// A budget point waits (its node failed: the retry needs a worker) while every other worker
// re-checks: the most recent re-check is cancelled for it at once, journaled as such.
TEST(SchedulerRechecks, GiveWayToABudgetEvaluationThatNeedsAWorker) {
  spdlog::set_level(spdlog::level::off);
  const fs::path dir =
      fs::temp_directory_path() / ("lorahpo_recheck_preempt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "trials");
  LocalNetwork network(4);
  // Rank 1: answers budget evaluations at once, holds a re-check until it is cancelled.
  // Rank 2: its node is faulty (the second budget point fails there, and is retried).
  // Rank 3: like rank 1.
  const auto worker = [&](int rank) {
    auto endpoint = network.endpoint(rank);
    std::optional<EvaluateMessage> held;
    while (true) {
      const auto envelope = endpoint->receive(std::chrono::milliseconds(20));
      if (!envelope) continue;
      if (envelope->tag == MessageTag::kShutdown) return;
      ResultMessage result;
      result.metrics_json = "{}";
      if (envelope->tag == MessageTag::kCancel) {
        if (!held) continue;
        result.trial_id = held->trial_id;
        result.status = TrialStatus::kError;
        result.reason = "cancelled";
        held.reset();
        endpoint->send(0, MessageTag::kResult, encode(result));
        continue;
      }
      if (envelope->tag != MessageTag::kEvaluate) continue;
      const auto request = decode<EvaluateMessage>(envelope->payload);
      if (request.replicate > 0) {
        held = request;
        continue;
      }
      result.trial_id = request.trial_id;
      if (rank == 2) {
        // The fault is reported only once both others are busy re-checking.
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        result.status = TrialStatus::kError;
        result.reason = std::string(kNodeFaultPrefix) + "no GPU";
      } else {
        result.status = TrialStatus::kOk;
        result.score = 1.0 + rank;
      }
      endpoint->send(0, MessageTag::kResult, encode(result));
    }
  };
  std::vector<std::thread> threads;
  for (int rank = 1; rank <= 3; ++rank) threads.emplace_back(worker, rank);
  auto master = network.endpoint(0);

  BuiltinObjective branin;
  branin.function = "branin";
  SetupMessage setup;
  setup.objective.builtin = branin;
  setup.space = describe_builtin(branin).space;
  std::mt19937_64 rng(1);
  LatinHypercubeSearch lhs(setup.space.dim(), 3, rng);
  Journal journal(dir.string(), setup.space);
  SchedulerOptions options;
  options.budget = 3;
  options.trials_dir = (dir / "trials").string();
  options.rechecks.top_k = 2;
  options.rechecks.wait_at_end = false;      // rank 1 holds its re-check until it is cancelled
  options.rechecks.only_if_it_fits = false;  // the scripted answers take no time
  options.workers.heartbeat_seconds = 0.1;
  Scheduler scheduler(*master, system_clock(), lhs, setup.space, journal, options);
  const CampaignOutcome outcome = scheduler.run(setup);
  for (auto& t : threads) t.join();

  ASSERT_EQ(outcome.records.size(), 3u);
  for (const TrialRecord& r : outcome.records) EXPECT_EQ(r.status, TrialStatus::kOk) << r.id;
  ASSERT_GE(outcome.rechecks.size(), 2u);
  int preempted = 0, at_end = 0;
  for (const TrialRecord& r : outcome.rechecks) {
    EXPECT_EQ(r.status, TrialStatus::kError);
    if (r.reason.find("a budget evaluation needed its worker") != std::string::npos) ++preempted;
    if (r.reason.find("the last budget evaluation ended") != std::string::npos) ++at_end;
  }
  EXPECT_EQ(preempted, 1) << "one worker was needed, one re-check gave way";
  EXPECT_GE(at_end, 1) << "the other one ran until the budget ended";
  EXPECT_EQ(outcome.rechecks_cancelled, static_cast<int>(outcome.rechecks.size()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lorahpo
