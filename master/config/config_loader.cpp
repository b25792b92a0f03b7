#include "master/config/config_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "common/config_error.h"
#include "common/placeholder_template.h"
#include "master/optimizers/optimizer_factory.h"
#include "worker/builtin_objective.h"
#include "worker/command_evaluator.h"
#include "worker/litgpt_evaluator.h"
#include "worker/test_function.h"

namespace lorahpo {
namespace {

/// " (the limit is N levels)" from yaml-cpp 0.7 and 0.8 (Debian 12, 13), whose DeepRecursion has
/// depth(); Debian 11's 0.6.3 carries the same guard backported, but its AtDepth() is not exported
/// from the shared library, so nothing is added there. The overload taking `int` wins when
/// depth() exists.
template <typename Recursion>
auto recursion_limit_text(const Recursion& e, int) -> decltype(e.depth(), std::string()) {
  return fmt::format(" (the limit is {} levels)", e.depth());
}
template <typename Recursion>
std::string recursion_limit_text(const Recursion&, long) {
  return "";
}

/// Walks a YAML document keeping the file name for messages; every check throws ConfigError
/// with the line of the offending node (or of its parent mapping when a key is missing).
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& message) const {
    throw ConfigError(file_, line_of(node), one_line(key, 200), one_line(message, 400));
  }

  /// The name of a mapping key: keys must be plain scalars (not lists, mappings or null).
  std::string key_name(const YAML::Node& key_node, const std::string& parent_key) const {
    if (!key_node.IsScalar()) {
      fail(key_node, parent_key, "has a key that is not a plain name (a list, a mapping or null)");
    }
    return key_node.as<std::string>();
  }

  static int line_of(const YAML::Node& node) {
    return node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  }

  /// A mapping whose keys are all in `allowed`; duplicate keys are errors too.
  void expect_map(const YAML::Node& node, const std::string& key,
                  const std::set<std::string>& allowed) const {
    if (!node.IsMap()) fail(node, key, "must be a mapping");
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string name = key_name(entry.first, key);
      const std::string path = key.empty() ? name : key + "." + name;
      if (!seen.insert(name).second) fail(entry.first, path, "is given twice");
      if (!allowed.empty() && !allowed.count(name)) {
        std::string names;
        for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
        fail(entry.first, path, "is not a known key (expected one of: " + names + ")");
      }
    }
  }

  YAML::Node required(const YAML::Node& parent, const std::string& parent_key,
                      const std::string& name) const {
    const YAML::Node node = parent[name];
    if (!node.IsDefined() || node.IsNull()) {
      fail(parent, join(parent_key, name), "is required");
    }
    return node;
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "must be a string");
    std::string value = node.as<std::string>();
    if (value.find('\0') != std::string::npos) fail(node, key, "contains a NUL character");
    return value;
  }

  double number(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "must be a number");
    double value = 0.0;
    if (!YAML::convert<double>::decode(node, value) || !std::isfinite(value)) {
      fail(node, key, "must be a finite number, got '" + node.as<std::string>() + "'");
    }
    return value;
  }

  long long integer(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "must be an integer");
    long long value = 0;
    if (!YAML::convert<long long>::decode(node, value)) {
      fail(node, key, "must be an integer, got '" + node.as<std::string>() + "'");
    }
    return value;
  }

  /// `text` on one line (control characters escaped, as in C) and at most `limit` characters:
  /// the message must stay one readable line whatever the file holds.
  static std::string one_line(const std::string& text, std::size_t limit) {
    std::string out;
    for (const char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\r') {
        out += "\\r";
      } else if (u < 0x20 || u == 0x7f) {
        out += fmt::format("\\x{:02x}", u);
      } else {
        out.push_back(c);
      }
    }
    if (out.size() > limit) {
      std::size_t cut = limit;
      while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
      out = out.substr(0, cut) + "...";
    }
    return out;
  }

  static std::string join(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

bool is_identifier(const std::string& name) {
  static const std::regex kIdentifier("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(name, kIdentifier);
}

Parameter read_parameter(const Reader& r, const YAML::Node& node, const std::string& key,
                         const std::string& name) {
  r.expect_map(node, key, {"type", "low", "high", "transform", "choices"});
  Parameter p;
  p.name = name;
  const std::string type = r.text(r.required(node, key, "type"), key + ".type");
  if (type == "float") {
    p.type = ParamType::kFloat;
  } else if (type == "int") {
    p.type = ParamType::kInt;
  } else if (type == "categorical") {
    p.type = ParamType::kCategorical;
  } else {
    r.fail(node["type"], key + ".type", "must be float, int or categorical, got '" + type + "'");
  }

  if (p.type == ParamType::kCategorical) {
    for (const char* k : {"low", "high", "transform"}) {
      if (node[k].IsDefined()) r.fail(node[k], key + "." + k, "does not apply to a categorical");
    }
    const YAML::Node choices = r.required(node, key, "choices");
    if (!choices.IsSequence() || choices.size() == 0) {
      r.fail(choices, key + ".choices", "must be a non-empty list");
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < choices.size(); ++i) {
      const std::string label = r.text(choices[i], fmt::format("{}.choices[{}]", key, i));
      if (!seen.insert(label).second) {
        r.fail(choices[i], fmt::format("{}.choices[{}]", key, i), "repeats '" + label + "'");
      }
      p.choices.push_back(label);
    }
    return p;
  }

  if (node["choices"].IsDefined()) r.fail(node["choices"], key + ".choices", "applies to categoricals only");
  p.low = r.number(r.required(node, key, "low"), key + ".low");
  p.high = r.number(r.required(node, key, "high"), key + ".high");
  if (!(p.low < p.high)) {
    r.fail(node["low"], key + ".low",
           fmt::format("({}) must be < high ({})", node["low"].as<std::string>(),
                       node["high"].as<std::string>()));
  }
  if (!std::isfinite(p.high - p.low)) {
    r.fail(node["high"], key + ".high",
           fmt::format("({}) is too far from low ({}): high - low overflows a double",
                       node["high"].as<std::string>(), node["low"].as<std::string>()));
  }
  if (const YAML::Node t = node["transform"]; t.IsDefined()) {
    const std::string transform = r.text(t, key + ".transform");
    if (transform == "pow10") {
      p.transform = Transform::kPow10;
    } else if (transform != "none") {
      r.fail(t, key + ".transform", "must be none or pow10, got '" + transform + "'");
    }
    if (p.transform == Transform::kPow10 && p.type == ParamType::kInt) {
      r.fail(t, key + ".transform", "pow10 applies to floats only");
    }
    if (p.transform == Transform::kPow10 && (p.low < -300 || p.high > 300)) {
      r.fail(t, key + ".transform", "pow10 exponents must lie in [-300, 300]");
    }
  }
  if (p.type == ParamType::kInt) {
    for (const char* k : {"low", "high"}) {
      const double v = k[0] == 'l' ? p.low : p.high;
      if (v != std::round(v) || std::fabs(v) > 1e15) {
        r.fail(node[k], key + "." + k, fmt::format("must be an integer for an int parameter, got {}", v));
      }
    }
  }
  return p;
}

SearchSpace read_search_space(const Reader& r, const YAML::Node& node) {
  r.expect_map(node, "search_space", {});
  if (node.size() == 0) r.fail(node, "search_space", "is empty: give at least one parameter");
  std::vector<Parameter> parameters;
  for (const auto& entry : node) {
    const std::string name = r.key_name(entry.first, "search_space");
    const std::string key = "search_space." + name;
    if (!is_identifier(name)) {
      r.fail(entry.first, key, "is not a valid parameter name (letters, digits and _)");
    }
    for (const auto& reserved : trial_placeholders()) {
      if (name == reserved) r.fail(entry.first, key, "is a reserved name");
    }
    parameters.push_back(read_parameter(r, entry.second, key, name));
  }
  return SearchSpace(std::move(parameters));
}

/// Longest simulated evaluation (cost, time_scale): one day. Larger values would overflow the
/// clocks that time the sleep, and no test wants them.
constexpr double kMaxSimulatedSeconds = 86400.0;

/// Longest evaluation timeout: 30 days (a clock deadline must stay representable).
constexpr double kMaxTimeoutSeconds = 30.0 * 86400.0;

/// Largest campaign file read: a campaign is a few hundred bytes; more is a wrong file.
constexpr std::uintmax_t kMaxConfigBytes = 1u << 20;

/// Most values a LitGPT section may hold once YAML aliases are expanded (an alias bomb would
/// otherwise expand to billions).
constexpr std::size_t kMaxSectionValues = 100000;

CostModel read_cost(const Reader& r, const YAML::Node& node) {
  const std::string key = "objective.cost";
  r.expect_map(node, key, {"base", "slope", "parameter"});
  CostModel cost;
  if (node["base"]) cost.base_seconds = r.number(node["base"], key + ".base");
  if (node["slope"]) cost.slope_seconds = r.number(node["slope"], key + ".slope");
  if (node["parameter"]) cost.parameter = r.text(node["parameter"], key + ".parameter");
  if (cost.base_seconds < 0 || cost.base_seconds > kMaxSimulatedSeconds) {
    r.fail(node["base"], key + ".base", fmt::format("must be in [0, {}] seconds", kMaxSimulatedSeconds));
  }
  if (cost.slope_seconds != 0.0 && cost.parameter.empty()) {
    r.fail(node, key + ".parameter", "is required when slope is not 0");
  }
  return cost;
}

/// True if an executable of that name is in PATH or at that path.
bool executable_exists(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    struct stat info {};
    return stat(program.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           access(program.c_str(), X_OK) == 0;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + program;
    struct stat info {};
    if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

void check_template(const Reader& r, const YAML::Node& node, const std::string& key,
                    const std::string& text, const SearchSpace& space) {
  std::vector<std::string> names;
  try {
    names = placeholder_names(text);
  } catch (const std::invalid_argument& e) {
    r.fail(node, key, e.what());
  }
  for (const auto& name : names) {
    bool known = space.index_of(name) >= 0;
    for (const auto& reserved : trial_placeholders()) known = known || name == reserved;
    if (!known) {
      r.fail(node, key, "names {" + name + "}, which is neither a search_space parameter nor one of "
                        "{trial_dir}, {trial_id}, {config_dir}");
    }
  }
}

CommandObjective read_command(const Reader& r, const YAML::Node& node, const SearchSpace& space,
                              const std::string& config_dir) {
  CommandObjective command;
  const YAML::Node argv = r.required(node, "objective", "command");
  if (!argv.IsSequence() || argv.size() == 0) {
    r.fail(argv, "objective.command", "must be a non-empty list of arguments (no shell is used)");
  }
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string key = fmt::format("objective.command[{}]", i);
    command.argv.push_back(r.text(argv[i], key));
    check_template(r, argv[i], key, command.argv.back(), space);
  }
  // The program itself must exist now, not fail 50 times an hour later.
  const std::string program = expand_placeholders(
      command.argv.front(), [&](const std::string& name) -> std::optional<std::string> {
        if (name == "config_dir") return config_dir;
        return std::nullopt;
      });
  if (!executable_exists(program)) {
    r.fail(argv[0], "objective.command[0]", "'" + program + "' is not an executable file nor in PATH");
  }

  if (const YAML::Node t = node["timeout"]; t.IsDefined()) {
    command.timeout_seconds = r.number(t, "objective.timeout");
    if (command.timeout_seconds <= 0 || command.timeout_seconds > kMaxTimeoutSeconds) {
      r.fail(t, "objective.timeout", fmt::format("must be > 0 seconds and at most {} (30 days)", kMaxTimeoutSeconds));
    }
  }
  if (const YAML::Node result = node["result"]; result.IsDefined()) {
    r.expect_map(result, "objective.result", {"file", "pointer"});
    if (result["file"]) {
      command.result.file = r.text(result["file"], "objective.result.file");
      check_template(r, result["file"], "objective.result.file", command.result.file, space);
      command.result.pointer = r.text(r.required(result, "objective.result", "pointer"),
                                      "objective.result.pointer");
      try {
        nlohmann::json::json_pointer check(command.result.pointer);
      } catch (const nlohmann::json::exception& e) {
        r.fail(result["pointer"], "objective.result.pointer",
               "is not an RFC 6901 JSON pointer (e.g. /results/hellaswag/acc_norm,none)");
      }
    } else if (result["pointer"]) {
      r.fail(result["pointer"], "objective.result.pointer", "needs objective.result.file");
    }
  }
  if (const YAML::Node env = node["env"]; env.IsDefined()) {
    r.expect_map(env, "objective.env", {});
    for (const auto& entry : env) {
      const std::string name = r.key_name(entry.first, "objective.env");
      const std::string key = "objective.env." + name;
      if (!is_identifier(name)) r.fail(entry.first, key, "is not a valid variable name");
      command.env[name] = r.text(entry.second, key);
      check_template(r, entry.second, key, command.env[name], space);
    }
  }
  return command;
}


/// A YAML subtree as JSON, scalars typed as YAML 1.2 reads them (bool, integer, float, string).
/// `budget` counts the values still allowed (aliases expand: an alias bomb must not hang us).
nlohmann::json yaml_to_json(const Reader& r, const YAML::Node& node, const YAML::Node& section,
                            const std::string& key, std::size_t* budget) {
  if (*budget == 0) {
    r.fail(section, key, fmt::format("is too large: more than {} values once YAML aliases are expanded",
                                     kMaxSectionValues));
  }
  --*budget;
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node) {
      object[r.key_name(entry.first, key)] = yaml_to_json(r, entry.second, section, key, budget);
    }
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(yaml_to_json(r, item, section, key, budget));
    return array;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string text = node.as<std::string>();
  if (node.Tag() == "!") return text;  // quoted: a string whatever it looks like
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  if (text == "null" || text == "~") return nullptr;
  long long integer = 0;
  if (YAML::convert<long long>::decode(node, integer)) return integer;
  double number = 0.0;
  if (YAML::convert<double>::decode(node, number)) return number;
  return text;
}

MetricSpec read_metric(const Reader& r, const YAML::Node& node, const std::string& key) {
  r.expect_map(node, key, {"task", "metric"});
  return MetricSpec{r.text(r.required(node, key, "task"), key + ".task"),
                    r.text(r.required(node, key, "metric"), key + ".metric")};
}

LitgptObjective read_litgpt(const Reader& r, const YAML::Node& node, const SearchSpace& space,
                            const std::string& config_dir) {
  LitgptObjective o;
  const auto expand_config_dir = [&](const std::string& text) {
    return expand_placeholders(text, [&](const std::string& name) -> std::optional<std::string> {
      if (name == "config_dir") return config_dir;
      return std::nullopt;
    });
  };
  for (const auto& p : space.parameters()) {
    const auto& names = litgpt_parameter_names();
    if (std::find(names.begin(), names.end(), p.name) == names.end()) {
      r.fail(node, "search_space." + p.name,
             "is not a LitGPT hyperparameter lorahpo can set (learning_rate, weight_decay, lora_r, "
             "lora_alpha, lora_dropout)");
    }
  }
  if (node["executable"]) {
    o.executable = r.text(node["executable"], "objective.executable");
    try {
      o.executable = expand_config_dir(o.executable);
    } catch (const std::invalid_argument& e) {
      r.fail(node["executable"], "objective.executable", e.what());
    }
  }
  if (!executable_exists(o.executable)) {
    r.fail(node["executable"] ? node["executable"] : node, "objective.executable",
           "'" + o.executable + "' is not an executable file nor in PATH (activate LitGPT's virtual environment)");
  }
  o.checkpoint_dir = r.text(r.required(node, "objective", "checkpoint_dir"), "objective.checkpoint_dir");
  try {
    o.checkpoint_dir = expand_config_dir(o.checkpoint_dir);
  } catch (const std::invalid_argument& e) {
    r.fail(node["checkpoint_dir"], "objective.checkpoint_dir", e.what());
  }
  if (node["precision"]) {
    o.precision = r.text(node["precision"], "objective.precision");
    static const std::set<std::string> kPrecisions = {"bf16-true", "bf16-mixed", "16-true", "16-mixed", "32-true"};
    if (!kPrecisions.count(o.precision)) {
      r.fail(node["precision"], "objective.precision", "must be one of LitGPT's: bf16-true, bf16-mixed, 16-true, 16-mixed, 32-true");
    }
  }
  const auto positive_int = [&](const char* key, int* out) {
    if (!node[key]) return;
    const long long v = r.integer(node[key], std::string("objective.") + key);
    if (v < 1 || v > 1024) r.fail(node[key], std::string("objective.") + key, "must be in [1, 1024]");
    *out = static_cast<int>(v);
  };
  positive_int("devices", &o.devices);
  positive_int("num_nodes", &o.num_nodes);
  if (o.num_nodes != 1) {
    // The worker starts one `litgpt` process on its own node; Fabric (litgpt finetune/lora.py
    // setup(): L.Fabric(num_nodes=...)) would wait for the other nodes' processes forever.
    r.fail(node["num_nodes"], "objective.num_nodes",
           "must be 1: each trial runs one LitGPT process on one node, and with more nodes Fabric would "
           "wait forever for processes nobody starts (use devices for the GPUs of the node)");
  }
  if (node["seed"]) o.seed = r.integer(node["seed"], "objective.seed");
  if (const YAML::Node t = node["lora_targets"]; t.IsDefined()) {
    if (!t.IsSequence()) r.fail(t, "objective.lora_targets", "must be a list");
    o.lora_targets.clear();
    static const std::set<std::string> kTargets = {"query", "key", "value", "projection", "mlp", "head"};
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::string target = r.text(t[i], fmt::format("objective.lora_targets[{}]", i));
      if (!kTargets.count(target)) {
        r.fail(t[i], fmt::format("objective.lora_targets[{}]", i), "must be query, key, value, projection, mlp or head");
      }
      if (target == "head" && litgpt_checkpoint_ties_embeddings(o.checkpoint_dir).value_or(false)) {
        // The converted model's config.json keeps tie_word_embeddings: true, so Hugging Face
        // re-ties lm_head to the embeddings when lm_eval loads it (litgpt eval/evaluate.py
        // convert_and_evaluate copies config.json): the head's LoRA would never be scored.
        r.fail(t[i], fmt::format("objective.lora_targets[{}]", i),
               "is 'head', but the checkpoint's config.json has tie_word_embeddings: true: the output head "
               "is re-tied to the embeddings when lm_eval loads the model, so its LoRA would be trained "
               "and then dropped from the score; leave 'head' out");
      }
      o.lora_targets.push_back(target);
    }
  }
  for (const char* section : {"data", "train", "eval"}) {
    const YAML::Node n = node[section];
    if (!n.IsDefined()) continue;
    if (!n.IsMap()) r.fail(n, std::string("objective.") + section, "must be a mapping (LitGPT's own section)");
    std::size_t budget = kMaxSectionValues;
    nlohmann::json value = yaml_to_json(r, n, n, std::string("objective.") + section, &budget);
    // Paths in these sections may be relative to the config file: {config_dir}.
    const std::function<void(nlohmann::json&)> expand = [&](nlohmann::json& v) {
      if (v.is_string()) {
        try {
          v = expand_config_dir(v.get<std::string>());
        } catch (const std::invalid_argument& e) {
          r.fail(n, std::string("objective.") + section, e.what());
        }
      } else if (v.is_structured()) {
        for (auto& item : v) expand(item);
      }
    };
    expand(value);
    if (std::string(section) == "train" || std::string(section) == "eval") {
      // Defaults the user did not override stay (epochs, batch sizes, eval.interval, ...): a
      // user `eval: {max_iters: 50}` must not drop interval: 1000000.
      nlohmann::json merged = nlohmann::json::parse(std::string(section) == "train" ? o.train_json : o.eval_json);
      merged.update(value);
      value = merged;
    }
    if (std::string(section) == "train") {
      if (value.contains("global_batch_size") && value.contains("micro_batch_size") &&
          value["global_batch_size"].is_number_integer() && value["micro_batch_size"].is_number_integer()) {
        const long long g = value["global_batch_size"], m = value["micro_batch_size"];
        if (m < 1 || g < 1 || g % (m * o.devices) != 0) {
          r.fail(n, "objective.train.global_batch_size",
                 fmt::format("({}) must be a multiple of micro_batch_size x devices ({} x {})", g, m, o.devices));
        }
      }
    }
    (std::string(section) == "data" ? o.data_json : std::string(section) == "train" ? o.train_json : o.eval_json) =
        value.dump();
  }
  {
    // End-of-epoch generation must be skipped (see litgpt_skip_generation_tokens): on several
    // devices rank 0 generates alone while the other ranks wait in an all_reduce, forever.
    const nlohmann::json train = nlohmann::json::parse(o.train_json);
    nlohmann::json eval = nlohmann::json::parse(o.eval_json);
    const long long skip = litgpt_skip_generation_tokens(train);
    const YAML::Node user_eval = node["eval"];
    const bool user_set = user_eval.IsDefined() && user_eval["max_new_tokens"].IsDefined();
    if (!user_set) {
      eval["max_new_tokens"] = skip;
    } else if (o.devices > 1) {
      const nlohmann::json& given = eval["max_new_tokens"];
      if (!given.is_number_integer() || given.get<long long>() < skip) {
        r.fail(user_eval["max_new_tokens"], "objective.eval.max_new_tokens",
               fmt::format("must be at least {} (train.max_seq_length) with devices > 1: LitGPT (>= 0.5.11, "
                           "finetune/lora.py fit()) then generates an example at the end of the epoch on "
                           "rank 0 alone while the other ranks wait in an all_reduce, and the run hangs "
                           "until the collective timeout; at least {} skips that generation (or leave the "
                           "key out)",
                           skip, skip));
      }
    }
    o.eval_json = eval.dump();
  }
  if (const YAML::Node e = node["evaluate"]; e.IsDefined()) {
    r.expect_map(e, "objective.evaluate",
                 {"tasks", "batch_size", "num_fewshot", "limit", "dtype", "keep_samples", "objective", "test"});
    if (const YAML::Node t = e["tasks"]; t.IsDefined()) {
      if (!t.IsSequence() || t.size() == 0) r.fail(t, "objective.evaluate.tasks", "must be a non-empty list");
      o.tasks.clear();
      for (std::size_t i = 0; i < t.size(); ++i) o.tasks.push_back(r.text(t[i], fmt::format("objective.evaluate.tasks[{}]", i)));
    }
    if (e["batch_size"]) o.eval_batch_size = r.text(e["batch_size"], "objective.evaluate.batch_size");
    if (e["num_fewshot"]) {
      const long long v = r.integer(e["num_fewshot"], "objective.evaluate.num_fewshot");
      if (v < -1 || v > 10000) {
        r.fail(e["num_fewshot"], "objective.evaluate.num_fewshot", "must be in [0, 10000], or -1 for lm_eval's default");
      }
      o.num_fewshot = static_cast<int>(v);
    }
    if (e["limit"]) {
      o.limit = r.number(e["limit"], "objective.evaluate.limit");
      if (o.limit < 0) r.fail(e["limit"], "objective.evaluate.limit", "must be >= 0 (0: every example)");
    }
    if (e["dtype"]) {
      // lm_eval's HFLM turns the string into getattr(torch, dtype) ("auto" is passed through):
      // lm_eval 0.4.x lm_eval/models/utils.py get_dtype.
      o.eval_dtype = r.text(e["dtype"], "objective.evaluate.dtype");
      static const std::set<std::string> kDtypes = {"auto", "bfloat16", "float16", "float32"};
      if (!kDtypes.count(o.eval_dtype)) {
        r.fail(e["dtype"], "objective.evaluate.dtype", "must be bfloat16, float16, float32 or auto, got '" + o.eval_dtype + "'");
      }
    }
    if (const YAML::Node k = e["keep_samples"]; k.IsDefined()) {
      bool keep = false;
      if (!YAML::convert<bool>::decode(k, keep)) r.fail(k, "objective.evaluate.keep_samples", "must be true or false");
      o.keep_samples = keep;
    }
    if (e["objective"]) o.objective = read_metric(r, e["objective"], "objective.evaluate.objective");
    if (e["test"]) o.test = read_metric(r, e["test"], "objective.evaluate.test");
  }
  if (std::find(o.tasks.begin(), o.tasks.end(), o.objective.task) == o.tasks.end()) {
    r.fail(node["evaluate"] ? node["evaluate"] : node, "objective.evaluate.objective.task",
           "'" + o.objective.task + "' is not among the evaluated tasks");
  }
  if (const YAML::Node t = node["timeout"]; t.IsDefined()) {
    o.timeout_seconds = r.number(t, "objective.timeout");
    if (o.timeout_seconds <= 0 || o.timeout_seconds > kMaxTimeoutSeconds) {
      r.fail(t, "objective.timeout", fmt::format("must be > 0 seconds and at most {} (30 days)", kMaxTimeoutSeconds));
    }
  }
  if (node["work_dir"]) {
    o.work_dir = r.text(node["work_dir"], "objective.work_dir");
    check_template(r, node["work_dir"], "objective.work_dir", o.work_dir, SearchSpace{});
    // The worker empties the work directory before each trial (a stale out/final or converted
    // model would be reused by merge_lora and evaluate): it must be the trial's own.
    if (o.work_dir.find("{trial_id}") == std::string::npos && o.work_dir.find("{trial_dir}") == std::string::npos) {
      r.fail(node["work_dir"], "objective.work_dir",
             "must contain {trial_id} or {trial_dir}: each trial's work directory is emptied before it starts");
    }
  }
  if (node["cuda_visible_devices"]) o.cuda_visible_devices = r.text(node["cuda_visible_devices"], "objective.cuda_visible_devices");
  if (const YAML::Node k = node["keep_artifacts"]; k.IsDefined()) {
    bool keep = false;
    if (!YAML::convert<bool>::decode(k, keep)) r.fail(k, "objective.keep_artifacts", "must be true or false");
    o.keep_artifacts = keep;
  }
  if (const YAML::Node k = node["keep_lora_weights"]; k.IsDefined()) {
    bool keep = false;
    if (!YAML::convert<bool>::decode(k, keep)) r.fail(k, "objective.keep_lora_weights", "must be true or false");
    o.keep_lora_weights = keep;
  }
  if (const YAML::Node s = node["stop_on_divergence"]; s.IsDefined()) {
    r.expect_map(s, "objective.stop_on_divergence", {"enabled", "after_iterations"});
    if (const YAML::Node en = s["enabled"]; en.IsDefined()) {
      bool enabled = true;
      if (!YAML::convert<bool>::decode(en, enabled)) r.fail(en, "objective.stop_on_divergence.enabled", "must be true or false");
      o.stop_on_divergence.enabled = enabled;
    }
    if (const YAML::Node a = s["after_iterations"]; a.IsDefined()) {
      const long long v = r.integer(a, "objective.stop_on_divergence.after_iterations");
      if (v < 1 || v > 1000000) {
        r.fail(a, "objective.stop_on_divergence.after_iterations",
               "must be in [1, 1000000] (consecutive logged iterations with a NaN or infinite loss)");
      }
      o.stop_on_divergence.after_iterations = static_cast<int>(v);
    }
  }
  if (const YAML::Node env = node["env"]; env.IsDefined()) {
    r.expect_map(env, "objective.env", {});
    for (const auto& entry : env) {
      const std::string name = r.key_name(entry.first, "objective.env");
      if (!is_identifier(name)) r.fail(entry.first, "objective.env." + name, "is not a valid variable name");
      o.env[name] = r.text(entry.second, "objective.env." + name);
      check_template(r, entry.second, "objective.env." + name, o.env[name], SearchSpace{});
    }
  }
  return o;
}

FailurePolicy read_failures(const Reader& r, const YAML::Node& node) {
  const std::string key = "failures";
  r.expect_map(node, key, {"max_retries", "failed_score", "stop_after", "max_failure_rate"});
  FailurePolicy f;
  if (const YAML::Node n = node["max_retries"]; n.IsDefined()) {
    const long long v = r.integer(n, key + ".max_retries");
    if (v < 0 || v > 100) r.fail(n, key + ".max_retries", fmt::format("must be in [0, 100], got {}", v));
    f.max_retries = static_cast<int>(v);
  }
  if (const YAML::Node n = node["failed_score"]; n.IsDefined()) {
    if (!n.IsScalar()) r.fail(n, key + ".failed_score", "must be worst or a finite number");
    double value = 0.0;
    if (n.as<std::string>() == "worst") {
      f.failed_value.reset();
    } else if (YAML::convert<double>::decode(n, value) && std::isfinite(value)) {
      f.failed_value = value;
    } else {
      r.fail(n, key + ".failed_score",
             "must be worst or a finite number, got '" + n.as<std::string>() + "'");
    }
  }
  if (const YAML::Node n = node["stop_after"]; n.IsDefined()) {
    const long long v = r.integer(n, key + ".stop_after");
    if (v < 1 || v > 1000000) {
      r.fail(n, key + ".stop_after", fmt::format("must be in [1, 1000000] evaluations, got {}", v));
    }
    f.stop_after = static_cast<int>(v);
  }
  if (const YAML::Node n = node["max_failure_rate"]; n.IsDefined()) {
    f.max_failure_rate = r.number(n, key + ".max_failure_rate");
    if (!(f.max_failure_rate > 0.0 && f.max_failure_rate <= 1.0)) {
      r.fail(n, key + ".max_failure_rate",
             "must be in (0, 1] (the share of failed evaluations that stops the campaign; 1: never)");
    }
  }
  return f;
}

WorkerPolicy read_workers(const Reader& r, const YAML::Node& node) {
  const std::string key = "workers";
  r.expect_map(node, key, {"heartbeat_seconds", "silent_after_seconds", "stop_grace_seconds"});
  WorkerPolicy w;
  if (const YAML::Node n = node["heartbeat_seconds"]; n.IsDefined()) {
    w.heartbeat_seconds = r.number(n, key + ".heartbeat_seconds");
    if (!(w.heartbeat_seconds > 0.0 && w.heartbeat_seconds <= 3600.0)) {
      r.fail(n, key + ".heartbeat_seconds", "must be in (0, 3600] seconds");
    }
  }
  const YAML::Node silent = node["silent_after_seconds"];
  if (silent.IsDefined()) {
    w.silent_after_seconds = r.number(silent, key + ".silent_after_seconds");
    if (w.silent_after_seconds > 7.0 * 86400.0) {
      r.fail(silent, key + ".silent_after_seconds", "must be at most 604800 seconds (a week)");
    }
  }
  if (!(w.silent_after_seconds > 2.0 * w.heartbeat_seconds)) {
    // One late heartbeat must not get a healthy worker given up.
    if (silent.IsDefined()) {
      r.fail(silent, key + ".silent_after_seconds",
             fmt::format("({:g}) must be > 2 x heartbeat_seconds ({:g})", w.silent_after_seconds,
                         w.heartbeat_seconds));
    }
    r.fail(node["heartbeat_seconds"], key + ".heartbeat_seconds",
           fmt::format("({:g}) must be < silent_after_seconds / 2 ({:g} / 2: the default)",
                       w.heartbeat_seconds, w.silent_after_seconds));
  }
  if (const YAML::Node n = node["stop_grace_seconds"]; n.IsDefined()) {
    w.stop_grace_seconds = r.number(n, key + ".stop_grace_seconds");
    if (!(w.stop_grace_seconds >= 0.0 && w.stop_grace_seconds <= 86400.0)) {
      r.fail(n, key + ".stop_grace_seconds", "must be in [0, 86400] seconds");
    }
  }
  return w;
}

/// The 1-based line of byte `offset` of `text`.
int line_at(const std::string& text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

/// Throws unless `text` is text: no NUL byte (a binary file) and valid UTF-8 (YAML's encoding,
/// and the journal's: JSON cannot carry other bytes).
void check_text(const std::string& text, const std::string& file_name) {
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    throw ConfigError(file_name, line_at(text, nul), "", "is a binary file, not YAML text (NUL byte)");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    const unsigned char c = bytes[i];
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) {
      length = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // no overlong forms
      if (c == 0xED) high = 0x9F;  // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;  // nothing past U+10FFFF
    }
    bool valid = length > 0 && i + length <= size;
    for (std::size_t k = 1; valid && k < length; ++k) {
      const unsigned char next = bytes[i + k];
      valid = k == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xBF;
    }
    if (!valid) {
      throw ConfigError(file_name, line_at(text, i), "",
                        fmt::format("is not UTF-8 text (byte 0x{:02x} at offset {})", c, i));
    }
    i += length;
  }
}

CampaignConfig parse_checked_config(const std::string& text, const std::string& file_name,
                                    const std::string& config_dir) {
  const Reader r(file_name);
  check_text(text, file_name);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::DeepRecursion& e) {  // a nesting bomb: yaml-cpp stops at 2000 levels
    throw ConfigError(file_name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                      "YAML syntax error: nested too deeply" + recursion_limit_text(e, 0));
  } catch (const YAML::Exception& e) {  // ParserException
    // Something left open (a quote, a bracket) is found at the end of the input, which yaml-cpp
    // reports one line past the last one: name the last line instead.
    const int last_line = std::max(1, line_at(text, text.size()) - (!text.empty() && text.back() == '\n' ? 1 : 0));
    throw ConfigError(file_name, e.mark.line >= 0 ? std::min(e.mark.line + 1, last_line) : 0, "",
                      Reader::one_line("YAML syntax error: " + e.msg, 400));
  }
  if (documents.size() > 1) {
    r.fail(documents[1], "", "starts a second YAML document (---): a campaign file holds one");
  }
  const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  if (root.IsNull()) {
    throw ConfigError(file_name, 0, "", "is empty: a campaign needs at least campaign and objective");
  }
  if (!root.IsMap()) {
    r.fail(root, "", "must be a YAML mapping with campaign, search_space, optimizer and objective");
  }
  r.expect_map(root, "", {"campaign", "search_space", "optimizer", "objective", "failures", "workers"});

  CampaignConfig config;
  config.source_path = file_name;
  config.source_text = text;
  config.config_dir = config_dir;

  // objective (first: a builtin may bring the search space and the direction)
  const YAML::Node objective = r.required(root, "", "objective");
  if (!objective.IsMap()) r.fail(objective, "objective", "must be a mapping");
  const std::string kind = r.text(r.required(objective, "objective", "kind"), "objective.kind");
  std::optional<BuiltinDescription> builtin;
  if (kind == "builtin") {
    r.expect_map(objective, "objective", {"kind", "function", "dim", "noise", "cost", "time_scale"});
    config.objective.kind = ObjectiveKind::kBuiltin;
    auto& b = config.objective.builtin;
    const YAML::Node function = r.required(objective, "objective", "function");
    b.function = r.text(function, "objective.function");
    if (objective["dim"]) {
      const long long dim = r.integer(objective["dim"], "objective.dim");
      if (dim < 1 || dim > 1000) r.fail(objective["dim"], "objective.dim", "must be in [1, 1000]");
      b.dim = static_cast<int>(dim);
    }
    try {
      builtin = describe_builtin(b);
    } catch (const std::invalid_argument& e) {
      r.fail(objective["dim"] ? objective["dim"] : function,
             objective["dim"] ? "objective.dim" : "objective.function", e.what());
    }
    if (objective["noise"]) {
      b.noise_sd = r.number(objective["noise"], "objective.noise");
      if (b.noise_sd < 0) r.fail(objective["noise"], "objective.noise", "must be >= 0");
    }
    if (objective["cost"]) b.cost = read_cost(r, objective["cost"]);
    if (const YAML::Node t = objective["time_scale"]; t.IsDefined()) {
      if (b.function != kLoraSurrogate) r.fail(t, "objective.time_scale", "applies to lora_surrogate only");
      b.time_scale = r.number(t, "objective.time_scale");
      if (b.time_scale < 0 || b.time_scale > 3600) {
        r.fail(t, "objective.time_scale", "must be in [0, 3600] (seconds per hour of real training; 3600: real time)");
      }
    }
  } else if (kind == "command") {
    r.expect_map(objective, "objective", {"kind", "command", "timeout", "result", "env"});
    config.objective.kind = ObjectiveKind::kCommand;
  } else if (kind == "litgpt") {
    r.expect_map(objective, "objective",
                 {"kind", "executable", "checkpoint_dir", "precision", "devices", "num_nodes", "seed",
                  "lora_targets", "data", "train", "eval", "evaluate", "timeout", "work_dir",
                  "cuda_visible_devices", "keep_artifacts", "keep_lora_weights", "stop_on_divergence", "env"});
    config.objective.kind = ObjectiveKind::kLitgpt;
  } else {
    r.fail(objective["kind"], "objective.kind", "must be builtin, command or litgpt, got '" + kind + "'");
  }

  // search_space
  if (const YAML::Node space = root["search_space"]; space.IsDefined() && !space.IsNull()) {
    config.space = read_search_space(r, space);
    if (builtin && config.objective.builtin.function == kLoraSurrogate) {
      r.fail(space, "search_space", "must be left out: lora_surrogate brings the seed's search space");
    }
    if (builtin && config.space.dim() != builtin->space.dim()) {
      r.fail(space, "search_space",
             fmt::format("has {} parameters, but {} takes {}", config.space.dim(),
                         config.objective.builtin.function, builtin->space.dim()));
    }
    if (builtin) {
      for (const auto& p : config.space.parameters()) {
        if (p.type == ParamType::kCategorical) {
          r.fail(space[p.name], "search_space." + p.name, "must be numeric for a builtin function");
        }
      }
    }
  } else if (builtin) {
    config.space = builtin->space;
  } else {
    r.fail(root, "search_space", "is required for a command or litgpt objective");
  }
  if (builtin) {
    const auto& cost = config.objective.builtin.cost;
    if (!cost.parameter.empty() && config.space.index_of(cost.parameter) < 0) {
      r.fail(objective["cost"]["parameter"], "objective.cost.parameter",
             "names '" + cost.parameter + "', which is not a search_space parameter");
    }
    if (!cost.parameter.empty() &&
        config.space.parameter(config.space.index_of(cost.parameter)).type == ParamType::kCategorical) {
      r.fail(objective["cost"]["parameter"], "objective.cost.parameter", "must be numeric");
    }
    if (!cost.parameter.empty() && cost.slope_seconds != 0.0) {
      // The longest simulated evaluation, at either end of the parameter's range.
      const Parameter& p = config.space.parameter(config.space.index_of(cost.parameter));
      const auto value = [&](double x) { return p.transform == Transform::kPow10 ? std::pow(10.0, x) : x; };
      const double longest = cost.base_seconds + std::fabs(cost.slope_seconds) *
                                                     std::max(std::fabs(value(p.low)), std::fabs(value(p.high)));
      if (!(longest <= kMaxSimulatedSeconds)) {
        r.fail(objective["cost"]["slope"], "objective.cost.slope",
               fmt::format("makes an evaluation last up to {:g} s; at most {} s (a day) is simulated",
                           longest, kMaxSimulatedSeconds));
      }
    }
  } else if (config.objective.kind == ObjectiveKind::kLitgpt) {
    config.objective.litgpt = read_litgpt(r, objective, config.space, config_dir);
  } else {
    config.objective.command = read_command(r, objective, config.space, config_dir);
  }

  // campaign
  const YAML::Node campaign = r.required(root, "", "campaign");
  r.expect_map(campaign, "campaign", {"name", "budget", "direction", "seed"});
  auto& c = config.campaign;
  c.name = campaign["name"] ? r.text(campaign["name"], "campaign.name")
                            : std::filesystem::path(file_name).stem().string();
  if (c.name.empty() || c.name.find_first_of("/\\") != std::string::npos || c.name == "." ||
      c.name == ".." || c.name.size() > 100 ||
      std::any_of(c.name.begin(), c.name.end(), [](char ch) {
        return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
      })) {
    // It names the run directory (runs/<name>-<time>) and appears in log lines.
    r.fail(campaign["name"], "campaign.name",
           "must be 1 to 100 characters, without '/', '\\' or control characters, and not . or ..");
  }
  const YAML::Node budget = r.required(campaign, "campaign", "budget");
  const long long b = r.integer(budget, "campaign.budget");
  if (b < 1 || b > 1000000) r.fail(budget, "campaign.budget", fmt::format("must be in [1, 1000000], got {}", b));
  c.budget = static_cast<int>(b);
  if (const YAML::Node d = campaign["direction"]; d.IsDefined()) {
    const std::string direction = r.text(d, "campaign.direction");
    if (direction == "maximize") {
      c.direction = Direction::kMaximize;
    } else if (direction == "minimize") {
      c.direction = Direction::kMinimize;
    } else {
      r.fail(d, "campaign.direction", "must be maximize or minimize, got '" + direction + "'");
    }
  } else {
    c.direction = builtin ? builtin->direction : Direction::kMaximize;
  }
  if (const YAML::Node s = campaign["seed"]; s.IsDefined()) {
    const long long seed = r.integer(s, "campaign.seed");
    if (seed < 0) r.fail(s, "campaign.seed", "must be >= 0");
    c.seed = static_cast<std::uint64_t>(seed);
  }

  // optimizer
  if (const YAML::Node optimizer = root["optimizer"]; optimizer.IsDefined() && !optimizer.IsNull()) {
    r.expect_map(optimizer, "optimizer", {});
    const YAML::Node name = r.required(optimizer, "optimizer", "name");
    auto& o = config.optimizer;
    o.name = r.text(name, "optimizer.name");
    const auto& names = optimizer_names();
    if (std::find(names.begin(), names.end(), o.name) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      r.fail(name, "optimizer.name", "must be one of " + known + ", got '" + o.name + "'");
    }
    // Each optimizer takes its own options; another optimizer's option is a mistake.
    std::set<std::string> allowed = {"name"};
    if (o.name == "bo_gp") {
      allowed = {"name", "n_init", "mode", "batch_size", "acquisition", "liar", "max_gp_points"};
    }
    if (o.name == "soo") allowed = {"name", "k", "depth_exponent"};
    if (o.name == "bamsoo") allowed = {"name", "k", "depth_exponent", "eta"};
    r.expect_map(optimizer, "optimizer", allowed);
    const auto choice = [&](const char* key, std::string* out, const std::set<std::string>& options) {
      const YAML::Node node = optimizer[key];
      if (!node.IsDefined()) return;
      *out = r.text(node, std::string("optimizer.") + key);
      if (!options.count(*out)) {
        std::string known;
        for (const auto& n : options) known += (known.empty() ? "" : ", ") + n;
        r.fail(node, std::string("optimizer.") + key, "must be one of " + known + ", got '" + *out + "'");
      }
    };
    if (const YAML::Node n = optimizer["n_init"]; n.IsDefined()) {
      const long long v = r.integer(n, "optimizer.n_init");
      if (v < 0 || v > 100000) r.fail(n, "optimizer.n_init", "must be in [0, 100000]");
      o.n_init = static_cast<int>(v);
    }
    if (const YAML::Node n = optimizer["batch_size"]; n.IsDefined()) {
      const long long v = r.integer(n, "optimizer.batch_size");
      if (v < 0 || v > 100000) r.fail(n, "optimizer.batch_size", "must be in [0, 100000] (0: one per worker)");
      o.batch_size = static_cast<int>(v);
    }
    if (const YAML::Node n = optimizer["max_gp_points"]; n.IsDefined()) {
      const long long v = r.integer(n, "optimizer.max_gp_points");
      if (v != 0 && (v < 16 || v > 100000)) {
        r.fail(n, "optimizer.max_gp_points", "must be 0 (no bound) or in [16, 100000]");
      }
      o.max_gp_points = static_cast<int>(v);
    }
    if (const YAML::Node n = optimizer["k"]; n.IsDefined()) {
      const long long v = r.integer(n, "optimizer.k");
      if (v < 2 || v > 16) r.fail(n, "optimizer.k", "must be in [2, 16]");
      o.k = static_cast<int>(v);
    }
    if (const YAML::Node n = optimizer["depth_exponent"]; n.IsDefined()) {
      o.depth_exponent = r.number(n, "optimizer.depth_exponent");
      if (o.depth_exponent <= 0 || o.depth_exponent > 1) r.fail(n, "optimizer.depth_exponent", "must be in (0, 1]");
    }
    if (const YAML::Node n = optimizer["eta"]; n.IsDefined()) {
      o.eta = r.number(n, "optimizer.eta");
      if (o.eta <= 0 || o.eta >= 1) r.fail(n, "optimizer.eta", "must be in (0, 1)");
    }
    choice("mode", &o.mode, {"async", "sync"});
    choice("acquisition", &o.acquisition, {"log_ei", "ucb"});
    choice("liar", &o.liar, {"auto", "best", "worst", "mean", "kriging_believer"});
  } else {
    config.optimizer.name = "bo_gp";  // the default: the seed's most efficient method
  }

  // failures, workers (optional; an empty section keeps the defaults)
  if (const YAML::Node failures = root["failures"]; failures.IsDefined() && !failures.IsNull()) {
    config.failures = read_failures(r, failures);
  }
  if (const YAML::Node workers = root["workers"]; workers.IsDefined() && !workers.IsNull()) {
    config.workers = read_workers(r, workers);
  }
  return config;
}

}  // namespace

CampaignConfig parse_config(const std::string& text, const std::string& file_name,
                            const std::string& config_dir) {
  // Whatever the file holds, the caller gets a ConfigError (one line, exit 2), never another
  // exception (which would end the process with std::terminate).
  try {
    return parse_checked_config(text, file_name, config_dir);
  } catch (const ConfigError&) {
    throw;
  } catch (const YAML::Exception& e) {
    throw ConfigError(file_name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                      Reader::one_line("cannot be read as a campaign: " + e.msg, 400));
  } catch (const std::bad_alloc&) {
    throw ConfigError(file_name, 0, "", "cannot be read as a campaign: out of memory");
  } catch (const std::exception& e) {
    throw ConfigError(file_name, 0, "", Reader::one_line(std::string("cannot be read as a campaign: ") + e.what(), 400));
  }
}

CampaignConfig load_config(const std::string& path) {
  if (path.empty()) throw ConfigError("''", 0, "", "is not a file name: give the campaign file");
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    const int error = errno;
    throw ConfigError(path, 0, "",
                      error == ENOENT || error == ENOTDIR
                          ? std::string("does not exist")
                          : std::string("cannot be read: ") + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw ConfigError(path, 0, "", "is a directory, not a campaign file");
  if (!S_ISREG(info.st_mode)) {
    // A device (/dev/zero), a pipe or a socket: reading it could block or never end.
    throw ConfigError(path, 0, "", "is not a regular file (a device, a pipe or a socket)");
  }
  if (static_cast<std::uintmax_t>(info.st_size) > kMaxConfigBytes) {
    throw ConfigError(path, 0, "",
                      fmt::format("is too large for a campaign file ({} bytes; at most {})",
                                  info.st_size, kMaxConfigBytes));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path, 0, "", std::string("cannot be read: ") + std::strerror(errno));
  std::string text(kMaxConfigBytes + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) throw ConfigError(path, 0, "", "cannot be read: I/O error");
  text.resize(static_cast<std::size_t>(file.gcount()));
  if (text.size() > kMaxConfigBytes) {  // it grew since stat()
    throw ConfigError(path, 0, "", fmt::format("is too large for a campaign file (at most {} bytes)", kMaxConfigBytes));
  }
  std::error_code ec;
  const auto dir = std::filesystem::absolute(std::filesystem::path(path), ec).parent_path();
  return parse_config(text, path, dir.lexically_normal().string());
}

}  // namespace lorahpo
