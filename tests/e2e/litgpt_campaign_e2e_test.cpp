// The real workload's path end to end: the production campaign files of configs/llama32_3b/
// under mpirun -np 3, with only paths changed (the stand-in `litgpt` of tests/fixtures first in
// PATH, a fake base checkpoint, a temporary work directory), the budget cut to 10 and the
// timeout to seconds so that a hang is killed quickly. The stand-in injects one fault per trial
// id: each must end with the right status, and every campaign must still reach its budget.

#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_support.h"

namespace lorahpo::e2e {
namespace {

const std::string kSource = LORAHPO_SOURCE_DIR;

/// Copies configs/llama32_3b/<name>.yaml into a tree shaped like the repository (so its
/// {config_dir}-relative paths resolve there) with a fake Llama-3.2-3B checkpoint.
fs::path production_copy(const fs::path& root, const std::string& name) {
  fs::create_directories(root / "configs" / "llama32_3b");
  const fs::path checkpoint = root / "models" / "checkpoints" / "meta-llama" / "Llama-3.2-3B";
  fs::create_directories(checkpoint);
  std::ofstream(checkpoint / "lit_model.pth") << "weights";
  std::ofstream(checkpoint / "model_config.yaml")
      << "name: Llama-3.2-3B\nblock_size: 131072\nvocab_size: 128000\npadded_vocab_size: 128256\n"
         "n_layer: 28\nn_head: 24\nn_embd: 3072\nn_query_groups: 8\nintermediate_size: 8192\n";
  std::string text = read_file(kSource + "/configs/llama32_3b/" + name + ".yaml");
  text = std::regex_replace(text, std::regex("budget: 50"), "budget: 10");
  text = std::regex_replace(text, std::regex("timeout: 10800"), "timeout: 4");
  text = std::regex_replace(text, std::regex("/tmp/lorahpo-\\{trial_id\\}"), (root / "work" / "{trial_id}").string());
  const fs::path config = root / "configs" / "llama32_3b" / (name + ".yaml");
  std::ofstream(config) << text;
  return config;
}

class LitgptCampaign : public ::testing::TestWithParam<std::string> {};

TEST_P(LitgptCampaign, EachFaultEndsWithItsStatusAndTheCampaignCompletes) {
  const fs::path root = fresh_dir("litgpt_" + GetParam());
  const fs::path config = production_copy(root, GetParam());
  const fs::path out = root / "run";
  const std::string env = "PATH=" + kSource + "/tests/fixtures:$PATH LITGPT_STANDIN_HANG_SECONDS=60 "
                          "LITGPT_STANDIN_FAULTS=oom:1,hang:2,nan:3,noresults:4,signal:5,nocheckpoint:6 ";
  const RunResult result = run(env + mpirun(3) + " run " + config.string() + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;

  // Infrastructure errors (the kill by signal, the missing checkpoint) are retried twice
  // (failures.max_retries defaults to 2) and then count as errors; real failures never are.
  std::vector<nlohmann::json> journal;
  std::map<long long, int> retried;
  for (const auto& line : read_journal(out)) {
    if (line.value("retried", false)) {
      EXPECT_EQ(line["status"], "error") << line.dump();
      EXPECT_EQ(line.value("attempt", 1), ++retried[line["id"].get<long long>()]) << line.dump();
    } else {
      journal.push_back(line);
    }
  }
  EXPECT_EQ(retried, (std::map<long long, int>{{5, 2}, {6, 2}}));
  ASSERT_EQ(journal.size(), 10u) << result.output;
  std::map<long long, nlohmann::json> by_id;
  for (const auto& line : journal) by_id[line["id"].get<long long>()] = line;
  ASSERT_EQ(by_id.size(), 10u);
  EXPECT_EQ(by_id.at(5)["attempt"], 3);
  // Each earlier attempt's trial directory is kept beside the last one, logs included.
  EXPECT_TRUE(fs::exists(out / "trials" / "5.attempt-1" / "finetune.err.log"));
  EXPECT_TRUE(fs::exists(out / "trials" / "5.attempt-2"));

  const auto expect = [&](long long id, const char* status, const char* reason_part) {
    const auto& line = by_id.at(id);
    EXPECT_EQ(line["status"], status) << line.dump();
    EXPECT_NE(line["reason"].get<std::string>().find(reason_part), std::string::npos) << line.dump();
  };
  expect(1, "failed", "CUDA out of memory");
  expect(2, "failed", "timed out");
  expect(3, "failed", "diverged");
  expect(4, "failed", "results.json");
  expect(5, "error", "killed by signal");
  expect(6, "error", "missing checkpoint");
  for (long long id : {0LL, 7LL, 8LL, 9LL}) {
    const auto& line = by_id.at(id);
    if (line["params"]["learning_rate"].get<double>() > 3e-3) {
      // No fault injected, but a learning rate this high diverges (as in the real runs).
      expect(id, "failed", "diverged");
      continue;
    }
    ASSERT_EQ(line["status"], "ok") << line.dump();
    const double score = line["score"].get<double>();
    EXPECT_GT(score, 0.25);
    EXPECT_LT(score, 0.8);  // HellaSwag acc_norm of Llama-3.2-3B is about 0.73
    EXPECT_TRUE(line["metrics"].contains("test_score")) << line.dump();
    EXPECT_TRUE(line["metrics"]["hellaswag"].contains("acc,none")) << line.dump();
    EXPECT_TRUE(line["metrics"]["mmlu"].contains("acc,none")) << line.dump();
    // The node-local work directory's logs, config, LoRA weights and results came back; the
    // work directory itself and the merged model are gone.
    const fs::path trial = out / "trials" / std::to_string(id);
    for (const char* file : {"trial.yaml", "finetune.out.log", "evaluate.out.log", "results.json",
                             "lit_model.pth.lora"}) {
      EXPECT_TRUE(fs::exists(trial / file)) << trial / file;
    }
    EXPECT_FALSE(fs::exists(root / "work" / std::to_string(id))) << "work directory left behind";
    const std::string yaml = read_file(trial / "trial.yaml");
    EXPECT_NE(yaml.find("class_path: torch.optim.AdamW"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("lora_r: " + std::to_string(line["params"]["lora_r"].get<long long>())), std::string::npos) << yaml;
  }
  // A failed trial's logs come back too: the OOM traceback is there to read.
  EXPECT_NE(read_file(out / "trials" / "1" / "finetune.err.log").find("OutOfMemoryError"), std::string::npos);
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(ProductionConfigs, LitgptCampaign,
                         ::testing::Values("lhs", "bo_gp", "soo", "bamsoo"));

}  // namespace
}  // namespace lorahpo::e2e
