// configs/llama32_3b/wide.yaml end to end: its 12 dimensions (the five, AdamW's betas, the
// precision, LoRA on projection and mlp, the warm-up and the global batch size) under
// mpirun -np 3, 10 evaluations with each optimizer, against the stand-in `litgpt` of
// tests/fixtures (its default behaviours, litgpt v0.5.13). Each trial's trial.yaml must carry the
// journaled value of every parameter at its key, with LitGPT's type (a YAML boolean for a bool, an
// integer for a batch size). BaMSOO's GP-approximated points (journal status `approximated`) have
// no trial. Then a variant that also searches the micro batch size: a point whose
// global batch is not a multiple of micro batch x devices is `failed` with the reason, and
// litgpt never ran for it.

#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/e2e/e2e_support.h"

namespace lorahpo::e2e {
namespace {

const std::string kSource = LORAHPO_SOURCE_DIR;

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

/// wide.yaml copied into a repository-shaped tree with a fake Llama-3.2-3B checkpoint, the budget
/// cut to 10, the timeout to a minute, `optimizer_line` in place of its optimizer and `edit`
/// applied to the text.
fs::path wide_copy(const fs::path& root, const std::string& optimizer_line,
                   const std::function<std::string(std::string)>& edit = nullptr) {
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
  std::string text = read_file(kSource + "/configs/llama32_3b/wide.yaml");
  text = replace_once(text, "budget: 50", "budget: 10");
  text = replace_once(text, "timeout: 10800", "timeout: 60");
  // 20 documents per task: a smaller results.json to write and read, the same path through it.
  text = replace_once(text, "    batch_size: \"16\"\n", "    batch_size: \"16\"\n    limit: 20\n");
  text = replace_once(text, "/tmp/lorahpo-{trial_id}", (root / "work" / "{trial_id}").string());
  text = std::regex_replace(text, std::regex("optimizer: \\{name: bo_gp[^\n]*"), optimizer_line);
  if (edit) text = edit(text);
  const fs::path config = root / "configs" / "llama32_3b" / "wide.yaml";
  std::ofstream(config) << text;
  return config;
}

/// The node at a LitGPT key path (`optimizer.init_args.betas[0]`) of a YAML document.
YAML::Node at_path(YAML::Node node, const std::string& path) {
  static const std::regex kSegment(R"(([A-Za-z0-9_]+)((\[\d+\])*))");
  std::stringstream in(path);
  for (std::string part; std::getline(in, part, '.');) {
    std::smatch m;
    if (!std::regex_match(part, m, kSegment)) return YAML::Node(YAML::NodeType::Undefined);
    node.reset(node[m[1].str()]);  // reset: `=` would write into the document
    static const std::regex kIndex(R"(\[(\d+)\])");
    const std::string indices = m[2];
    for (std::sregex_iterator it(indices.begin(), indices.end(), kIndex), end; it != end; ++it) {
      node.reset(node[std::stoul((*it)[1].str())]);
    }
    if (!node.IsDefined()) return node;
  }
  return node;
}

std::string path_of(const std::string& name) {
  if (name == "learning_rate") return "optimizer.init_args.lr";
  if (name == "weight_decay") return "optimizer.init_args.weight_decay";
  return name;
}

/// Every journaled parameter of `line` is in trial.yaml at its key, with LitGPT's type.
void expect_values_at_their_keys(const nlohmann::json& line, const fs::path& trial_yaml) {
  ASSERT_TRUE(fs::exists(trial_yaml)) << trial_yaml;
  const YAML::Node trial = YAML::LoadFile(trial_yaml.string());
  ASSERT_EQ(line["params"].size(), 12u) << line.dump();
  for (const auto& [name, value] : line["params"].items()) {
    SCOPED_TRACE(name + " in " + trial_yaml.string());
    const YAML::Node node = at_path(trial, path_of(name));
    ASSERT_TRUE(node.IsDefined() && node.IsScalar());
    if (value.is_number_float()) {
      EXPECT_EQ(node.as<double>(), value.get<double>());
    } else if (value.is_number_integer()) {
      EXPECT_EQ(node.as<long long>(), value.get<long long>());
    } else if (name == "lora_projection" || name == "lora_mlp") {
      // A YAML boolean (jsonargparse refuses the string "true" for a bool).
      EXPECT_EQ(node.Tag(), "?");
      EXPECT_EQ(node.as<bool>(), value.get<std::string>() == "true");
    } else if (name == "train.global_batch_size") {
      EXPECT_EQ(node.Tag(), "?") << "an integer, not a quoted string";
      EXPECT_EQ(node.as<long long>(), std::stoll(value.get<std::string>()));
    } else {
      EXPECT_EQ(node.as<std::string>(), value.get<std::string>());
    }
  }
}

std::string standin_env(const fs::path& root) {
  return "PATH=" + kSource + "/tests/fixtures:$PATH LITGPT_STANDIN_SAMPLE_SCALE=0 " +
         "LITGPT_STANDIN_SECONDS=1 LITGPT_STANDIN_LOG=" + (root / "litgpt.log").string() + " ";
}

struct OptimizerCase {
  std::string name;
  std::string line;
};

class WideSpace : public ::testing::TestWithParam<OptimizerCase> {};

TEST_P(WideSpace, TenEvaluationsCarryTheirValuesAtTheirKeys) {
  const fs::path root = fresh_dir("wide_" + GetParam().name);
  const fs::path config = wide_copy(root, GetParam().line);
  const fs::path out = root / "run";
  const RunResult result =
      run(standin_env(root) + mpirun(3) + " run " + config.string() + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::map<long long, nlohmann::json> by_id;
  for (const auto& line : read_journal(out)) {
    // BaMSOO's points scored by its GP instead of evaluated (`approximated`) never ran.
    if (!line.value("retried", false) && line["status"] != "approximated")
      by_id[line["id"].get<long long>()] = line;
  }
  ASSERT_EQ(by_id.size(), 10u) << result.output;
  std::set<std::string> seen_precisions;
  for (const auto& [id, line] : by_id) {
    SCOPED_TRACE(line.dump());
    // Diverged runs (learning rates past the stand-in's 3e-3 cliff) fail; nothing else may.
    if (line["status"] != "ok") {
      EXPECT_EQ(line["status"], "failed");
      EXPECT_NE(line.value("reason", std::string()).find("diverged"), std::string::npos);
    }
    expect_values_at_their_keys(line, out / "trials" / std::to_string(id) / "trial.yaml");
    seen_precisions.insert(line["params"]["precision"].get<std::string>());
  }
  EXPECT_FALSE(seen_precisions.empty());
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(
    EveryOptimizer, WideSpace,
    ::testing::Values(OptimizerCase{"lhs", "optimizer: {name: lhs}"},
                      OptimizerCase{"random", "optimizer: {name: random}"},
                      OptimizerCase{"bo_gp", "optimizer: {name: bo_gp, n_init: 4, mode: async}"},
                      OptimizerCase{"soo", "optimizer: {name: soo, k: 3, parallel: async}"},
                      OptimizerCase{"bamsoo",
                                    "optimizer: {name: bamsoo, k: 3, parallel: async, eta: 0.5}"}),
    [](const ::testing::TestParamInfo<OptimizerCase>& param_info) {
      return param_info.param.name;
    });

TEST(WideSpaceImpossiblePoint, GlobalBatchNotAMultipleFailsWithoutRunningLitgpt) {
  const fs::path root = fresh_dir("wide_impossible");
  // The micro batch searched too: global 16 with micro 8 on 4 devices cannot run (16 // 4 // 8
  // = 0: LitGPT's gradient_accumulation_iters asserts).
  const fs::path config = wide_copy(root, "optimizer: {name: lhs}", [](std::string text) {
    text = replace_once(text, "train: {epochs: 1, micro_batch_size: 4, ", "train: {epochs: 1, ");
    return replace_once(text, "choices: [16, 32, 64]}",
                        "choices: [16, 32]}\n  train.micro_batch_size: {type: categorical, "
                        "choices: [4, 8]}");
  });
  const fs::path out = root / "run";
  const RunResult result =
      run(standin_env(root) + mpirun(3) + " run " + config.string() + " --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::set<std::string> ran;  // trial ids litgpt was started for
  std::istringstream log(read_file(root / "litgpt.log"));
  for (std::string text; std::getline(log, text);) {
    const auto entry = nlohmann::json::parse(text);
    if (entry["trial_id"].is_string()) ran.insert(entry["trial_id"].get<std::string>());
  }
  int impossible = 0;
  for (const auto& line : read_journal(out)) {
    SCOPED_TRACE(line.dump());
    ASSERT_NE(line["status"], "approximated");  // lhs evaluates every point
    const std::string id = std::to_string(line["id"].get<long long>());
    const bool should_fail = line["params"]["train.global_batch_size"] == "16" &&
                             line["params"]["train.micro_batch_size"] == "8";
    if (!should_fail) {
      EXPECT_EQ(line.value("reason", std::string()).find("impossible"), std::string::npos);
      continue;
    }
    ++impossible;
    EXPECT_EQ(line["status"], "failed");
    EXPECT_NE(line.value("reason", std::string())
                  .find("impossible point: train.global_batch_size (16) is not a multiple of "
                        "train.micro_batch_size x devices (8 x 4 = 32)"),
              std::string::npos);
    EXPECT_EQ(ran.count(id), 0u) << "litgpt ran for an impossible point";
    EXPECT_FALSE(fs::exists(out / "trials" / id / "finetune.out.log"));
    EXPECT_NE(read_file(out / "trials" / id / "trial.yaml").find("micro_batch_size: 8"),
              std::string::npos);
  }
  EXPECT_GE(impossible, 1) << "no impossible point was drawn: change the campaign seed";
  EXPECT_FALSE(ran.empty());
  fs::remove_all(root);
}

}  // namespace
}  // namespace lorahpo::e2e
