#include "worker/litgpt_keys.h"

#include <set>
#include <stdexcept>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

TEST(LitgptKeys, EveryKeyHasASourceAndAParseablePathOnce) {
  std::set<std::string> seen;
  for (const LitgptKey& key : litgpt_keys()) {
    EXPECT_FALSE(key.source.empty()) << key.path;
    EXPECT_NO_THROW(split_litgpt_path(key.path)) << key.path;
    EXPECT_TRUE(seen.insert(key.path).second) << key.path;
    EXPECT_FALSE(litgpt_refused_key(key.path).has_value()) << key.path;
    if (key.type == LitgptKeyType::kChoice) {
      EXPECT_FALSE(key.choices.empty()) << key.path;
    }
  }
  // The five of the first experiment keep their short names.
  EXPECT_EQ(litgpt_path_of("learning_rate"), "optimizer.init_args.lr");
  EXPECT_EQ(litgpt_path_of("weight_decay"), "optimizer.init_args.weight_decay");
  for (const char* name : {"lora_r", "lora_alpha", "lora_dropout"}) {
    EXPECT_EQ(litgpt_path_of(name), name);
    EXPECT_NE(find_litgpt_key(name), nullptr) << name;
  }
}

TEST(LitgptKeys, RangesFollowLitgptAndTorch) {
  const LitgptKey* beta = find_litgpt_key("optimizer.init_args.betas[0]");
  ASSERT_NE(beta, nullptr);
  EXPECT_TRUE(litgpt_in_range(*beta, 0.0));
  EXPECT_TRUE(litgpt_in_range(*beta, 0.999));
  EXPECT_FALSE(litgpt_in_range(*beta, 1.0));  // torch Adam: 0 <= beta < 1
  EXPECT_FALSE(litgpt_in_range(*beta, -0.1));
  EXPECT_EQ(litgpt_range_text(*beta), "[0, 1)");
  const LitgptKey* warmup = find_litgpt_key("train.lr_warmup_steps");
  ASSERT_NE(warmup, nullptr);
  EXPECT_FALSE(litgpt_in_range(*warmup, 0));  // get_lr_scheduler divides by it
  EXPECT_EQ(litgpt_range_text(*warmup), ">= 1");
  const LitgptKey* lr = find_litgpt_key("optimizer.init_args.lr");
  ASSERT_NE(lr, nullptr);
  EXPECT_FALSE(litgpt_in_range(*lr, 0.0));
  EXPECT_FALSE(litgpt_in_range(*lr, std::nan("")));
  EXPECT_EQ(find_litgpt_key("train.min_lr"), nullptr);
  EXPECT_TRUE(litgpt_refused_key("train.min_lr").has_value());
}

TEST(LitgptKeys, ValuesTakeTheKeysType) {
  const LitgptKey& mlp = *find_litgpt_key("lora_mlp");
  EXPECT_EQ(litgpt_key_value(mlp, ParamValue(std::string("true"))), true);
  EXPECT_EQ(litgpt_key_value(mlp, ParamValue(std::string("false"))), false);
  EXPECT_THROW(litgpt_key_value(mlp, ParamValue(1.0)), std::invalid_argument);
  const LitgptKey& batch = *find_litgpt_key("train.global_batch_size");
  const auto from_label = litgpt_key_value(batch, ParamValue(std::string("32")));
  EXPECT_TRUE(from_label.is_number_integer());
  EXPECT_EQ(from_label, 32);
  EXPECT_EQ(litgpt_key_value(batch, ParamValue(std::int64_t{64})), 64);
  EXPECT_THROW(litgpt_key_value(batch, ParamValue(std::string("24.5"))), std::invalid_argument);
  EXPECT_THROW(litgpt_key_value(batch, ParamValue(std::string("16x"))), std::invalid_argument);
  const LitgptKey& beta = *find_litgpt_key("optimizer.init_args.betas[1]");
  EXPECT_TRUE(litgpt_key_value(beta, ParamValue(0.99)).is_number_float());
  const LitgptKey& precision = *find_litgpt_key("precision");
  EXPECT_EQ(litgpt_key_value(precision, ParamValue(std::string("bf16-mixed"))), "bf16-mixed");
}

TEST(LitgptKeyPath, SplitsKeysAndIndices) {
  const auto segments = split_litgpt_path("optimizer.init_args.betas[1]");
  ASSERT_EQ(segments.size(), 4u);
  EXPECT_EQ(segments[2].name, "betas");
  EXPECT_TRUE(segments[3].is_index());
  EXPECT_EQ(segments[3].index, 1u);
  for (const char* bad : {"", ".a", "a.", "a..b", "a[", "a[]", "a[x]", "a[0]b", "[0]"}) {
    EXPECT_THROW(split_litgpt_path(bad), std::invalid_argument) << bad;
  }
}

TEST(LitgptKeyPath, SetsInPlaceAndCreatesMappings) {
  nlohmann::ordered_json config = {{"precision", "bf16-true"},
                                   {"optimizer",
                                    {{"class_path", "torch.optim.AdamW"},
                                     {"init_args", {{"lr", 3e-4}, {"betas", {0.9, 0.95}}}}}}};
  set_at_litgpt_path(&config, "optimizer.init_args.betas[0]", 0.85);
  set_at_litgpt_path(&config, "precision", "bf16-mixed");
  set_at_litgpt_path(&config, "data.init_args.mask_prompt", true);
  EXPECT_EQ(config["optimizer"]["init_args"]["betas"], nlohmann::ordered_json({0.85, 0.95}));
  EXPECT_EQ(config.begin().key(), "precision");  // replaced where it was
  EXPECT_EQ(config["data"]["init_args"]["mask_prompt"], true);
  EXPECT_THROW(set_at_litgpt_path(&config, "optimizer.init_args.betas[2]", 0.5),
               std::invalid_argument);
  EXPECT_THROW(set_at_litgpt_path(&config, "precision.x", 1), std::invalid_argument);
  ASSERT_NE(value_at_litgpt_path(config, "optimizer.init_args.betas[1]"), nullptr);
  EXPECT_EQ(*value_at_litgpt_path(config, "optimizer.init_args.betas[1]"), 0.95);
  EXPECT_EQ(value_at_litgpt_path(config, "train.epochs"), nullptr);
}

TEST(LitgptDataModules, FieldsOfTheSearchableModules) {
  const LitgptKey& data = *find_litgpt_key("data.class_path");
  for (const std::string& module : data.choices) {
    const auto* fields = litgpt_data_module_fields(module);
    ASSERT_NE(fields, nullptr) << module;
    EXPECT_NE(std::find(fields->begin(), fields->end(), "mask_prompt"), fields->end()) << module;
  }
  const auto* lima = litgpt_data_module_fields("litgpt.data.LIMA");
  EXPECT_EQ(std::find(lima->begin(), lima->end(), "download_dir"), lima->end());
  EXPECT_EQ(litgpt_data_module_fields("litgpt.data.JSON"), nullptr);
}

}  // namespace
}  // namespace lorahpo
