#include "master/config_loader.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/config_error.h"

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

CampaignConfig parse(const std::string& text) { return parse_config(text, "test.yaml", kFixtures); }

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
  EXPECT_EQ(config.optimizer.name, "lhs");
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

TEST(ConfigLoader, ShippedConfigsValidate) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(LORAHPO_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const std::string path = entry.path().string();
    if (path.find("chuc") != std::string::npos || path.find("litgpt") != std::string::npos) continue;
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

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.label; }

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
        BadCase{"budget negative", replace(kGood, "budget: 50", "budget: -3"), 1,
                "campaign.budget", "must be in"},
        BadCase{"budget not a number", replace(kGood, "budget: 50", "budget: many"), 1,
                "campaign.budget", "must be an integer"},
        BadCase{"unknown type", replace(kGood, "{type: float, low: 0.0", "{type: real, low: 0.0"),
                6, "search_space.lora_dropout.type", "must be float, int or categorical"},
        BadCase{"non-integer int bound", replace(kGood, "low: 1, high: 64", "low: 1.5, high: 64"),
                5, "search_space.lora_alpha.low", "must be an integer"},
        BadCase{"unknown placeholder", replace(kGood, "{lora_r}", "{lora_rank}"), 12,
                "objective.command[5]", "names {lora_rank}"},
        BadCase{"missing executable", replace(kGood, "python3, train.py", "no-such-program-x, train.py"),
                12, "objective.command[0]", "not an executable"},
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
        BadCase{"builtin cost on unknown parameter",
                "campaign: {budget: 5}\nobjective:\n  kind: builtin\n  function: branin\n"
                "  cost: {base: 0.1, slope: 0.01, parameter: lora_r}\n",
                5, "objective.cost.parameter", "not a search_space parameter"},
        BadCase{"missing budget", replace(kGood, "budget: 50, ", ""), 1, "campaign.budget",
                "is required"},
        BadCase{"command template braces", replace(kGood, "\"{trial_dir}\"]", "\"{trial_dir\"]"), 12,
                "objective.command[7]", "unclosed"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) {
      std::string name;
      for (char ch : param_info.param.label) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

TEST(ConfigLoader, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config("/nonexistent/campaign.yaml"), ConfigError);
}

}  // namespace
}  // namespace lorahpo
