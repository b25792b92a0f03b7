#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/search_space.h"

namespace lorahpo {

// The settings of `litgpt finetune_lora --config trial.yaml` that a search-space parameter may
// name (README "Searching any LitGPT setting"). A parameter of a litgpt objective is a path in the
// trial config (`optimizer.init_args.betas[0]`, `train.global_batch_size`, `lora_mlp`); the five
// hyperparameters of the first experiment keep their short names (learning_rate, weight_decay,
// lora_r, lora_alpha, lora_dropout). The config reader (master/config/litgpt_section.cpp) accepts
// exactly the keys of this table, and the worker (litgpt_trial_config) writes them.

/// What LitGPT's argument parser (jsonargparse) takes at that key.
enum class LitgptKeyType { kFloat, kInt, kBool, kChoice };

/// One settable key: its path, its type, the values LitGPT accepts, and where that was read.
struct LitgptKey {
  std::string path;
  LitgptKeyType type = LitgptKeyType::kFloat;
  /// Accepted numbers: [min, max], an end excluded when *_open (floats and ints).
  std::optional<double> min;
  bool min_open = false;
  std::optional<double> max;
  bool max_open = false;
  /// The accepted strings of a kChoice key.
  std::vector<std::string> choices;
  /// The upstream file, function or dataclass and version the type and range come from.
  std::string source;
};

/// Every key a parameter may name, in README order.
const std::vector<LitgptKey>& litgpt_keys();

/// Keys LitGPT has but a search may not set, each with the reason (e.g. finetune_lora's
/// validate_args refuses train.max_norm); nullopt when `path` is not one of them.
std::optional<std::string> litgpt_refused_key(const std::string& path);

/// The init_args fields of a data module a search may draw (data.class_path's choices), from its
/// dataclass in litgpt v0.5.13 data/*.py; nullptr for another class path.
const std::vector<std::string>* litgpt_data_module_fields(const std::string& class_path);

/// The path a parameter name stands for: learning_rate -> optimizer.init_args.lr, weight_decay ->
/// optimizer.init_args.weight_decay, any other name is its own path.
std::string litgpt_path_of(const std::string& name);

/// The key of `path`, or nullptr when the table lacks it.
const LitgptKey* find_litgpt_key(const std::string& path);

/// "a, b, c" of every key's path (messages).
std::string litgpt_key_list();

/// Whether `value` lies in the key's accepted range (floats and ints; true for other types).
bool litgpt_in_range(const LitgptKey& key, double value);
/// "[0, 1)", "(0, inf)", ">= 1": the accepted range as text.
std::string litgpt_range_text(const LitgptKey& key);

/// The YAML value a parameter's user value becomes at its key: a float, an integer, a YAML
/// boolean (from the labels "false"/"true") or a string; a categorical label of a numeric key is
/// read as that number. Throws std::invalid_argument for a value that cannot be the key's type.
nlohmann::ordered_json litgpt_key_value(const LitgptKey& key, const ParamValue& value);

/// The segments of a path: `optimizer.init_args.betas[0]` -> "optimizer", "init_args", "betas",
/// then index 0. Throws std::invalid_argument on an empty segment or a bad index.
struct PathSegment {
  std::string name;       ///< empty for an index
  std::size_t index = 0;  ///< for an index
  bool is_index() const { return name.empty(); }
};
std::vector<PathSegment> split_litgpt_path(const std::string& path);

/// Writes `value` at `path` in `config`, creating mappings on the way; an index must fall inside
/// an existing list (betas[0] of the AdamW defaults). Throws std::invalid_argument otherwise.
void set_at_litgpt_path(nlohmann::ordered_json* config, const std::string& path,
                        nlohmann::ordered_json value);
/// The value at `path`, or nullptr when absent.
const nlohmann::ordered_json* value_at_litgpt_path(const nlohmann::ordered_json& config,
                                                   const std::string& path);

}  // namespace lorahpo
