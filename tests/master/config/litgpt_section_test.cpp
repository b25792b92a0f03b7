// The litgpt objective's search space: any key of worker/litgpt_keys.h, by path, with a type and
// bounds LitGPT takes. (The same refusals through `lorahpo validate`, exit 2, are the wide_*
// fixtures of tests/fixtures/bad_inputs/, run by app.bad_input.)
#include "master/config/litgpt_section.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/config_error.h"
#include "master/config/config_loader.h"

namespace lorahpo {
namespace {

const std::string kFixtures = std::string(LORAHPO_SOURCE_DIR) + "/tests/fixtures";

/// A litgpt campaign whose search space starts on line 3 with learning_rate; `extra` parameters
/// follow from line 4, the objective after them.
std::string campaign(const std::string& extra, const std::string& objective_extra = "") {
  return "campaign: {name: wide, budget: 4}\nsearch_space:\n"
         "  learning_rate: {type: float, low: -6, high: -2, transform: pow10}\n" +
         extra + "objective:\n  kind: litgpt\n  executable: \"" + kFixtures +
         "/litgpt\"\n  checkpoint_dir: \"{config_dir}/no_such_checkpoint\"\n" + objective_extra;
}

CampaignConfig parse(const std::string& text) {
  return parse_config(text, "wide.yaml", kFixtures);
}

TEST(LitgptSectionSpace, WideConfigValidatesWithTwelveDimensions) {
  std::ifstream file(std::string(LORAHPO_SOURCE_DIR) + "/configs/llama32_3b/wide.yaml");
  std::stringstream text;
  text << file.rdbuf();
  std::string yaml = text.str();
  const std::string from = "executable: litgpt ";
  yaml.replace(yaml.find(from), from.size(), "executable: " + kFixtures + "/litgpt ");
  const CampaignConfig config = parse(yaml);
  ASSERT_EQ(config.space.dim(), 12);
  const Parameter& mlp = config.space.parameter(config.space.index_of("lora_mlp"));
  EXPECT_EQ(mlp.type, ParamType::kCategorical);
  EXPECT_EQ(mlp.choices, (std::vector<std::string>{"false", "true"}));
  EXPECT_GE(config.space.index_of("optimizer.init_args.betas[0]"), 0);
  EXPECT_GE(config.space.index_of("train.global_batch_size"), 0);
}

TEST(LitgptSectionSpace, AcceptsEveryTypeAtItsKind) {
  const CampaignConfig config = parse(campaign(
      "  lora_key: {type: categorical, choices: [false, true]}\n"
      "  data.init_args.mask_prompt: {type: bool}\n"
      "  train.micro_batch_size: {type: int, low: 1, high: 8}\n"
      "  optimizer.init_args.eps: {type: float, low: -10, high: -6, transform: pow10}\n"
      "  data.class_path: {type: categorical, choices: [litgpt.data.Alpaca, litgpt.data.LIMA]}\n"
      "  optimizer.init_args.betas[1]: {type: categorical, choices: [0.95, 0.999]}\n"));
  EXPECT_EQ(config.space.dim(), 7);
}

TEST(LitgptSectionSpace, RejectsNamingKeyAndLine) {
  struct Case {
    std::string text;
    int line;
    std::string key;
    std::string part;
  };
  const std::vector<Case> cases = {
      {campaign("  train.max_norm: {type: float, low: 0.5, high: 2}\n"), 4,
       "search_space.train.max_norm", "validate_args"},
      {campaign("  lora.r: {type: int, low: 2, high: 8}\n"), 4, "search_space.lora.r",
       "is not a LitGPT setting"},
      {campaign("  lora_dropout: {type: float, low: 0.5, high: 1}\n"), 4,
       "search_space.lora_dropout.high", "[0, 1)"},
      {campaign("  weight_decay: {type: float, low: -5, high: -1}\n"), 4,
       "search_space.weight_decay.low", ">= 0"},
      {campaign("  lora_r: {type: float, low: 2, high: 8}\n"), 4, "search_space.lora_r.type",
       "is an int in LitGPT"},
      {campaign("  lora_mlp: {type: categorical, choices: [false, maybe]}\n"), 4,
       "search_space.lora_mlp.choices[1]", "false or true"},
      {campaign("  precision: {type: categorical, choices: [bf16-true, 16-mixed]}\n",
                "  precision: bf16-true\n"),
       4, "search_space.precision", "fixes it too (line 9)"},
      {campaign("  lora_value: {type: bool}\n", "  lora_targets: [query, value]\n"), 4,
       "search_space.lora_value", "fixes it too (line 9)"},
      {campaign("  optimizer.init_args.betas: {type: float, low: 0.8, high: 0.9}\n"), 4,
       "search_space.optimizer.init_args.betas", "betas[0]"},
      {campaign("  seed: {type: int, low: 1, high: 9}\n"), 4, "search_space.seed",
       "cannot be searched"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      parse(c.text);
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.line(), c.line) << e.what();
      EXPECT_EQ(e.key(), c.key) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.part), std::string::npos) << e.what();
    }
  }
}

TEST(LitgptSectionSpace, CommandObjectivesKeepIdentifierNames) {
  const std::string text =
      "campaign: {name: c, budget: 4}\nsearch_space:\n"
      "  train.epochs: {type: int, low: 1, high: 3}\n"
      "objective: {kind: command, command: [\"true\"], result: {file: r.json, pointer: /x}}\n";
  try {
    parse(text);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 3) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a valid parameter name"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lorahpo
