// End-to-end: the real `lorahpo` binary under mpirun, as a user runs it. The rank count comes
// from LORAHPO_TEST_RANKS (the CMake helper registers this test at 3 and 5 ranks).

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.h"

namespace lorahpo::e2e {
namespace {

TEST(CampaignEndToEnd, CommandObjectiveRecordsEachFaultModeAndReachesBudget) {
  const fs::path out = fresh_dir("command");
  const std::string config =
      std::string(LORAHPO_SOURCE_DIR) + "/tests/fixtures/command_campaign.yaml";
  const RunResult result = run(mpirun(ranks()) + " run " + config + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const auto journal = read_journal(out);
  ASSERT_EQ(journal.size(), 20u) << result.output;
  std::set<long long> ids;
  std::map<std::string, int> per_mode;
  for (const auto& line : journal) {
    ids.insert(line["id"].get<long long>());
    for (const char* key :
         {"id", "status", "score", "reason", "params", "unit", "worker", "host", "start", "end"}) {
      EXPECT_TRUE(line.contains(key)) << key << " missing in " << line.dump();
    }
    const std::string mode = line["params"]["mode"];
    const std::string status = line["status"];
    const std::string reason = line["reason"];
    ++per_mode[mode];
    if (mode == "ok") {
      EXPECT_EQ(status, "ok") << line.dump();
      EXPECT_TRUE(line["score"].is_number()) << line.dump();
      EXPECT_GT(line["score"].get<double>(), 0.25);
    } else {
      EXPECT_EQ(status, "failed") << line.dump();
      EXPECT_TRUE(line["score"].is_null()) << line.dump();
    }
    if (mode == "exit1") {
      EXPECT_NE(reason.find("exited with code 1"), std::string::npos) << reason;
    }
    if (mode == "exit1") {
      EXPECT_NE(reason.find("simulated training crash"), std::string::npos) << reason;
    }
    if (mode == "hang") {
      EXPECT_NE(reason.find("timed out"), std::string::npos) << reason;
    }
    if (mode == "nofile") {
      EXPECT_NE(reason.find("was not written"), std::string::npos) << reason;
    }
    if (mode == "nokey") {
      EXPECT_NE(reason.find("no value at"), std::string::npos) << reason;
    }
    const int worker = line["worker"];
    EXPECT_GE(worker, 1);
    EXPECT_LT(worker, ranks());
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 19);
  for (const char* mode : {"ok", "exit1", "hang", "nofile", "nokey"}) {
    EXPECT_EQ(per_mode[mode], 4) << mode;  // LHS: one point per stratum of the categorical
  }

  // The child ran in its trial directory with its output saved there.
  EXPECT_TRUE(fs::exists(out / "trials" / "0" / "stdout.log"));
  EXPECT_TRUE(fs::exists(out / "trials" / "0" / "stderr.log"));
  std::ifstream csv(out / "results.csv");
  int rows = 0;
  for (std::string row; std::getline(csv, row);) ++rows;
  EXPECT_EQ(rows, 21);  // header + 20
  const auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  EXPECT_EQ(summary["evaluations"]["ok"], 4);
  EXPECT_EQ(summary["evaluations"]["failed"], 16);
  EXPECT_TRUE(summary["best"]["params"].contains("learning_rate"));
  fs::remove_all(out);
}

TEST(CampaignEndToEnd, BuiltinCampaignReportsTheBestConfiguration) {
  const fs::path dir = fresh_dir("builtin");
  fs::create_directories(dir);
  const fs::path config = dir / "branin.yaml";
  std::ofstream(config) << "campaign: {name: branin_e2e, budget: 30, seed: 3}\n"
                           "optimizer: {name: random}\n"
                           "objective: {kind: builtin, function: branin}\n";
  const fs::path out = dir / "run";
  const RunResult result =
      run(mpirun(ranks()) + " run " + config.string() + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_journal(out).size(), 30u);
  EXPECT_NE(result.output.find("best observed score"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("recommended: evaluation #"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("x1 = "), std::string::npos) << result.output;
  const auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  EXPECT_EQ(summary["direction"], "minimize");
  EXPECT_LT(summary["best"]["score"].get<double>(), 10.0);
  // The recommendation: an evaluated point, by the GP's posterior mean (noiseless Branin: close
  // to what was measured there).
  const auto& recommended = summary["recommended"];
  EXPECT_EQ(recommended["rule"], "gp_posterior_mean") << recommended.dump();
  EXPECT_LT(recommended["posterior_mean"].get<double>(), 10.0) << recommended.dump();
  EXPECT_NEAR(recommended["posterior_mean"].get<double>(),
              recommended["observed_mean"].get<double>(), 1.0)
      << recommended.dump();
  // No noise known (a builtin without `noise`, no re-checks): the GP learned it.
  EXPECT_EQ(recommended["noise"]["source"], "learned") << recommended.dump();
  EXPECT_TRUE(recommended["noise"]["sd"].is_null()) << recommended.dump();
  EXPECT_NE(result.output.find("measurement noise: learned by the GP"), std::string::npos)
      << result.output;

  // The same --out again is refused: a campaign is never overwritten.
  const RunResult again =
      run(mpirun(ranks()) + " run " + config.string() + " --out " + out.string());
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("--resume " + out.string()), std::string::npos) << again.output;
  fs::remove_all(dir);
}

/// Asynchronous BO-GP on the LoRA surrogate fitted to the 150 real runs: every evaluation is a
/// real-looking HellaSwag accuracy with its MMLU metric, and no configuration is run twice.
TEST(CampaignEndToEnd, BoGpOnTheLoraSurrogateRunsEachConfigurationOnce) {
  constexpr int kBudget = 16;
  const fs::path dir = fresh_dir("lora_bo");
  fs::create_directories(dir);
  const fs::path config = dir / "lora.yaml";
  std::ofstream(config) << "campaign: {name: lora_bo_e2e, budget: 16, seed: 11}\n"
                           "optimizer: {name: bo_gp, mode: async, n_init: 6}\n"
                           "objective: {kind: builtin, function: lora_surrogate, time_scale: 0, "
                           "noise: 0.005}\n";
  const fs::path out = dir / "run";
  const RunResult result =
      run(mpirun(ranks()) + " run " + config.string() + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const auto journal = read_journal(out);
  ASSERT_EQ(journal.size(), static_cast<std::size_t>(kBudget)) << result.output;
  std::set<long long> ids;
  std::set<std::string> params;
  for (const auto& line : journal) {
    ids.insert(line["id"].get<long long>());
    EXPECT_EQ(line["status"], "ok") << line.dump();
    ASSERT_TRUE(line["score"].is_number()) << line.dump();
    // The default score is HellaSwag acc_norm: chance (0.25) minus noise up to the plateau
    // (0.74, the warp's ceiling 0.76) plus noise.
    EXPECT_GE(line["score"].get<double>(), 0.2) << line.dump();
    EXPECT_LE(line["score"].get<double>(), 0.8) << line.dump();
    ASSERT_TRUE(line.contains("metrics")) << line.dump();
    EXPECT_TRUE(line["metrics"].contains("mmlu_acc")) << line.dump();
    EXPECT_TRUE(line["metrics"].contains("hellaswag_acc")) << line.dump();
    EXPECT_EQ(line["metrics"]["hellaswag_acc_norm"], line["metrics"]["noiseless"]) << line.dump();
    EXPECT_TRUE(params.insert(line["params"].dump()).second)
        << "run twice: " << line["params"].dump();
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kBudget));

  const auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  EXPECT_EQ(summary["direction"], "maximize");
  const auto& best = summary["best"]["params"];
  ASSERT_TRUE(best.is_object()) << summary.dump();
  EXPECT_EQ(best.size(), 5u) << best.dump();
  for (const char* name :
       {"learning_rate", "lora_r", "lora_alpha", "lora_dropout", "weight_decay"}) {
    EXPECT_TRUE(best.contains(name)) << name << " missing in " << best.dump();
  }
  fs::remove_all(dir);
}

/// SOO and BaMSOO through the real binary, with each parallel strategy: Branin with budget 20,
/// and BaMSOO on the LoRA surrogate with budget 30, where the GP's bound skips children of the
/// divergence region (measured with sweeps: 2 approximated, at 3 and at 5 ranks). Every real
/// evaluation is journaled as ok, each point once; an approximated child is journaled too, with
/// no score and the GP's bounds as metrics; a point BaMSOO's GP sent to evaluation carries the
/// bound that did (UCB >= f+ at its decision).
TEST(CampaignEndToEnd, OptimisticOptimizersReachTheBudgetAndJournalTheirApproximations) {
  struct Case {
    const char* optimizer;
    const char* parallel;
    const char* function;
    int budget;
  };
  for (const Case c :
       {Case{"soo", "sweep", "branin", 20}, Case{"soo", "async", "branin", 20},
        Case{"soo", "wide", "branin", 20}, Case{"bamsoo", "sweep", "branin", 20},
        Case{"bamsoo", "wide", "branin", 20}, Case{"bamsoo", "sweep", "lora_surrogate", 30},
        Case{"bamsoo", "async", "lora_surrogate", 30}}) {
    SCOPED_TRACE(testing::Message() << c.optimizer << " " << c.parallel << " on " << c.function);
    const fs::path dir = fresh_dir(std::string(c.optimizer) + "_" + c.parallel + "_" + c.function);
    fs::create_directories(dir);
    const fs::path config = dir / "campaign.yaml";
    std::ofstream(config) << "campaign: {name: " << c.optimizer << "_e2e, budget: " << c.budget
                          << ", seed: 5}\n"
                          << "optimizer: {name: " << c.optimizer << ", parallel: " << c.parallel
                          << "}\n"
                          << "objective: {kind: builtin, function: " << c.function
                          << (std::string(c.function) == "lora_surrogate" ? ", time_scale: 0" : "")
                          << "}\n";
    const fs::path out = dir / "run";
    const RunResult result =
        run(mpirun(ranks()) + " run " + config.string() + " --out " + out.string());
    ASSERT_EQ(result.exit_code, 0) << result.output;

    int ok = 0;
    int approximated = 0;
    std::set<long long> ids;
    std::set<std::vector<double>> points;
    for (const auto& line : read_journal(out)) {
      EXPECT_TRUE(ids.insert(line["id"].get<long long>()).second) << "id twice: " << line.dump();
      const std::string status = line["status"];
      if (status == "ok") {
        ++ok;
        EXPECT_TRUE(line["score"].is_number()) << line.dump();
        EXPECT_TRUE(points.insert(line["unit"].get<std::vector<double>>()).second)
            << "a point evaluated twice: " << line.dump();
        const auto& decision = line.value("optimizer", nlohmann::json::object());
        if (decision.contains("ucb")) {
          EXPECT_EQ(std::string(c.optimizer), "bamsoo") << line.dump();
          EXPECT_GE(decision["ucb"].get<double>(), decision["f_plus"].get<double>()) << line.dump();
        }
      } else if (status == "approximated") {
        ++approximated;
        EXPECT_EQ(std::string(c.optimizer), "bamsoo") << line.dump();
        EXPECT_TRUE(line["score"].is_null()) << line.dump();
        const auto& m = line["metrics"];
        for (const char* key : {"mu", "sigma", "lcb", "ucb"}) {
          ASSERT_TRUE(m.contains(key) && m[key].is_number())
              << key << " missing in " << line.dump();
        }
        EXPECT_LE(m["lcb"].get<double>(), m["mu"].get<double>()) << line.dump();
        EXPECT_LE(m["mu"].get<double>(), m["ucb"].get<double>()) << line.dump();
      } else {
        ADD_FAILURE() << "unexpected status: " << line.dump();
      }
    }
    EXPECT_EQ(ok, c.budget) << result.output;
    // Deterministic for sweeps (their points do not depend on the order results arrive in); async
    // decides on the tree as the results came, which MPI orders differently from run to run.
    if (std::string(c.function) == "lora_surrogate" && std::string(c.parallel) == "sweep") {
      EXPECT_GE(approximated, 1) << "the divergence region should be approximated";
    }
    const auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
    EXPECT_EQ(summary["optimizer"], c.optimizer);
    EXPECT_EQ(summary["evaluations"]["ok"], c.budget) << summary.dump();
    EXPECT_EQ(summary["approximated"], approximated) << summary.dump();
    fs::remove_all(dir);
  }
}

TEST(CampaignEndToEnd, BadConfigExitsTwoOnEveryRankCount) {
  const fs::path dir = fresh_dir("bad");
  fs::create_directories(dir);
  const fs::path config = dir / "bad.yaml";
  std::ofstream(config) << "campaign: {name: bad, budget: 0}\n"
                           "objective: {kind: builtin, function: branin}\n";
  const RunResult result =
      run(mpirun(ranks()) + " run " + config.string() + " --out " + (dir / "run").string());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("bad.yaml:1: campaign.budget"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "run"));
  fs::remove_all(dir);
}

TEST(CampaignEndToEnd, OneRankSaysWorkersAreNeeded) {
  const std::string config =
      std::string(LORAHPO_SOURCE_DIR) + "/tests/fixtures/command_campaign.yaml";
  const RunResult result =
      run(mpirun(1) + " run " + config + " --out " + fresh_dir("single").string());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("at least 2 MPI ranks"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace lorahpo::e2e
