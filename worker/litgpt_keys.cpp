#include "worker/litgpt_keys.h"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "worker/litgpt_names.h"

namespace lorahpo {
namespace {

// Sources, read in litgpt v0.5.13 (the same signatures and fields in v0.5.10-v0.5.12) and the
// torch it pins (>= 2.7).
constexpr const char* kSetup = "litgpt v0.5.13 finetune/lora.py setup()";
constexpr const char* kTrainArgs = "litgpt v0.5.13 args.py TrainArgs";
constexpr const char* kAdamW = "torch >= 2.7 optim/adam.py Adam.__init__ (AdamW's checks)";

LitgptKey key(std::string path, LitgptKeyType type, std::string source) {
  LitgptKey k;
  k.path = std::move(path);
  k.type = type;
  k.source = std::move(source);
  return k;
}

LitgptKey ranged(std::string path, LitgptKeyType type, std::optional<double> min, bool min_open,
                 std::optional<double> max, bool max_open, std::string source) {
  LitgptKey k = key(std::move(path), type, std::move(source));
  k.min = min;
  k.min_open = min_open;
  k.max = max;
  k.max_open = max_open;
  return k;
}

std::vector<LitgptKey> make_keys() {
  using T = LitgptKeyType;
  std::vector<LitgptKey> keys;
  // setup(precision: str | None), handed to L.Fabric(precision=...): the strings LitGPT documents
  // and get_default_supported_precision (utils.py) picks from.
  LitgptKey precision = key("precision", T::kChoice, std::string(kSetup) + ": precision");
  precision.choices = litgpt_precisions();
  keys.push_back(precision);
  // lora_r: int; litgpt/lora.py LoRALinear creates lora_A/lora_B only when r > 0.
  keys.push_back(ranged("lora_r", T::kInt, 1, false, std::nullopt, false,
                        std::string(kSetup) + ": lora_r: int (lora.py LoRALinear: r > 0)"));
  // lora_alpha: int; the update is scaled by alpha / r (lora.py LoRALinear.scaling): 0 cancels it.
  keys.push_back(ranged("lora_alpha", T::kInt, 1, false, std::nullopt, false,
                        std::string(kSetup) + ": lora_alpha: int (lora.py scaling = alpha / r)"));
  // lora_dropout: float; torch.nn.Dropout refuses p outside [0, 1], and p = 1 zeroes the LoRA path.
  keys.push_back(ranged("lora_dropout", T::kFloat, 0, false, 1, true,
                        std::string(kSetup) + ": lora_dropout: float (torch.nn.Dropout p)"));
  for (const std::string& target : litgpt_lora_targets()) {
    keys.push_back(
        key("lora_" + target, T::kBool, std::string(kSetup) + ": lora_" + target + ": bool"));
  }
  // data: DataModule | None; the instruction-tuning modules of litgpt/data/__init__.py (v0.5.13).
  // Not JSON (needs json_path, which no other module takes) nor the pretraining modules
  // (TinyLlama, OpenWebText, ...: no prompts to fine-tune on).
  LitgptKey data =
      key("data.class_path", T::kChoice,
          std::string(kSetup) + ": data: DataModule (litgpt v0.5.13 data/__init__.py)");
  for (const char* module :
       {"Alpaca", "Alpaca2k", "AlpacaGPT4", "Deita", "FLAN", "LIMA", "LongForm"}) {
    data.choices.push_back(std::string("litgpt.data.") + module);
  }
  keys.push_back(data);
  keys.push_back(key("data.init_args.mask_prompt", T::kBool,
                     "litgpt v0.5.13 data/alpaca.py (and every module above): mask_prompt: bool"));
  keys.push_back(ranged("train.global_batch_size", T::kInt, 1, false, std::nullopt, false,
                        std::string(kTrainArgs) + ".global_batch_size: int"));
  keys.push_back(ranged("train.micro_batch_size", T::kInt, 1, false, std::nullopt, false,
                        std::string(kTrainArgs) + ".micro_batch_size: int"));
  // finetune/lora.py get_lr_scheduler: LambdaLR(lambda step: step / warmup_steps), so 0 (or
  // None) fails when the scheduler is built.
  keys.push_back(ranged("train.lr_warmup_steps", T::kInt, 1, false, std::nullopt, false,
                        std::string(kTrainArgs) +
                            ".lr_warmup_steps: int | None (finetune/lora.py get_lr_scheduler "
                            "divides by it)"));
  keys.push_back(ranged("train.epochs", T::kInt, 1, false, std::nullopt, false,
                        std::string(kTrainArgs) + ".epochs: int | None"));
  keys.push_back(ranged("train.max_steps", T::kInt, 1, false, std::nullopt, false,
                        std::string(kTrainArgs) + ".max_steps: int | None"));
  keys.push_back(ranged("train.max_seq_length", T::kInt, 1, false, std::nullopt, false,
                        std::string(kTrainArgs) + ".max_seq_length: int | None"));
  // optimizer: str | dict -> utils.py instantiate_torch_optimizer ->
  // torch.optim.AdamW(**init_args).
  keys.push_back(ranged("optimizer.init_args.lr", T::kFloat, 0, true, std::nullopt, false,
                        std::string(kAdamW) + ": lr (0 would train nothing)"));
  keys.push_back(ranged("optimizer.init_args.weight_decay", T::kFloat, 0, false, std::nullopt,
                        false, std::string(kAdamW) + ": weight_decay >= 0"));
  for (const char* beta : {"optimizer.init_args.betas[0]", "optimizer.init_args.betas[1]"}) {
    keys.push_back(
        ranged(beta, T::kFloat, 0, false, 1, true, std::string(kAdamW) + ": 0 <= betas[i] < 1"));
  }
  keys.push_back(ranged("optimizer.init_args.eps", T::kFloat, 0, false, std::nullopt, false,
                        std::string(kAdamW) + ": eps >= 0"));
  keys.push_back(
      key("optimizer.init_args.amsgrad", T::kBool, std::string(kAdamW) + ": amsgrad: bool"));
  return keys;
}

}  // namespace

const std::vector<LitgptKey>& litgpt_keys() {
  static const std::vector<LitgptKey> kKeys = make_keys();
  return kKeys;
}

std::optional<std::string> litgpt_refused_key(const std::string& path) {
  static const std::map<std::string, std::string> kRefused = {
      {"train.max_norm",
       "finetune_lora refuses it (litgpt v0.5.13 finetune/lora.py validate_args)"},
      {"train.max_tokens",
       "finetune_lora refuses it (litgpt v0.5.13 finetune/lora.py validate_args)"},
      {"train.tie_embeddings",
       "finetune_lora refuses it (litgpt v0.5.13 finetune/lora.py validate_args)"},
      {"train.lr_warmup_fraction",
       "finetune_lora refuses it (litgpt v0.5.13 finetune/lora.py validate_args); search "
       "train.lr_warmup_steps"},
      {"train.min_lr",
       "finetune_lora never reads it: its cosine schedule anneals to 0 (litgpt v0.5.13 "
       "finetune/lora.py get_lr_scheduler)"},
      {"train.save_interval", "it changes checkpointing, not the trained model"},
      {"train.log_interval", "it changes logging, not the trained model"},
      {"devices", "the node's GPUs are objective.devices, checked against the node"},
      {"num_nodes", "each trial runs on one node (objective.num_nodes must be 1)"},
      {"seed", "the seed is the campaign's (objective.seed): searching it would fit noise"},
      {"checkpoint_dir", "it is objective.checkpoint_dir"},
      {"out_dir", "lorahpo sets it to the trial's work directory"},
      {"optimizer.class_path",
       "the trial's optimizer is torch.optim.AdamW; search its init_args (lr, weight_decay, "
       "betas[0], betas[1], eps, amsgrad)"},
      {"optimizer.init_args.betas",
       "name one element: optimizer.init_args.betas[0] or optimizer.init_args.betas[1]"},
  };
  const auto it = kRefused.find(path);
  if (it == kRefused.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>* litgpt_data_module_fields(const std::string& class_path) {
  // The dataclass fields with init=True of each module (litgpt v0.5.13 data/alpaca.py,
  // alpaca_2k.py, alpaca_gpt4.py, deita.py, flan.py, lima.py, longform.py).
  static const std::vector<std::string> kCommon = {"mask_prompt", "prompt_style", "ignore_index",
                                                   "seed", "num_workers"};
  const auto with = [](std::vector<std::string> more) {
    std::vector<std::string> fields = kCommon;
    fields.insert(fields.end(), more.begin(), more.end());
    return fields;
  };
  static const std::map<std::string, std::vector<std::string>> kFields = {
      {"litgpt.data.Alpaca", with({"val_split_fraction", "download_dir", "file_url", "file_name"})},
      {"litgpt.data.Alpaca2k",
       with({"val_split_fraction", "download_dir", "file_url", "file_name", "repo_id"})},
      {"litgpt.data.AlpacaGPT4",
       with({"val_split_fraction", "download_dir", "file_url", "file_name"})},
      {"litgpt.data.Deita", with({"include_multiturn_conversations", "download_dir", "repo_id"})},
      {"litgpt.data.FLAN", with({"download_dir", "url", "subsets"})},
      {"litgpt.data.LIMA",
       with({"val_split_fraction", "include_multiturn_conversations", "repo_id", "access_token"})},
      {"litgpt.data.LongForm", with({"download_dir"})},
  };
  const auto it = kFields.find(class_path);
  return it == kFields.end() ? nullptr : &it->second;
}

std::string litgpt_path_of(const std::string& name) {
  if (name == "learning_rate") return "optimizer.init_args.lr";
  if (name == "weight_decay") return "optimizer.init_args.weight_decay";
  return name;
}

const LitgptKey* find_litgpt_key(const std::string& path) {
  for (const LitgptKey& k : litgpt_keys()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

std::string litgpt_key_list() {
  std::string out;
  for (const LitgptKey& k : litgpt_keys()) out += (out.empty() ? "" : ", ") + k.path;
  return out;
}

bool litgpt_in_range(const LitgptKey& key, double value) {
  if (key.type != LitgptKeyType::kFloat && key.type != LitgptKeyType::kInt) return true;
  if (!std::isfinite(value)) return false;
  if (key.min && (key.min_open ? !(value > *key.min) : !(value >= *key.min))) return false;
  if (key.max && (key.max_open ? !(value < *key.max) : !(value <= *key.max))) return false;
  return true;
}

std::string litgpt_range_text(const LitgptKey& key) {
  if (key.min && key.max) {
    return fmt::format("{}{}, {}{}", key.min_open ? "(" : "[", *key.min, *key.max,
                       key.max_open ? ")" : "]");
  }
  if (key.min) return fmt::format("{} {}", key.min_open ? ">" : ">=", *key.min);
  if (key.max) return fmt::format("{} {}", key.max_open ? "<" : "<=", *key.max);
  return "any";
}

nlohmann::ordered_json litgpt_key_value(const LitgptKey& key, const ParamValue& value) {
  const auto* label = std::get_if<std::string>(&value);
  const auto number = [&]() -> double {
    if (!label) return numeric_value(value);
    std::size_t used = 0;
    double x = 0.0;
    try {
      x = std::stod(*label, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != label->size() || !std::isfinite(x)) {
      throw std::invalid_argument(fmt::format("{}: '{}' is not a number", key.path, *label));
    }
    return x;
  };
  switch (key.type) {
    case LitgptKeyType::kFloat:
      return number();
    case LitgptKeyType::kInt: {
      const double x = number();
      if (x != std::round(x) || std::fabs(x) > 1e15) {
        // An int parameter's bins and a categorical's labels are integers already; a float here
        // is a config the reader should have refused.
        throw std::invalid_argument(fmt::format("{}: {} is not an integer", key.path, x));
      }
      return static_cast<long long>(std::llround(x));
    }
    case LitgptKeyType::kBool:
      if (label && *label == "true") return true;
      if (label && *label == "false") return false;
      throw std::invalid_argument(
          fmt::format("{}: '{}' is not true or false", key.path, format_value(value)));
    case LitgptKeyType::kChoice:
      if (!label) {
        throw std::invalid_argument(
            fmt::format("{}: {} is not one of its choices", key.path, format_value(value)));
      }
      return *label;
  }
  return nullptr;
}

std::vector<PathSegment> split_litgpt_path(const std::string& path) {
  std::vector<PathSegment> segments;
  std::size_t i = 0;
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument(fmt::format("'{}' is not a key path: {}", path, why));
  };
  while (i < path.size()) {
    const std::size_t end = path.find_first_of(".[", i);
    const std::string name = path.substr(i, end == std::string::npos ? end : end - i);
    if (name.empty()) throw bad("an empty key");
    PathSegment segment;
    segment.name = name;
    segments.push_back(segment);
    i = end == std::string::npos ? path.size() : end;
    while (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos || close == i + 1) throw bad("an unclosed or empty [ ]");
      const std::string digits = path.substr(i + 1, close - i - 1);
      if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6)
        throw bad("the index '" + digits + "' is not a number");
      PathSegment index;
      index.index = static_cast<std::size_t>(std::stoul(digits));
      segments.push_back(index);
      i = close + 1;
    }
    if (i < path.size()) {
      if (path[i] != '.') throw bad("a ']' must be followed by '.' or '['");
      ++i;
      if (i == path.size()) throw bad("it ends with '.'");
    }
  }
  if (segments.empty()) throw bad("it is empty");
  return segments;
}

void set_at_litgpt_path(nlohmann::ordered_json* config, const std::string& path,
                        nlohmann::ordered_json value) {
  nlohmann::ordered_json* node = config;
  for (const PathSegment& segment : split_litgpt_path(path)) {
    if (segment.is_index()) {
      if (!node->is_array() || segment.index >= node->size()) {
        throw std::invalid_argument(
            fmt::format("{}: no element {} in {}", path, segment.index, node->dump()));
      }
      node = &(*node)[segment.index];
    } else {
      if (node->is_null()) *node = nlohmann::ordered_json::object();
      if (!node->is_object()) {
        throw std::invalid_argument(fmt::format("{}: '{}' is under a {}, not a mapping", path,
                                                segment.name, node->type_name()));
      }
      node = &(*node)[segment.name];
    }
  }
  *node = std::move(value);
}

const nlohmann::ordered_json* value_at_litgpt_path(const nlohmann::ordered_json& config,
                                                   const std::string& path) {
  const nlohmann::ordered_json* node = &config;
  for (const PathSegment& segment : split_litgpt_path(path)) {
    if (segment.is_index()) {
      if (!node->is_array() || segment.index >= node->size()) return nullptr;
      node = &(*node)[segment.index];
    } else {
      if (!node->is_object()) return nullptr;
      const auto it = node->find(segment.name);
      if (it == node->end()) return nullptr;
      node = &*it;
    }
  }
  return node;
}

}  // namespace lorahpo
