// The real workload's path end to end: the production campaign files of configs/llama32_3b/
// under mpirun -np 3, with only paths changed (the stand-in `litgpt` of tests/fixtures first in
// PATH, a fake Llama-3.2-3B checkpoint, a temporary work directory), the budget cut to 6 and the
// timeout to a minute. The stand-in runs with its DEFAULT behaviours, those of litgpt v0.5.13 and
// lm_eval 0.4.x: the end-of-epoch generation hangs on 4 devices unless eval.max_new_tokens skips
// it, a diverged loss goes on to the end of the epoch, a child rank's OOM SIGKILLs the main
// process, results.json carries every sample. Three trials get a fault that takes one of those
// default paths (oom:1 an OOM on a child rank, nan:2 a divergence whatever the learning rate) or
// an infrastructure failure (signal:5); learning rates past 3e-3 diverge on their own.

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_support.h"

namespace lorahpo::e2e {
namespace {

const std::string kSource = LORAHPO_SOURCE_DIR;

/// Copies configs/llama32_3b/<name>.yaml into a tree shaped like the repository (so its
/// {config_dir}-relative paths resolve there) with a fake Llama-3.2-3B checkpoint: the files
/// litgpt's check_valid_checkpoint_dir wants and Llama-3.2's config.json (tied embeddings).
fs::path production_copy(const fs::path& root, const std::string& name) {
  fs::create_directories(root / "configs" / "llama32_3b");
  const fs::path checkpoint = root / "models" / "checkpoints" / "meta-llama" / "Llama-3.2-3B";
  fs::create_directories(checkpoint);
  std::ofstream(checkpoint / "lit_model.pth") << "weights";
  std::ofstream(checkpoint / "model_config.yaml")
      << "name: Llama-3.2-3B\nblock_size: 131072\nvocab_size: 128000\npadded_vocab_size: 128256\n"
         "n_layer: 28\nn_head: 24\nn_embd: 3072\nn_query_groups: 8\nintermediate_size: 8192\n";
  std::ofstream(checkpoint / "tokenizer.json") << "{}";
  std::ofstream(checkpoint / "tokenizer_config.json") << "{}";
  std::ofstream(checkpoint / "config.json")
      << R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "tie_word_embeddings": true})";
  std::string text = read_file(kSource + "/configs/llama32_3b/" + name + ".yaml");
  text = std::regex_replace(text, std::regex("budget: 50"), "budget: 6");
  text = std::regex_replace(text, std::regex("timeout: 10800"), "timeout: 60");
  text = std::regex_replace(text, std::regex("/tmp/lorahpo-\\{trial_id\\}"),
                            (root / "work" / "{trial_id}").string());
  const fs::path config = root / "configs" / "llama32_3b" / (name + ".yaml");
  std::ofstream(config) << text;
  return config;
}

/// The `iter N` of LitGPT's loss lines in a finetune log: the first with a NaN loss and the last.
struct LossLines {
  long long first_nan = -1;
  long long last = -1;
};

LossLines loss_lines(const std::string& log) {
  static const std::regex kLine(R"(\| iter (\d+) step \d+ \| loss train: ([-a-z0-9.]+),)");
  LossLines lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, kLine)) continue;
    lines.last = std::stoll(m[1]);
    if (lines.first_nan < 0 && m[2] == "nan") lines.first_nan = lines.last;
  }
  return lines;
}

class LitgptCampaign : public ::testing::TestWithParam<std::string> {};

TEST_P(LitgptCampaign, DefaultBehavioursEndWithTheirStatusAndNoTrialHangs) {
  const fs::path root = fresh_dir("litgpt_" + GetParam());
  const fs::path config = production_copy(root, GetParam());
  const fs::path out = root / "run";
  // Full-size samples (~98 MB results.json per trial) for one config; the others keep every
  // sample's structure with empty texts, to keep the four campaigns within a few minutes (the
  // reader's memory on 90 MB is measured in tests/worker/score_reader_test.cpp).
  const std::string scale = GetParam() == "lhs" ? "" : "LITGPT_STANDIN_SAMPLE_SCALE=0 ";
  const std::string env = "PATH=" + kSource + "/tests/fixtures:$PATH " + scale +
                          "LITGPT_STANDIN_FAULTS=oom:1,nan:2,signal:5 ";
  const RunResult result =
      run(env + mpirun(3) + " run " + config.string() + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;

  // Only the infrastructure error (the kill by signal) is retried, twice (failures.max_retries
  // defaults to 2); out of memory and divergence are outcomes of the point.
  std::vector<nlohmann::json> journal;
  std::map<long long, int> retried;
  int rechecks = 0;
  for (const auto& line : read_journal(out)) {
    if (line.contains("recheck_of")) {
      // The production configs re-check the best points in the idle tail (rechecks.top_k): the
      // same point, trained with the seed + its replicate, which LitGPT's log states.
      ++rechecks;
      const int seed = 1337 + line["replicate"].get<int>();
      const fs::path trial = out / "trials" / std::to_string(line["id"].get<long long>());
      EXPECT_NE(read_file(trial / "trial.yaml").find("seed: " + std::to_string(seed) + "\n"),
                std::string::npos);
      if (line["status"] == "ok") {
        EXPECT_NE(read_file(trial / "finetune.err.log").find("Seed set to " + std::to_string(seed)),
                  std::string::npos);
      }
      continue;
    }
    if (line.value("retried", false)) {
      EXPECT_EQ(line["status"], "error") << line.dump();
      EXPECT_EQ(line.value("attempt", 1), ++retried[line["id"].get<long long>()]) << line.dump();
    } else {
      journal.push_back(line);
    }
  }
  EXPECT_EQ(retried, (std::map<long long, int>{{5, 2}}));
  RecordProperty("rechecks", rechecks);
  ASSERT_EQ(journal.size(), 6u) << result.output;
  std::map<long long, nlohmann::json> by_id;
  for (const auto& line : journal) by_id[line["id"].get<long long>()] = line;
  ASSERT_EQ(by_id.size(), 6u);
  EXPECT_TRUE(fs::exists(out / "trials" / "5.attempt-1" / "finetune.err.log"));

  const auto expect = [&](long long id, const char* status, const char* reason_part) {
    const auto& line = by_id.at(id);
    EXPECT_EQ(line["status"], status) << line.dump();
    EXPECT_NE(line.value("reason", std::string()).find(reason_part), std::string::npos)
        << line.dump();
  };
  expect(1, "failed", "out of memory");
  expect(5, "error", "signal");
  // The child rank's traceback came back with the logs.
  EXPECT_NE(read_file(out / "trials" / "1" / "finetune.err.log").find("OutOfMemoryError"),
            std::string::npos);

  int stopped = 0;
  for (const auto& [id, line] : by_id) {
    // No trial reached the end-of-epoch deadlock (nor any other hang): nothing timed out.
    EXPECT_EQ(line.value("reason", std::string()).find("timed out"), std::string::npos)
        << line.dump();
    const fs::path trial = out / "trials" / std::to_string(id);
    if (id == 1 || id == 5) continue;  // the out-of-memory and infrastructure faults, above
    if (id == 2 || line["params"]["learning_rate"].get<double>() > 3e-3) {
      // Diverged (the nan fault, or a learning rate past the cliff): killed a few hundred
      // iterations after the first NaN loss (the stand-in paces an epoch's 3110 iterations over
      // 3 s), long before the epoch's end, and counted as GPU time saved.
      expect(id, "failed", "diverged at iteration");
      EXPECT_EQ(line["metrics"].value("stopped_early", false), true) << line.dump();
      EXPECT_EQ(line["metrics"]["gpus"], 4) << line.dump();
      const std::string log = read_file(trial / "finetune.out.log");
      const LossLines lines = loss_lines(log);
      ASSERT_GT(lines.first_nan, 0) << log.substr(0, 2000);
      EXPECT_LT(lines.last - lines.first_nan, 1000)
          << "stopped " << lines.last - lines.first_nan << " iterations after the first NaN";
      EXPECT_EQ(log.find("Number of epochs"), std::string::npos)
          << "trained to the end of the epoch";
      EXPECT_FALSE(fs::exists(trial / "evaluate.out.log"));
      ++stopped;
      continue;
    }
    ASSERT_EQ(line["status"], "ok") << line.dump();
    // The exact score lm_eval wrote; MMLU (the test score) from `groups`, where lm_eval 0.4.x
    // puts the aggregate.
    const auto results = nlohmann::json::parse(read_file(trial / "results.json"));
    EXPECT_FALSE(results.contains("samples")) << "the trial directory's copy keeps the samples";
    EXPECT_EQ(line["score"].get<double>(),
              results["results"]["hellaswag"]["acc_norm,none"].get<double>());
    EXPECT_GT(line["score"].get<double>(),
              0.7);  // HellaSwag acc_norm of Llama-3.2-3B is about 0.73
    const auto& mmlu = results.contains("groups") && results["groups"].contains("mmlu")
                           ? results["groups"]["mmlu"]
                           : results["results"]["mmlu"];
    EXPECT_EQ(line["metrics"]["test_score"].get<double>(), mmlu["acc,none"].get<double>())
        << line.dump();
    EXPECT_TRUE(line["metrics"]["hellaswag"].contains("acc,none")) << line.dump();
    EXPECT_TRUE(line["metrics"]["mmlu"].contains("acc,none")) << line.dump();
    EXPECT_EQ(line["metrics"]["gpus"], 4) << line.dump();
    // The generation was skipped (eval.max_new_tokens), as LitGPT says in its log.
    EXPECT_NE(read_file(trial / "finetune.out.log").find("Skipping example generation"),
              std::string::npos);
    for (const char* file :
         {"trial.yaml", "finetune.out.log", "evaluate.out.log", "results.json"}) {
      EXPECT_TRUE(fs::exists(trial / file)) << trial / file;
    }
    EXPECT_FALSE(fs::exists(trial / "lit_model.pth.lora")) << "keep_lora_weights is off by default";
    EXPECT_FALSE(fs::exists(root / "work" / std::to_string(id))) << "work directory left behind";
    const std::string yaml = read_file(trial / "trial.yaml");
    EXPECT_NE(yaml.find("max_new_tokens: 512"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("lora_head: false"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("lora_r: " + std::to_string(line["params"]["lora_r"].get<long long>())),
              std::string::npos)
        << yaml;
    EXPECT_NE(read_file(trial / "evaluate.out.log").find("bfloat16"), std::string::npos)
        << "litgpt evaluate without --dtype bfloat16";
  }
  EXPECT_GE(stopped, 1);
  const auto summary = nlohmann::json::parse(read_file(out / "summary.json"));
  EXPECT_EQ(summary["gpu_time_saved"]["stopped_early"], stopped) << summary.dump();
  // The recommendation's GP got a measurement noise from lm_eval's results (the standard error
  // of the objective's metric, or re-checks' spread once they have 5 degrees of freedom).
  const auto& noise = summary["recommended"]["noise"];
  ASSERT_TRUE(noise.is_object()) << summary.dump();
  const std::string source = noise["source"].get<std::string>();
  EXPECT_TRUE(source == "lm_eval_stderr" || source == "replicates") << noise.dump();
  if (source == "lm_eval_stderr") {
    EXPECT_GT(noise["sd"].get<double>(), 0.0) << noise.dump();
    EXPECT_LT(noise["sd"].get<double>(), 0.05) << noise.dump();
  }
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(ProductionConfigs, LitgptCampaign,
                         ::testing::Values("lhs", "bo_gp", "soo", "bamsoo"));

}  // namespace
}  // namespace lorahpo::e2e
