#include "worker/litgpt_evaluator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_tools.h"
#include "tests/support/parameters.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;
using testing_support::pow10_param;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(LitgptTrialConfig, SkipsTheExampleGenerationAndLeavesTheHeadOut) {
  LitgptObjective objective;
  objective.checkpoint_dir = "/models/Llama-3.2-3B";
  const SearchSpace space({pow10_param("learning_rate", -6, -2)});
  const std::string yaml = litgpt_trial_config(objective, space, {2e-4}, "/work/out");
  // train.max_seq_length 512: generate_example skips once max_new_tokens >= 512.
  EXPECT_NE(yaml.find("max_new_tokens: 512"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("interval: 1000000"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("lora_head: false"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("lora_mlp: true"), std::string::npos) << yaml;
}

TEST(LitgptTrialConfig, WritesEachParameterAtItsKeyWithItsType) {
  LitgptObjective objective;
  objective.checkpoint_dir = "/models/Llama-3.2-3B";
  objective.lora_targets = {"query", "key", "value"};
  const SearchSpace space(
      {pow10_param("learning_rate", -6, -2),
       testing_support::float_param("optimizer.init_args.betas[0]", 0.8, 0.95),
       testing_support::float_param("optimizer.init_args.betas[1]", 0.95, 0.999),
       testing_support::categorical_param("precision", {"bf16-true", "bf16-mixed"}),
       testing_support::categorical_param("lora_mlp", {"false", "true"}),
       testing_support::categorical_param("lora_projection", {"false", "true"}),
       testing_support::int_param("train.lr_warmup_steps", 10, 400),
       testing_support::categorical_param("train.global_batch_size", {"16", "32", "64"})});
  const std::vector<ParamValue> values = {2e-4,
                                          0.85,
                                          0.99,
                                          std::string("bf16-mixed"),
                                          std::string("true"),
                                          std::string("false"),
                                          std::int64_t{250},
                                          std::string("32")};
  const auto config = litgpt_trial_json(objective, space, values, "/work/out");
  EXPECT_EQ(config["optimizer"]["init_args"]["lr"], 2e-4);
  EXPECT_EQ(config["optimizer"]["init_args"]["betas"], nlohmann::ordered_json({0.85, 0.99}));
  EXPECT_EQ(config["precision"], "bf16-mixed");
  EXPECT_EQ(config["lora_mlp"], true);  // a YAML boolean, not the label
  EXPECT_EQ(config["lora_projection"], false);
  EXPECT_EQ(config["lora_query"], true);  // fixed by lora_targets
  EXPECT_EQ(config["train"]["lr_warmup_steps"], 250);
  EXPECT_TRUE(config["train"]["global_batch_size"].is_number_integer());
  EXPECT_EQ(config["train"]["global_batch_size"], 32);
  EXPECT_EQ(config["train"]["micro_batch_size"], 4);  // the objective's, kept
  const std::string yaml = litgpt_trial_config(objective, space, values, "/work/out");
  EXPECT_NE(yaml.find("lora_mlp: true"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("global_batch_size: 32"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("\"32\""), std::string::npos) << yaml;
  EXPECT_EQ(litgpt_searched_paths(space).count("optimizer.init_args.lr"), 1u);
}

TEST(LitgptTrialConfig, TheFiveShortNamesWriteWhatTheyAlwaysWrote) {
  LitgptObjective objective;
  objective.checkpoint_dir = "/models/Llama-3.2-3B";
  const SearchSpace space(
      {pow10_param("learning_rate", -10, -1), testing_support::int_param("lora_r", 2, 512),
       testing_support::int_param("lora_alpha", 1, 64),
       testing_support::float_param("lora_dropout", 0, 0.5), pow10_param("weight_decay", -5, -1)});
  const std::vector<ParamValue> values = {3e-4, std::int64_t{64}, std::int64_t{16}, 0.05, 1e-3};
  const auto config = litgpt_trial_json(objective, space, values, "/w/out");
  // The layout the first experiment's trials had: the same keys in the same order, the values
  // where they were (the generic writer replaces them in place).
  std::vector<std::string> keys;
  for (const auto& item : config.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "checkpoint_dir",  "out_dir",    "precision", "devices",
                      "num_nodes",       "seed",       "lora_r",    "lora_alpha",
                      "lora_dropout",    "lora_query", "lora_key",  "lora_value",
                      "lora_projection", "lora_mlp",   "lora_head", "data",
                      "train",           "eval",       "optimizer", "logger_name"}));
  EXPECT_TRUE(config["lora_r"].is_number_integer());
  EXPECT_EQ(config["lora_r"], 64);
  EXPECT_EQ(config["lora_alpha"], 16);
  EXPECT_EQ(config["lora_dropout"], 0.05);
  const nlohmann::ordered_json init_args = {
      {"lr", 3e-4}, {"weight_decay", 1e-3}, {"betas", {0.9, 0.95}}};
  EXPECT_EQ(config["optimizer"]["init_args"], init_args);
  EXPECT_EQ(config["optimizer"]["init_args"].begin().key(), "lr");
}

TEST(LitgptSkipGenerationTokens, IsTheTrainingSequenceBoundElseMoreThanAnyBlockSize) {
  EXPECT_EQ(litgpt_skip_generation_tokens(nlohmann::json{{"max_seq_length", 1024}}), 1024);
  EXPECT_EQ(litgpt_skip_generation_tokens(nlohmann::json::object()), 1LL << 30);
  EXPECT_EQ(litgpt_skip_generation_tokens(nlohmann::json{{"max_seq_length", nullptr}}), 1LL << 30);
}

TEST(LitgptCheckpointTiesEmbeddings, ReadsConfigJson) {
  const testing_support::TempDir temp("ties");
  const fs::path& dir = temp.path();
  EXPECT_FALSE(litgpt_checkpoint_ties_embeddings(dir.string()).has_value());  // no config.json
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "tie_word_embeddings": true})";
  EXPECT_EQ(litgpt_checkpoint_ties_embeddings(dir.string()), true);
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "tie_word_embeddings": false})";
  EXPECT_EQ(litgpt_checkpoint_ties_embeddings(dir.string()), false);
  std::ofstream(dir / "config.json") << R"({"model_type": "llama"})";
  EXPECT_FALSE(litgpt_checkpoint_ties_embeddings(dir.string()).has_value());  // the class decides
  std::ofstream(dir / "config.json") << "not json";
  EXPECT_FALSE(litgpt_checkpoint_ties_embeddings(dir.string()).has_value());
}

TEST(LitgptEvaluateArgv, IsConvertAndEvaluatesArgumentsWithTheDtype) {
  LitgptObjective objective;
  EXPECT_EQ(litgpt_evaluate_argv(objective, "/w/out/final", "/w/eval"),
            (std::vector<std::string>{"litgpt", "evaluate", "/w/out/final", "--tasks",
                                      "hellaswag,mmlu", "--out_dir", "/w/eval", "--batch_size",
                                      "16", "--dtype", "bfloat16"}));
  objective.eval_dtype = "float32";
  objective.num_fewshot = 5;
  objective.limit = 100;
  const auto argv = litgpt_evaluate_argv(objective, "/w/out/final", "/w/eval");
  EXPECT_EQ(
      std::vector<std::string>(argv.begin() + 9, argv.end()),
      (std::vector<std::string>{"--dtype", "float32", "--num_fewshot", "5", "--limit", "100"}));
}

/// A `litgpt` that refuses to run over a stale model, as the real one silently would use it
/// (litgpt scripts/merge_lora.py returns early when final/lit_model.pth exists; eval/evaluate.py
/// skips the conversion when pytorch_model.bin exists), and writes results.json with samples.
constexpr const char* kLitgpt = R"SH(#!/bin/sh
case "$1" in
  finetune_lora)
    [ -e out/final/lit_model.pth ] && { echo "stale merged model reused" >&2; exit 1; }
    mkdir -p out/final && echo lora > out/final/lit_model.pth.lora && echo merged > out/final/lit_model.pth
    echo "Epoch 1 | iter 1 step 1 | loss train: 1.250, val: n/a | iter time: 1.00 ms (step)"
    ;;
  evaluate)
    shift 2
    while [ $# -gt 1 ]; do case "$1" in --out_dir) out="$2";; --dtype) dtype="$2";; esac; shift 2; done
    [ -e "$out/pytorch_model.bin" ] && { echo "stale converted model reused" >&2; exit 1; }
    mkdir -p "$out" && echo converted > "$out/pytorch_model.bin"
    printf '{"results": {"hellaswag": {"acc_norm,none": 0.7351, "acc_norm_stderr,none": NaN}, "mmlu": {"acc,none": 0.5452}},\n "samples": {"hellaswag": [{"doc_id": 0, "dtype": "%s"}]}}\n' "$dtype" > "$out/results.json"
    ;;
  *) exit 2 ;;
esac
)SH";

class LitgptEvaluatorTest : public testing::Test {
 protected:
  void SetUp() override {
    testing_support::write_file(root_ / "checkpoint" / "lit_model.pth", "weights");
    testing_support::write_file(root_ / "litgpt", kLitgpt, true);
    objective_.executable = (root_ / "litgpt").string();
    objective_.checkpoint_dir = (root_ / "checkpoint").string();
    objective_.devices = 1;
    objective_.timeout_seconds = 30;
    objective_.work_dir = (root_ / "work" / "{trial_id}").string();
    // The node check before each trial (worker/gpu_inventory.h) asks `nvidia-smi -L`: one GPU
    // here, as objective_.devices says.
    testing_support::install_nvidia_smi(root_);
    gpus_.emplace("NVIDIA_SMI_STANDIN_GPUS", "1");
    const char* path = std::getenv("PATH");
    path_.emplace("PATH", root_.string() + ":" + (path ? path : "/usr/bin:/bin"));
  }
  void TearDown() override {
    path_.reset();
    gpus_.reset();
  }

  std::optional<testing_support::ScopedEnv> path_;
  std::optional<testing_support::ScopedEnv> gpus_;
  fs::path trial_dir() const { return root_ / "trials" / "7"; }
  fs::path work_dir() const { return root_ / "work" / "7"; }

  EvaluationOutcome run() const {
    LitgptEvaluator evaluator(objective_, SearchSpace({pow10_param("learning_rate", -6, -2)}),
                              root_.string());
    EvaluateMessage request;
    request.trial_id = 7;
    request.params = {2e-4};
    request.trial_dir = trial_dir().string();
    return evaluator.evaluate(request);
  }

  testing_support::TempDir temp_{"litgpt"};
  const fs::path root_ = temp_.path();
  LitgptObjective objective_;
};

TEST_F(LitgptEvaluatorTest, StaleModelsOfAnEarlierRunAreNeverScored) {
  // A crashed earlier attempt left its merged and converted models in the node-local work dir.
  fs::create_directories(work_dir() / "out" / "final");
  fs::create_directories(work_dir() / "eval");
  std::ofstream(work_dir() / "out" / "final" / "lit_model.pth") << "old merged";
  std::ofstream(work_dir() / "eval" / "pytorch_model.bin") << "old converted";
  const EvaluationOutcome outcome = run();
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_DOUBLE_EQ(outcome.score, 0.7351);
  EXPECT_EQ(outcome.metrics["gpus"], 1);
  EXPECT_GE(outcome.metrics["seconds"].get<double>(), 0.0);
  EXPECT_FALSE(outcome.metrics.contains("stopped_early"));
  EXPECT_FALSE(fs::exists(work_dir())) << "the node-local work directory is left behind";
}

TEST_F(LitgptEvaluatorTest, TrialDirectoryKeepsResultsWithoutSamplesAndNoLoraWeights) {
  ASSERT_EQ(run().status, TrialStatus::kOk);
  const auto results = nlohmann::json::parse(read(trial_dir() / "results.json"));
  EXPECT_EQ(results["results"]["hellaswag"]["acc_norm,none"], 0.7351);
  EXPECT_FALSE(results.contains("samples"));
  for (const char* name : {"trial.yaml", "finetune.out.log", "evaluate.err.log"}) {
    EXPECT_TRUE(fs::exists(trial_dir() / name)) << name;
  }
  EXPECT_FALSE(fs::exists(trial_dir() / "lit_model.pth.lora"));  // keep_lora_weights: false
}

TEST_F(LitgptEvaluatorTest, KeepSamplesAndLoraWeightsOnRequest) {
  objective_.keep_samples = true;
  objective_.keep_lora_weights = true;
  ASSERT_EQ(run().status, TrialStatus::kOk);
  EXPECT_NE(read(trial_dir() / "results.json").find("\"samples\""), std::string::npos);
  EXPECT_NE(read(trial_dir() / "results.json").find("bfloat16"),
            std::string::npos);  // --dtype passed
  EXPECT_EQ(read(trial_dir() / "lit_model.pth.lora"), "lora\n");
}

TEST_F(LitgptEvaluatorTest, WorkDirectoryAsTheTrialDirectoryKeepsOnlyWhatIsAskedFor) {
  objective_.work_dir = "{trial_dir}";
  fs::create_directories(trial_dir() / "out" / "final");
  std::ofstream(trial_dir() / "out" / "final" / "lit_model.pth") << "old merged";
  const EvaluationOutcome outcome = run();
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_TRUE(fs::exists(trial_dir() / "finetune.out.log"));
  EXPECT_FALSE(fs::exists(trial_dir() / "out" / "final" / "lit_model.pth"));  // merged model
  EXPECT_FALSE(
      fs::exists(trial_dir() / "out" / "final" / "lit_model.pth.lora"));  // keep_lora_weights
  EXPECT_FALSE(fs::exists(trial_dir() / "eval" / "pytorch_model.bin"));   // converted model
  EXPECT_FALSE(fs::exists(trial_dir() / "eval" / "results.json"));        // the one with samples
  EXPECT_FALSE(nlohmann::json::parse(read(trial_dir() / "results.json")).contains("samples"));
}

TEST_F(LitgptEvaluatorTest, HeadOnATiedCheckpointIsRefusedAtTrialTime) {
  objective_.lora_targets.push_back("head");
  std::ofstream(root_ / "checkpoint" / "config.json") << R"({"tie_word_embeddings": true})";
  const EvaluationOutcome outcome = run();
  EXPECT_EQ(outcome.status, TrialStatus::kError);
  EXPECT_NE(outcome.reason.find("tie_word_embeddings"), std::string::npos) << outcome.reason;
}

TEST_F(LitgptEvaluatorTest, AnImpossiblePointFailsWithoutRunningLitgpt) {
  // 16 // 1 device // micro 32 = 0: LitGPT's gradient_accumulation_iters would assert.
  LitgptEvaluator evaluator(
      objective_,
      SearchSpace({testing_support::categorical_param("train.micro_batch_size", {"4", "32"})}),
      root_.string());
  EvaluateMessage request;
  request.trial_id = 7;
  request.params = {std::string("32")};
  request.trial_dir = trial_dir().string();
  const EvaluationOutcome outcome = evaluator.evaluate(request);
  EXPECT_EQ(outcome.status, TrialStatus::kFailed);
  EXPECT_NE(outcome.reason.find("impossible point: train.global_batch_size (16)"),
            std::string::npos)
      << outcome.reason;
  EXPECT_FALSE(fs::exists(trial_dir() / "finetune.out.log")) << "litgpt ran";
  EXPECT_FALSE(fs::exists(work_dir())) << "the work directory was prepared";
  EXPECT_NE(read(trial_dir() / "trial.yaml").find("micro_batch_size: 32"), std::string::npos);
  request.params = {std::string("4")};
  EXPECT_EQ(evaluator.evaluate(request).status, TrialStatus::kOk);
}

TEST_F(LitgptEvaluatorTest, AWorkDirectoryHoldingTheTrialDirectoryIsNeverEmptied) {
  objective_.work_dir = root_.string() + "/{trial_id}/..";
  std::ofstream(root_ / "keep.txt") << "precious";
  const EvaluationOutcome outcome = run();
  EXPECT_EQ(outcome.status, TrialStatus::kError);
  EXPECT_NE(outcome.reason.find("contains the trial directory"), std::string::npos)
      << outcome.reason;
  EXPECT_TRUE(fs::exists(root_ / "keep.txt"));
}

}  // namespace
}  // namespace lorahpo
