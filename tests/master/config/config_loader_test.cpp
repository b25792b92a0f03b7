#include "master/config/config_loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/config_error.h"
#include "worker/lora_surrogate.h"

namespace lorahpo {
namespace {

const std::string kFixtures = std::string(LORAHPO_SOURCE_DIR) + "/tests/fixtures";

/// A valid command campaign; bad variants below change one thing each.
const std::string kGood = R"(campaign: {name: good, budget: 50, direction: maximize, seed: 1}
search_space:
  learning_rate: {type: float, low: -10, high: -1, transform: pow10}
  lora_r:        {type: int, low: 2, high: 512}
  lora_alpha:    {type: int, low: 1, high: 64}
  lora_dropout:  {type: float, low: 0.0, high: 0.5}
  weight_decay:  {type: float, low: -5, high: -1, transform: pow10}
  precision:     {type: categorical, choices: [bf16-true, 16-mixed]}
optimizer: {name: lhs}
objective:
  kind: command
  command: [python3, train.py, --lr, "{learning_rate}", --rank, "{lora_r}", --out, "{trial_dir}"]
  timeout: 3600
  result: {file: "{trial_dir}/results.json", pointer: "/results/hellaswag/acc_norm,none"}
)";

CampaignConfig parse(const std::string& text) {
  return parse_config(text, "test.yaml", kFixtures);
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ConfigLoader, ReadsTheIssueExample) {
  const CampaignConfig config = parse(kGood);
  EXPECT_EQ(config.campaign.name, "good");
  EXPECT_EQ(config.campaign.budget, 50);
  EXPECT_EQ(config.campaign.direction, Direction::kMaximize);
  ASSERT_EQ(config.space.dim(), 6);
  EXPECT_EQ(config.space.parameter(0).transform, Transform::kPow10);
  EXPECT_EQ(config.space.parameter(1).type, ParamType::kInt);
  EXPECT_EQ(config.space.parameter(5).choices.size(), 2u);
  EXPECT_EQ(config.optimizer.kind, OptimizerKind::kLhs);
  EXPECT_EQ(config.objective.kind, ObjectiveKind::kCommand);
  EXPECT_EQ(config.objective.command.argv.size(), 8u);
  EXPECT_DOUBLE_EQ(config.objective.command.timeout_seconds, 3600);
  EXPECT_EQ(config.objective.command.result.pointer, "/results/hellaswag/acc_norm,none");
  EXPECT_EQ(config.config_dir, kFixtures);
}

TEST(ConfigLoader, BuiltinBringsItsSearchSpaceAndDirection) {
  const CampaignConfig config = parse(
      "campaign: {budget: 20}\nobjective: {kind: builtin, function: hartmann6, noise: 0.1}\n");
  EXPECT_EQ(config.space.dim(), 6);
  EXPECT_EQ(config.space.parameter(0).name, "x1");
  EXPECT_EQ(config.campaign.direction, Direction::kMinimize);
  EXPECT_EQ(config.campaign.name, "test");  // the file's stem
  EXPECT_DOUBLE_EQ(config.objective.builtin.noise_sd, 0.1);
}

/// lora_surrogate scores acc_norm unless the config says acc; the shipped configs say acc_norm with
/// lm_eval's median acc_norm standard error over the 150 runs as the noise.
TEST(ConfigLoader, LoraSurrogateMetricDefaultsToAccNorm) {
  const CampaignConfig plain =
      parse("campaign: {budget: 5}\nobjective: {kind: builtin, function: lora_surrogate}\n");
  EXPECT_EQ(parse_lora_metric(plain.objective.builtin.metric), LoraMetric::kAccNorm);
  const CampaignConfig acc = parse(
      "campaign: {budget: 5}\nobjective: {kind: builtin, function: lora_surrogate, metric: acc}\n");
  EXPECT_EQ(acc.objective.builtin.metric, "acc");
  for (const char* name :
       {"lora_surrogate_soo", "lora_surrogate_bamsoo", "lora_surrogate_bo_sync", "quickstart"}) {
    const CampaignConfig shipped =
        load_config(std::string(LORAHPO_SOURCE_DIR) + "/configs/" + name + ".yaml");
    EXPECT_EQ(shipped.objective.builtin.metric, "acc_norm") << name;
    EXPECT_DOUBLE_EQ(shipped.objective.builtin.noise_sd, 0.0044) << name;
  }
}

TEST(ConfigLoader, ShippedConfigsValidate) {
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(LORAHPO_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const std::string path = entry.path().string();
    if (path.find("chuc") != std::string::npos || path.find("litgpt") != std::string::npos)
      continue;
    EXPECT_NO_THROW(load_config(path));
  }
}

struct BadCase {
  std::string label;
  std::string text;
  int line;
  std::string key;
  std::string message_part;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.label;
}

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, IsRejectedWithLineAndKey) {
  const BadCase& c = GetParam();
  try {
    parse(c.text);
    FAIL() << c.label << ": accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "test.yaml");
    EXPECT_EQ(e.line(), c.line) << e.what();
    EXPECT_EQ(e.key(), c.key) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
    const std::string prefix = "test.yaml:" + std::to_string(c.line) + ": " + c.key;
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfig,
    ::testing::Values(
        BadCase{"reversed bounds", replace(kGood, "low: 2, high: 512", "low: 600, high: 512"), 4,
                "search_space.lora_r.low", "(600) must be < high (512)"},
        BadCase{"unknown top-level key", kGood + "extra: 1\n", 15, "extra", "not a known key"},
        BadCase{"unknown parameter key", replace(kGood, "high: 0.5}", "high: 0.5, step: 1}"), 6,
                "search_space.lora_dropout.step", "not a known key"},
        BadCase{"budget zero", replace(kGood, "budget: 50", "budget: 0"), 1, "campaign.budget",
                "must be in [1, 1000000]"},
        BadCase{"budget negative", replace(kGood, "budget: 50", "budget: -3"), 1, "campaign.budget",
                "must be in"},
        BadCase{"budget not a number", replace(kGood, "budget: 50", "budget: many"), 1,
                "campaign.budget", "must be an integer"},
        BadCase{"unknown type", replace(kGood, "{type: float, low: 0.0", "{type: real, low: 0.0"),
                6, "search_space.lora_dropout.type", "must be float, int or categorical"},
        BadCase{"non-integer int bound", replace(kGood, "low: 1, high: 64", "low: 1.5, high: 64"),
                5, "search_space.lora_alpha.low", "must be an integer"},
        BadCase{"unknown placeholder", replace(kGood, "{lora_r}", "{lora_rank}"), 12,
                "objective.command[5]", "names {lora_rank}"},
        BadCase{"missing executable",
                replace(kGood, "python3, train.py", "no-such-program-x, train.py"), 12,
                "objective.command[0]", "not an executable"},
        BadCase{"unknown optimizer", replace(kGood, "name: lhs", "name: cmaes"), 9,
                "optimizer.name", "must be one of"},
        BadCase{"bad direction", replace(kGood, "direction: maximize", "direction: up"), 1,
                "campaign.direction", "must be maximize or minimize"},
        BadCase{"empty search space",
                replace(kGood.substr(0, kGood.find("search_space:")) + "search_space: {}\n" +
                            kGood.substr(kGood.find("optimizer:")),
                        "{trial_dir}/results", "{trial_dir}/results"),
                2, "search_space", "is empty"},
        BadCase{"unknown objective kind", replace(kGood, "kind: command", "kind: shell"), 11,
                "objective.kind", "must be builtin, command or litgpt"},
        BadCase{"zero timeout", replace(kGood, "timeout: 3600", "timeout: 0"), 13,
                "objective.timeout", "must be > 0"},
        BadCase{"bad pointer", replace(kGood, "pointer: \"/results", "pointer: \"results"), 14,
                "objective.result.pointer", "RFC 6901"},
        BadCase{"empty choices", replace(kGood, "choices: [bf16-true, 16-mixed]", "choices: []"), 8,
                "search_space.precision.choices", "non-empty list"},
        BadCase{"duplicate parameter", replace(kGood, "  lora_alpha:", "  lora_r:"), 5,
                "search_space.lora_r", "is given twice"},
        BadCase{"yaml syntax", replace(kGood, "budget: 50,", "budget: [50,"), 1, "",
                "YAML syntax error"},
        BadCase{"builtin unknown function",
                "campaign: {budget: 5}\nobjective: {kind: builtin, function: nosuch}\n", 2,
                "objective.function", "nosuch"},
        BadCase{"builtin wrong dimension",
                "campaign: {budget: 5}\nsearch_space:\n  a: {type: float, low: 0, high: 1}\n"
                "objective: {kind: builtin, function: branin}\n",
                3, "search_space", "branin takes 2"},
        BadCase{"builtin categorical coordinate given a float",
                "campaign: {budget: 5}\nsearch_space:\n  a: {type: float, low: 0, high: 1}\n"
                "  b: {type: float, low: -1, high: 1}\n  c: {type: float, low: -1, high: 1}\n"
                "  d: {type: float, low: -1, high: 1}\n"
                "objective: {kind: builtin, function: ackley_mixed, dim: 4}\n",
                3, "search_space.a",
                "must be a categorical of 2 choices: coordinate 1 of ackley_mixed is a category"},
        BadCase{"builtin integer coordinate given a categorical",
                "campaign: {budget: 5}\nsearch_space:\n"
                "  a: {type: categorical, choices: [x, y, z, u, v]}\n"
                "  b: {type: float, low: -2, high: 2}\n  c: {type: float, low: -2, high: 2}\n"
                "  d: {type: float, low: -2, high: 2}\n"
                "objective: {kind: builtin, function: rosenbrock_mixed, dim: 4}\n",
                3, "search_space.a", "must be an int: coordinate 1 of rosenbrock_mixed"},
        BadCase{"lora_surrogate unknown metric",
                "campaign: {budget: 5}\nobjective:\n  kind: builtin\n  function: lora_surrogate\n"
                "  metric: acc,none\n",
                5, "objective.metric", "must be acc_norm or acc, got 'acc,none'"},
        BadCase{
            "metric of another builtin",
            "campaign: {budget: 5}\nobjective: {kind: builtin, function: branin, metric: acc}\n", 2,
            "objective.metric", "applies to lora_surrogate only"},
        BadCase{"builtin cost on unknown parameter",
                "campaign: {budget: 5}\nobjective:\n  kind: builtin\n  function: branin\n"
                "  cost: {base: 0.1, slope: 0.01, parameter: lora_r}\n",
                5, "objective.cost.parameter", "not a search_space parameter"},
        BadCase{"missing budget", replace(kGood, "budget: 50, ", ""), 1, "campaign.budget",
                "is required"},
        BadCase{"command template braces", replace(kGood, "\"{trial_dir}\"]", "\"{trial_dir\"]"),
                12, "objective.command[7]", "unclosed"},
        // failures (kGood has 14 lines: an appended section starts on line 15)
        BadCase{"failures negative retries", kGood + "failures:\n  max_retries: -1\n", 16,
                "failures.max_retries", "must be in [0, 100]"},
        BadCase{"failures fractional retries", kGood + "failures:\n  max_retries: 1.5\n", 16,
                "failures.max_retries", "must be an integer"},
        BadCase{"failures unknown failed score", kGood + "failures:\n  failed_score: best\n", 16,
                "failures.failed_score", "must be worst or a finite number, got 'best'"},
        BadCase{"failures infinite failed score", kGood + "failures:\n  failed_score: -.inf\n", 16,
                "failures.failed_score", "must be worst or a finite number"},
        BadCase{"failures list failed score", kGood + "failures:\n  failed_score: [0]\n", 16,
                "failures.failed_score", "must be worst or a finite number"},
        BadCase{"failures stop after zero", kGood + "failures:\n  stop_after: 0\n", 16,
                "failures.stop_after", "must be in [1, 1000000]"},
        BadCase{"failures rate zero", kGood + "failures:\n  max_failure_rate: 0\n", 16,
                "failures.max_failure_rate", "must be in (0, 1]"},
        BadCase{"failures rate above one", kGood + "failures: {max_failure_rate: 1.01}\n", 15,
                "failures.max_failure_rate", "must be in (0, 1]"},
        BadCase{"failures rate nan", kGood + "failures: {max_failure_rate: .nan}\n", 15,
                "failures.max_failure_rate", "must be a finite number"},
        BadCase{"failures unknown key", kGood + "failures:\n  stop_after: 3\n  retries: 1\n", 17,
                "failures.retries", "not a known key"},
        BadCase{"failures not a mapping", kGood + "failures: 3\n", 15, "failures",
                "must be a mapping"},
        // workers
        BadCase{"workers zero heartbeat", kGood + "workers:\n  heartbeat_seconds: 0\n", 16,
                "workers.heartbeat_seconds", "must be in (0, 3600]"},
        BadCase{"workers heartbeat as text", kGood + "workers:\n  heartbeat_seconds: 10s\n", 16,
                "workers.heartbeat_seconds", "must be a finite number, got '10s'"},
        BadCase{"workers silent under two heartbeats",
                kGood + "workers:\n  heartbeat_seconds: 10\n  silent_after_seconds: 15\n", 17,
                "workers.silent_after_seconds", "(15) must be > 2 x heartbeat_seconds (10)"},
        BadCase{"workers silent exactly two heartbeats",
                kGood + "workers:\n  heartbeat_seconds: 10\n  silent_after_seconds: 20\n", 17,
                "workers.silent_after_seconds", "must be > 2 x heartbeat_seconds"},
        BadCase{"workers heartbeat above default silence",
                kGood + "workers:\n  heartbeat_seconds: 200\n", 16, "workers.heartbeat_seconds",
                "must be < silent_after_seconds / 2 (300 / 2"},
        BadCase{"workers negative grace", kGood + "workers:\n  stop_grace_seconds: -1\n", 16,
                "workers.stop_grace_seconds", "must be in [0, 86400]"},
        BadCase{"workers unknown key", kGood + "workers: {heartbeat: 5}\n", 15, "workers.heartbeat",
                "not a known key"},
        // rechecks
        BadCase{"rechecks negative top k", kGood + "rechecks:\n  top_k: -1\n", 16, "rechecks.top_k",
                "must be in [0, 1000]"},
        BadCase{"rechecks top k as float", kGood + "rechecks: {top_k: 2.5}\n", 15, "rechecks.top_k",
                "integer"},
        BadCase{"rechecks one measurement",
                kGood + "rechecks:\n  top_k: 3\n  max_measurements: 1\n", 17,
                "rechecks.max_measurements", "must be in [2, 100]"},
        BadCase{"rechecks unknown key", kGood + "rechecks: {top: 3}\n", 15, "rechecks.top",
                "not a known key"},
        BadCase{"rechecks at end unknown", kGood + "rechecks:\n  top_k: 3\n  at_end: stop\n", 17,
                "rechecks.at_end", "must be wait or cancel, got 'stop'"},
        // input no campaign file should hold
        BadCase{"second yaml document", kGood + "---\ncampaign: {budget: 5}\n", 16, "",
                "second YAML document"},
        BadCase{"list as key", kGood + "[a, b]: 1\n", 15, "", "not a plain name"},
        BadCase{"list as parameter name", replace(kGood, "  lora_alpha:", "  [lora_alpha]:"), 5,
                "search_space", "not a plain name"},
        BadCase{"nul byte", replace(kGood, "name: good", std::string("name: go\0od", 12)), 1, "",
                "binary file"},
        BadCase{"invalid utf8", replace(kGood, "bf16-true", "bf16\xff-true"), 8, "", "not UTF-8"},
        BadCase{"escaped nul in argument", replace(kGood, "train.py,", "\"train\\0.py\","), 12,
                "objective.command[1]", "NUL character"},
        BadCase{"name with line break", replace(kGood, "name: good", "name: \"a\\nb\""), 1,
                "campaign.name", "control characters"},
        BadCase{"name dot dot", replace(kGood, "name: good", "name: .."), 1, "campaign.name",
                "not . or .."},
        BadCase{"huge timeout", replace(kGood, "timeout: 3600", "timeout: 1e300"), 13,
                "objective.timeout", "at most 2592000"},
        BadCase{"range overflows",
                replace(kGood, "low: 0.0, high: 0.5", "low: -1e308, high: 1e308"), 6,
                "search_space.lora_dropout.high", "overflows"},
        BadCase{"builtin huge cost slope",
                "campaign: {budget: 5}\nobjective:\n  kind: builtin\n  function: branin\n"
                "  cost: {base: 0.1, slope: 1e300, parameter: x1}\n",
                5, "objective.cost.slope", "at most 86400 s"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) {
      std::string name;
      for (char ch : param_info.param.label)
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

/// A valid LitGPT campaign (8 lines: an appended objective key lands on line 9).
const std::string kLitgpt = R"(campaign: {name: good, budget: 4}
search_space:
  learning_rate: {type: float, low: -6, high: -2, transform: pow10}
objective:
  kind: litgpt
  executable: "true"
  checkpoint_dir: "{config_dir}/no_such_checkpoint"
  devices: 4
)";

/// The ConfigError of `text`, or a failed expectation when it is accepted.
ConfigError litgpt_rejection(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return ConfigError("test.yaml", 0, "", "accepted");
}

TEST(ConfigLoaderLitgpt, DefaultsSkipGenerationAndLeaveTheHeadOut) {
  const LitgptObjective o = parse(kLitgpt).objective.litgpt;
  const auto eval = nlohmann::json::parse(o.eval_json);
  EXPECT_EQ(eval["interval"], 1000000);
  EXPECT_EQ(eval["max_new_tokens"], 512);  // = train.max_seq_length: generate_example skips
  EXPECT_EQ(o.lora_targets,
            (std::vector<std::string>{"query", "key", "value", "projection", "mlp"}));
  EXPECT_EQ(o.eval_dtype, "bfloat16");
  EXPECT_FALSE(o.keep_samples);
  EXPECT_FALSE(o.keep_lora_weights);
  EXPECT_TRUE(o.stop_on_divergence.enabled);
  EXPECT_EQ(o.stop_on_divergence.after_iterations, 3);
}

TEST(ConfigLoaderLitgpt, UserEvalIsMergedKeyByKeyWithTheDefaults) {
  const LitgptObjective o =
      parse(kLitgpt +
            "  train: {max_seq_length: 1024}\n  eval: {max_iters: 50, final_validation: false}\n")
          .objective.litgpt;
  const auto eval = nlohmann::json::parse(o.eval_json);
  EXPECT_EQ(eval["max_iters"], 50);
  EXPECT_EQ(eval["final_validation"], false);
  EXPECT_EQ(eval["interval"], 1000000);  // kept, not dropped by the user's section
  EXPECT_EQ(eval["initial_validation"], false);
  EXPECT_EQ(eval["max_new_tokens"], 1024);  // follows the merged train.max_seq_length
  EXPECT_EQ(nlohmann::json::parse(o.train_json)["epochs"], 1);
}

TEST(ConfigLoaderLitgpt, ReadsTheNewKeys) {
  const LitgptObjective o = parse(kLitgpt +
                                  "  evaluate: {dtype: float16, keep_samples: true}\n"
                                  "  keep_lora_weights: true\n"
                                  "  stop_on_divergence: {enabled: false, after_iterations: 5}\n"
                                  "  eval: {max_new_tokens: 600}\n")
                                .objective.litgpt;
  EXPECT_EQ(o.eval_dtype, "float16");
  EXPECT_TRUE(o.keep_samples);
  EXPECT_TRUE(o.keep_lora_weights);
  EXPECT_FALSE(o.stop_on_divergence.enabled);
  EXPECT_EQ(o.stop_on_divergence.after_iterations, 5);
  EXPECT_EQ(nlohmann::json::parse(o.eval_json)["max_new_tokens"], 600);
  // One device: no collective to deadlock, a short generation is the user's choice.
  EXPECT_EQ(nlohmann::json::parse(parse(replace(kLitgpt, "devices: 4", "devices: 1") +
                                        "  eval: {max_new_tokens: 100}\n")
                                      .objective.litgpt.eval_json)["max_new_tokens"],
            100);
}

TEST(ConfigLoaderLitgpt, RejectsWithKeyAndLine) {
  struct Case {
    std::string text;
    int line;
    std::string key;
    std::string part;
  };
  const std::vector<Case> cases = {
      {kLitgpt + "  eval: {interval: 10,\n         max_new_tokens: 100}\n", 10,
       "objective.eval.max_new_tokens", "must be at least 512"},
      {kLitgpt + "  eval: {max_new_tokens: 100}\n", 9, "objective.eval.max_new_tokens",
       "all_reduce"},
      {replace(kLitgpt, "devices: 4", "devices: 4\n  num_nodes: 2"), 9, "objective.num_nodes",
       "must be 1"},
      {kLitgpt + "  evaluate: {dtype: float64}\n", 9, "objective.evaluate.dtype",
       "bfloat16, float16, float32 or auto"},
      {kLitgpt + "  evaluate: {keep_samples: maybe}\n", 9, "objective.evaluate.keep_samples",
       "true or false"},
      {kLitgpt + "  keep_lora_weights: 3\n", 9, "objective.keep_lora_weights", "true or false"},
      {kLitgpt + "  stop_on_divergence: {after_iterations: 0}\n", 9,
       "objective.stop_on_divergence.after_iterations", "must be in [1, 1000000]"},
      {kLitgpt + "  stop_on_divergence: {after: 3}\n", 9, "objective.stop_on_divergence.after",
       "not a known key"},
      {kLitgpt + "  work_dir: /tmp/lorahpo-work\n", 9, "objective.work_dir", "{trial_id}"},
  };
  for (const Case& c : cases) {
    const ConfigError e = litgpt_rejection(c.text);
    EXPECT_EQ(e.line(), c.line) << e.what();
    EXPECT_EQ(e.key(), c.key) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.part), std::string::npos) << e.what();
  }
}

TEST(ConfigLoaderLitgpt, RefusesTheHeadOfATiedCheckpoint) {
  const std::filesystem::path checkpoint =
      ::testing::TempDir() + "/config_loader_tied" + std::to_string(getpid());
  std::filesystem::create_directories(checkpoint);
  const std::string text =
      replace(kLitgpt, "{config_dir}/no_such_checkpoint", checkpoint.string()) +
      "  lora_targets: [query, value, head]\n";
  // config.json unreadable: nothing to check against at load time.
  EXPECT_NO_THROW(parse(text));
  std::ofstream(checkpoint / "config.json")
      << R"({"architectures": ["LlamaForCausalLM"], "tie_word_embeddings": false})";
  EXPECT_NO_THROW(parse(text));
  std::ofstream(checkpoint / "config.json")
      << R"({"architectures": ["LlamaForCausalLM"], "tie_word_embeddings": true})";
  const ConfigError e = litgpt_rejection(text);
  EXPECT_EQ(e.line(), 9) << e.what();
  EXPECT_EQ(e.key(), "objective.lora_targets[2]") << e.what();
  EXPECT_NE(std::string(e.what()).find("tie_word_embeddings: true"), std::string::npos) << e.what();
  std::filesystem::remove_all(checkpoint);
}

TEST(ConfigLoaderLitgpt, ProductionConfigsValidate) {
  for (const char* name : {"lhs", "bo_gp", "soo", "bamsoo", "first_try"}) {
    const std::string path =
        std::string(LORAHPO_SOURCE_DIR) + "/configs/llama32_3b/" + name + ".yaml";
    SCOPED_TRACE(path);
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    // LitGPT's virtual environment is absent here: the stand-in takes its place.
    const CampaignConfig config =
        parse(replace(text.str(), "executable: litgpt ", "executable: " + kFixtures + "/litgpt "));
    const LitgptObjective& o = config.objective.litgpt;
    EXPECT_EQ(std::count(o.lora_targets.begin(), o.lora_targets.end(), "head"), 0);
    EXPECT_EQ(nlohmann::json::parse(o.eval_json)["max_new_tokens"], 512);
    EXPECT_EQ(nlohmann::json::parse(o.eval_json)["interval"], 1000000);
  }
}

TEST(ConfigLoader, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config("/nonexistent/campaign.yaml"), ConfigError);
}

TEST(ConfigLoader, FailuresAndWorkersDefaultWhenAbsent) {
  for (const std::string& text : {kGood, kGood + "failures:\nworkers:\n"}) {
    const CampaignConfig config = parse(text);
    EXPECT_EQ(config.failures.max_retries, 2);
    EXPECT_FALSE(config.failures.failed_value.has_value());
    EXPECT_EQ(config.failures.stop_after, 5);
    EXPECT_DOUBLE_EQ(config.failures.max_failure_rate, 0.75);
    EXPECT_DOUBLE_EQ(config.workers.heartbeat_seconds, 10.0);
    EXPECT_DOUBLE_EQ(config.workers.silent_after_seconds, 300.0);
    EXPECT_DOUBLE_EQ(config.workers.stop_grace_seconds, 60.0);
  }
}

TEST(ConfigLoader, ReadsFailuresAndWorkers) {
  const CampaignConfig config = parse(kGood +
                                      "failures:\n"
                                      "  max_retries: 0\n"
                                      "  failed_score: -1.5\n"
                                      "  stop_after: 1\n"
                                      "  max_failure_rate: 1\n"
                                      "workers:\n"
                                      "  heartbeat_seconds: 0.5\n"
                                      "  silent_after_seconds: 1.5\n"
                                      "  stop_grace_seconds: 0\n");
  EXPECT_EQ(config.failures.max_retries, 0);
  ASSERT_TRUE(config.failures.failed_value.has_value());
  EXPECT_DOUBLE_EQ(*config.failures.failed_value, -1.5);
  EXPECT_EQ(config.failures.stop_after, 1);
  EXPECT_DOUBLE_EQ(config.failures.max_failure_rate, 1.0);
  EXPECT_DOUBLE_EQ(config.workers.heartbeat_seconds, 0.5);
  EXPECT_DOUBLE_EQ(config.workers.silent_after_seconds, 1.5);
  EXPECT_DOUBLE_EQ(config.workers.stop_grace_seconds, 0.0);
}

TEST(ConfigLoader, FailedScoreWorstMeansTheWorstObserved) {
  const CampaignConfig config =
      parse(kGood + "failures: {failed_score: worst, stop_after: 10, max_failure_rate: 0.5}\n");
  EXPECT_FALSE(config.failures.failed_value.has_value());
  EXPECT_EQ(config.failures.stop_after, 10);
  EXPECT_DOUBLE_EQ(config.failures.max_failure_rate, 0.5);
  EXPECT_EQ(parse(kGood + "failures: {failed_score: 0}\n").failures.failed_value, 0.0);
}

TEST(ConfigLoader, RechecksAreOffUnlessAsked) {
  EXPECT_EQ(parse(kGood).rechecks.top_k, 0);
  const CampaignConfig config = parse(kGood + "rechecks: {top_k: 3, max_measurements: 5}\n");
  EXPECT_EQ(config.rechecks.top_k, 3);
  EXPECT_EQ(config.rechecks.max_measurements, 5);
  EXPECT_TRUE(config.rechecks.wait_at_end);
  EXPECT_FALSE(parse(kGood + "rechecks: {top_k: 1, at_end: cancel}\n").rechecks.wait_at_end);
  EXPECT_TRUE(config.rechecks.only_if_it_fits);
  EXPECT_FALSE(
      parse(kGood + "rechecks: {top_k: 1, only_if_it_fits: false}\n").rechecks.only_if_it_fits);
  EXPECT_EQ(parse(kGood + "rechecks:\n").rechecks.top_k, 0) << "an empty section: the defaults";
}

TEST(ConfigLoader, SilenceIsCheckedAgainstTheDefaultHeartbeat) {
  EXPECT_DOUBLE_EQ(
      parse(kGood + "workers: {silent_after_seconds: 21}\n").workers.silent_after_seconds, 21.0);
  EXPECT_THROW(parse(kGood + "workers: {silent_after_seconds: 20}\n"), ConfigError);
  EXPECT_DOUBLE_EQ(parse(kGood + "workers: {heartbeat_seconds: 149}\n").workers.heartbeat_seconds,
                   149.0);
}

/// The message of the ConfigError that `text` raises ("" when accepted).
std::string rejection(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigLoader, EmptyOrNonMappingDocumentsAreRejected) {
  EXPECT_EQ(rejection(""), "test.yaml: is empty: a campaign needs at least campaign and objective");
  EXPECT_EQ(rejection("# only a comment\n\n"), rejection(""));
  EXPECT_EQ(rejection("~\n"), rejection(""));
  EXPECT_EQ(rejection("# c\n- a\n- b\n").rfind("test.yaml:2: must be a YAML mapping", 0), 0u);
  EXPECT_EQ(rejection("just text\n").rfind("test.yaml:1: must be a YAML mapping", 0), 0u);
}

TEST(ConfigLoader, MessagesStayOnOneLine) {
  const std::string message =
      rejection(replace(kGood, "{type: float, low: 0.0", "{type: \"re\\nal\", low: 0.0"));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find("re\\nal"), std::string::npos) << message;
  const std::string long_type(100000, 'x');
  const std::string long_message =
      rejection(replace(kGood, "{type: float, low: 0.0", "{type: " + long_type + ", low: 0.0"));
  EXPECT_LT(long_message.size(), 700u);
}

/// Every prefix of a good file, and single-character mutations of it, either parse or raise a
/// ConfigError with a one-line message: never another exception (std::terminate, exit 134).
TEST(ConfigLoader, GarbledFilesRaiseOnlyConfigErrors) {
  std::vector<std::string> texts;
  for (std::size_t n = 0; n <= kGood.size(); ++n) texts.push_back(kGood.substr(0, n));
  const std::string specials = "[]{}:,-?'\"\n\t&*!|>%@`#~ \\\x01\xc3";
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string text = kGood;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % text.size();
      const char c = specials[rng() % specials.size()];
      if (rng() % 2) {
        text[at] = c;
      } else {
        text.insert(at, 1, c);
      }
    }
    texts.push_back(text);
  }
  for (const auto& text : texts) {
    try {
      parse(text);
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("test.yaml", 0), 0u) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a ConfigError: " << e.what() << "\nfor:\n" << text;
    }
  }
}

TEST(ConfigLoader, RejectsFilesThatAreNotCampaignFiles) {
  const auto message = [](const std::string& path) -> std::string {
    try {
      load_config(path);
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.file(), path);
      EXPECT_EQ(e.line(), 0);
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(message("/nonexistent/campaign.yaml"), "/nonexistent/campaign.yaml: does not exist");
  EXPECT_EQ(message(kFixtures), kFixtures + ": is a directory, not a campaign file");
  EXPECT_NE(message("/dev/zero").find("is not a regular file"), std::string::npos);

  const std::string big =
      ::testing::TempDir() + "/config_loader_big" + std::to_string(getpid()) + ".yaml";
  {
    std::ofstream out(big, std::ios::binary);
    out << kGood;
    for (int i = 0; i < 40000; ++i) out << "# padding padding padding padding padding padding\n";
  }
  EXPECT_NE(message(big).find("is too large for a campaign file"), std::string::npos);
  std::filesystem::remove(big);
}

}  // namespace
}  // namespace lorahpo

namespace lorahpo {
namespace {

// ---------------------------------------------------------------------------------------------
// Optimizer options: each optimizer's struct (common/optimizer_options.h) lists its options once.

CampaignConfig with_optimizer(const std::string& section) {
  return parse(replace(kGood, "optimizer: {name: lhs}", "optimizer: " + section));
}

TEST(ConfigLoader, OptimizerNameIsParsedOnceIntoItsKind) {
  EXPECT_EQ(with_optimizer("{name: bo_gp}").optimizer.kind, OptimizerKind::kBoGp);
  EXPECT_EQ(with_optimizer("{name: soo}").optimizer.kind, OptimizerKind::kSoo);
  EXPECT_EQ(with_optimizer("{name: bamsoo}").optimizer.kind, OptimizerKind::kBamsoo);
  EXPECT_EQ(with_optimizer("{name: random}").optimizer.kind, OptimizerKind::kRandom);
  EXPECT_EQ(parse(replace(kGood, "optimizer: {name: lhs}\n", "")).optimizer.kind,
            OptimizerKind::kBoGp);
  for (const auto& name : optimizer_names()) EXPECT_EQ(to_string(*optimizer_kind(name)), name);
}

TEST(ConfigLoader, BoGpOptionsAreReadAndOthersKeepTheirDefaults) {
  const BoGpOptions o =
      with_optimizer("{name: bo_gp, n_init: 4, mode: sync, liar: mean, max_gp_points: 0}")
          .optimizer.bo_gp;
  EXPECT_EQ(o.n_init, 4);
  EXPECT_EQ(o.mode, BoMode::kSync);
  EXPECT_EQ(o.liar, BoLiar::kMean);
  EXPECT_EQ(o.max_gp_points, 0);
  EXPECT_EQ(o.batch_size, BoGpOptions{}.batch_size);
  EXPECT_EQ(o.acquisition, BoAcquisition::kLogEi);
}

TEST(ConfigLoader, SooAndBamsooOptionsAreRead) {
  const OptimizerConfig soo = with_optimizer("{name: soo, k: 5, depth_exponent: 0.25}").optimizer;
  EXPECT_EQ(soo.soo.k, 5);
  EXPECT_DOUBLE_EQ(soo.soo.depth_exponent, 0.25);
  const OptimizerConfig bamsoo = with_optimizer("{name: bamsoo, k: 4, eta: 0.1}").optimizer;
  EXPECT_EQ(bamsoo.bamsoo.soo.k, 4);
  EXPECT_DOUBLE_EQ(bamsoo.bamsoo.eta, 0.1);
  EXPECT_EQ(soo.soo.parallel, PartitionParallel::kSweep) << "the published algorithm by default";
  EXPECT_EQ(with_optimizer("{name: soo, parallel: async}").optimizer.soo.parallel,
            PartitionParallel::kAsync);
  EXPECT_EQ(with_optimizer("{name: bamsoo, parallel: wide}").optimizer.bamsoo.soo.parallel,
            PartitionParallel::kWide);
}

TEST(ConfigLoader, OptimizerOptionErrorsNameTheKeyAndTheAllowedValues) {
  const struct {
    std::string section;
    std::string key;
    std::string part;
  } cases[] = {
      {"{name: bo_gp, k: 3}", "optimizer.k", "is not a known key"},
      {"{name: soo, eta: 0.5}", "optimizer.eta", "is not a known key"},
      {"{name: lhs, n_init: 3}", "optimizer.n_init", "is not a known key"},
      {"{name: bo_gp, max_gp_points: 8}", "optimizer.max_gp_points",
       "must be 0 (no bound) or in [16, 100000], got 8"},
      {"{name: bo_gp, liar: optimistic}", "optimizer.liar",
       "must be one of auto, best, kriging_believer, mean, worst, got 'optimistic'"},
      {"{name: bo_gp, batch_size: -1}", "optimizer.batch_size",
       "must be in [0, 100000] (0: one per worker)"},
      {"{name: soo, depth_exponent: 0}", "optimizer.depth_exponent", "must be in (0, 1], got 0"},
      {"{name: bamsoo, eta: 1}", "optimizer.eta", "must be in (0, 1), got 1"},
      {"{name: soo, parallel: fast}", "optimizer.parallel",
       "must be one of async, sweep, wide, got 'fast'"},
      {"{name: bo_gp, parallel: async}", "optimizer.parallel", "is not a known key"},
      {"{name: cmaes}", "optimizer.name",
       "must be one of bo_gp, soo, bamsoo, lhs, random, got 'cmaes'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.section);
    try {
      with_optimizer(c.section);
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.line(), 9) << e.what();
      EXPECT_EQ(e.key(), c.key) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.part), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace lorahpo
