#include "master/config/litgpt_section.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "master/config/yaml_json.h"
#include "worker/litgpt_evaluator.h"
#include "worker/litgpt_keys.h"
#include "worker/litgpt_names.h"

namespace lorahpo {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// Whether a categorical label is a number LitGPT's key takes (an int key wants an integer).
bool label_fits(const LitgptKey& key, const std::string& label) {
  try {
    const nlohmann::ordered_json value = litgpt_key_value(key, ParamValue(label));
    return !value.is_number() || litgpt_in_range(key, value.get<double>());
  } catch (const std::invalid_argument&) {
    return false;
  }
}

std::string type_name(LitgptKeyType type) {
  switch (type) {
    case LitgptKeyType::kFloat:
      return "a float";
    case LitgptKeyType::kInt:
      return "an int";
    case LitgptKeyType::kBool:
      return "a bool";
    case LitgptKeyType::kChoice:
      return "a choice";
  }
  return "?";
}

/// "in [0, 1)" or ">= 1".
std::string range_words(const LitgptKey& key) {
  const std::string range = litgpt_range_text(key);
  return range[0] == '[' || range[0] == '(' ? "in " + range : range;
}

/// The parameter's type against its key's: float (pow10 or not) or a categorical of numbers for a
/// float key; int or a categorical of integers for an int key; bool (or a categorical of false,
/// true) for a bool; a categorical of accepted strings for a choice. Bounds inside the key's
/// range, both ends included (the optimizer may propose either).
void check_parameter_type(const ConfigSection& ps, const Parameter& p, const LitgptKey& key) {
  const std::string type = ps["type"].as<std::string>();
  const std::string where = key.path + " is " + type_name(key.type) + " in LitGPT (" + key.source;
  const auto wrong_type = [&](const std::string& use) {
    ps.fail(ps["type"], ps.key_of("type"), "is '" + type + "', but " + where + "): use " + use);
  };
  if (p.type == ParamType::kCategorical) {
    if (type == "bool" && key.type != LitgptKeyType::kBool) {
      wrong_type(key.type == LitgptKeyType::kChoice ? std::string("type: categorical")
                 : key.type == LitgptKeyType::kInt  ? std::string("type: int")
                                                    : std::string("type: float"));
    }
    for (std::size_t i = 0; i < p.choices.size(); ++i) {
      if (type == "bool") break;
      const bool fits =
          key.type == LitgptKeyType::kChoice
              ? std::find(key.choices.begin(), key.choices.end(), p.choices[i]) != key.choices.end()
              : label_fits(key, p.choices[i]);
      if (!fits) {
        const std::string accepted =
            key.type == LitgptKeyType::kChoice ? "one of " + join_names(key.choices)
            : key.type == LitgptKeyType::kBool ? "false or true"
                                               : type_name(key.type) + " " + range_words(key);
        ps.fail(ps["choices"][i], fmt::format("{}[{}]", ps.key_of("choices"), i),
                "'" + p.choices[i] + "' is not a value LitGPT takes at " + key.path + ": " +
                    accepted + " (" + key.source + ")");
      }
    }
    return;
  }
  // float or int with bounds
  if (key.type == LitgptKeyType::kBool) wrong_type("type: bool, without low and high");
  if (key.type == LitgptKeyType::kChoice)
    wrong_type("type: categorical with choices among " + join_names(key.choices));
  if (key.type == LitgptKeyType::kFloat && p.type == ParamType::kInt) wrong_type("type: float");
  if (key.type == LitgptKeyType::kInt && p.type == ParamType::kFloat)
    wrong_type("type: int (or a categorical of integers)");
  for (const char* end : {"low", "high"}) {
    const double x = end[0] == 'l' ? p.low : p.high;
    const double value = p.transform == Transform::kPow10 ? std::pow(10.0, x) : x;
    if (!litgpt_in_range(key, value)) {
      ps.fail(ps[end], ps.key_of(end),
              fmt::format("({}{}) is outside what LitGPT takes at {}: {} ({})",
                          ps[end].as<std::string>(),
                          p.transform == Transform::kPow10 ? fmt::format(": 10^{} = {}", x, value)
                                                           : std::string(),
                          key.path, litgpt_range_text(key), key.source));
    }
  }
}

/// The node that fixes `path` in the objective section, if the user wrote one (a searched key
/// fixed there too would be set twice).
YAML::Node fixed_node(const ConfigSection& s, const std::string& path) {
  if (path == "precision") return s["precision"];
  if (path.rfind("lora_", 0) == 0 && s.has("lora_targets") && s["lora_targets"].IsSequence()) {
    for (const auto& item : s["lora_targets"]) {
      if (item.IsScalar() && "lora_" + item.as<std::string>() == path) return item;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  const std::vector<PathSegment> segments = split_litgpt_path(path);
  if (segments.empty() || (segments[0].name != "train" && segments[0].name != "data"))
    return YAML::Node(YAML::NodeType::Undefined);
  // reset(), not `=`: assigning to a yaml-cpp node writes into the node it refers to (it would
  // overwrite the user's objective section).
  YAML::Node node = s.node();
  for (const PathSegment& segment : segments) {
    if (segment.is_index() || !node.IsMap() || !node[segment.name].IsDefined())
      return YAML::Node(YAML::NodeType::Undefined);
    node.reset(node[segment.name]);
  }
  return node;
}

/// A searched data.class_path: the objective's data.init_args go to whichever module is drawn, so
/// each key must be a field of every choice (litgpt v0.5.13 data/*.py dataclasses).
void check_data_init_args(const ConfigSection& s, const ConfigSection& ps, const Parameter& p) {
  const YAML::Node init = s["data"].IsMap() ? s["data"]["init_args"] : YAML::Node();
  if (!init.IsDefined() || !init.IsMap()) return;
  for (const auto& entry : init) {
    const std::string field = entry.first.as<std::string>();
    for (const std::string& module : p.choices) {
      const std::vector<std::string>* fields = litgpt_data_module_fields(module);
      if (fields != nullptr && std::find(fields->begin(), fields->end(), field) == fields->end()) {
        s.fail(entry.first, s.key_of("data.init_args." + field),
               "is not a field of " + module + ", one of " + ps.key() +
                   "'s choices (litgpt v0.5.13 data/): every init_args key must suit every "
                   "module drawn");
      }
    }
  }
}

void check_parameter(const ConfigSection& s, const ConfigSection& space_section, const Parameter& p,
                     std::set<std::string>* paths) {
  const ConfigSection ps = space_section.child(p.name);
  const std::string path = litgpt_path_of(p.name);
  YAML::Node name_node;
  for (const auto& entry : space_section.node()) {
    if (entry.first.as<std::string>() == p.name) name_node.reset(entry.first);
  }
  if (auto why = litgpt_refused_key(path))
    ps.fail(name_node, ps.key(), "cannot be searched: " + *why);
  const LitgptKey* key = find_litgpt_key(path);
  if (key == nullptr) {
    ps.fail(name_node, ps.key(),
            "is not a LitGPT setting lorahpo can search; the keys are " + litgpt_key_list() +
                " (and learning_rate, weight_decay for optimizer.init_args.lr, .weight_decay)");
  }
  if (!paths->insert(path).second) {
    ps.fail(name_node, ps.key(),
            "sets " + path + ", which another parameter of search_space sets already");
  }
  check_parameter_type(ps, p, *key);
  const YAML::Node fixed = fixed_node(s, path);
  if (fixed.IsDefined()) {
    ps.fail(name_node, ps.key(),
            fmt::format("is searched, but the objective fixes it too (line {}): remove one",
                        ConfigSection::line_of(fixed)));
  }
  if (path == "lora_head" &&
      litgpt_checkpoint_ties_embeddings(
          s.expand_config_dir(s.required("checkpoint_dir"), s.key_of("checkpoint_dir"),
                              s.text(s["checkpoint_dir"], s.key_of("checkpoint_dir"))))
          .value_or(false)) {
    ps.fail(name_node, ps.key(),
            "searches the LoRA on the output head, but the checkpoint's config.json has "
            "tie_word_embeddings: true: the head is re-tied to the embeddings when lm_eval loads "
            "the model, so that LoRA would be dropped from the score");
  }
  if (path == "data.class_path") check_data_init_args(s, ps, p);
}

void check_space(const ConfigSection& s, const SearchSpace& space,
                 const ConfigSection& space_section) {
  std::set<std::string> paths;
  for (const auto& p : space.parameters()) check_parameter(s, space_section, p, &paths);
}

void read_paths(const ConfigSection& s, LitgptObjective* o) {
  if (s.has("executable")) {
    o->executable = s.expand_config_dir(s["executable"], s.key_of("executable"),
                                        s.text(s["executable"], s.key_of("executable")));
  }
  if (!executable_exists(o->executable)) {
    s.fail_at(
        "executable",
        "'" + o->executable +
            "' is not an executable file nor in PATH (activate LitGPT's virtual environment)");
  }
  const YAML::Node checkpoint = s.required("checkpoint_dir");
  o->checkpoint_dir = s.expand_config_dir(checkpoint, s.key_of("checkpoint_dir"),
                                          s.text(checkpoint, s.key_of("checkpoint_dir")));
}

void read_lora_targets(const ConfigSection& s, LitgptObjective* o) {
  if (!s.has("lora_targets")) return;
  const YAML::Node t = s["lora_targets"];
  if (!t.IsSequence()) s.fail(t, s.key_of("lora_targets"), "must be a list");
  o->lora_targets.clear();
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::string key = fmt::format("{}[{}]", s.key_of("lora_targets"), i);
    const std::string target = s.text(t[i], key);
    if (!contains(litgpt_lora_targets(), target)) {
      s.fail(t[i], key,
             "must be one of " + join_names(litgpt_lora_targets()) + ", got '" + target + "'");
    }
    if (target == "head" && litgpt_checkpoint_ties_embeddings(o->checkpoint_dir).value_or(false)) {
      // The converted model's config.json keeps tie_word_embeddings: true, so Hugging Face
      // re-ties lm_head to the embeddings when lm_eval loads it (litgpt eval/evaluate.py
      // convert_and_evaluate copies config.json): the head's LoRA would never be scored.
      s.fail(
          t[i], key,
          "is 'head', but the checkpoint's config.json has tie_word_embeddings: true: the output "
          "head "
          "is re-tied to the embeddings when lm_eval loads the model, so its LoRA would be trained "
          "and then dropped from the score; leave 'head' out");
    }
    o->lora_targets.push_back(target);
  }
}

void read_layout(const ConfigSection& s, LitgptObjective* o) {
  if (s.has("precision")) {
    o->precision = s.text(s["precision"], s.key_of("precision"));
    if (!contains(litgpt_precisions(), o->precision)) {
      s.fail_at("precision", "must be one of LitGPT's: " + join_names(litgpt_precisions()));
    }
  }
  s.read_integer("devices", &o->devices, {1, 1024, ""});
  s.read_integer("num_nodes", &o->num_nodes, {1, 1024, ""});
  if (o->num_nodes != 1) {
    // The worker starts one `litgpt` process on its own node; Fabric (litgpt finetune/lora.py
    // setup(): L.Fabric(num_nodes=...)) would wait for the other nodes' processes forever.
    s.fail_at("num_nodes",
              "must be 1: each trial runs one LitGPT process on one node, and with more nodes "
              "Fabric would "
              "wait forever for processes nobody starts (use devices for the GPUs of the node)");
  }
  if (s.has("seed")) o->seed = s.integer(s["seed"], s.key_of("seed"));
  read_lora_targets(s, o);
}

/// Replaces {config_dir} in every string of `value`: paths in LitGPT's sections may be relative to
/// the campaign file.
void expand_strings(const ConfigSection& s, const std::string& name, nlohmann::json* value) {
  if (value->is_string()) {
    *value = s.expand_config_dir(s[name], s.key_of(name), value->get<std::string>());
  } else if (value->is_structured()) {
    for (auto& item : *value) expand_strings(s, name, &item);
  }
}

/// `data`, `train`, `eval` as JSON text; `train` and `eval` keep the defaults the user did not
/// override (epochs, batch sizes, eval.interval, ...): a user `eval: {max_iters: 50}` must not
/// drop interval: 1000000.
void read_litgpt_sections(const ConfigSection& s, LitgptObjective* o) {
  for (const std::string section : {"data", "train", "eval"}) {
    if (!s.has(section)) continue;
    if (!s[section].IsMap()) s.fail_at(section, "must be a mapping (LitGPT's own section)");
    nlohmann::json value = section_to_json(s, section);
    expand_strings(s, section, &value);
    std::string& target = section == "data"    ? o->data_json
                          : section == "train" ? o->train_json
                                               : o->eval_json;
    if (section != "data") {
      nlohmann::json merged = nlohmann::json::parse(target);
      merged.update(value);
      value = merged;
    }
    if (section == "train" && value.contains("global_batch_size") &&
        value.contains("micro_batch_size") && value["global_batch_size"].is_number_integer() &&
        value["micro_batch_size"].is_number_integer()) {
      const long long g = value["global_batch_size"], m = value["micro_batch_size"];
      if (m < 1 || g < 1 || g % (m * o->devices) != 0) {
        s.fail(s[section], s.key_of("train.global_batch_size"),
               fmt::format("({}) must be a multiple of micro_batch_size x devices ({} x {})", g, m,
                           o->devices));
      }
    }
    target = value.dump();
  }
}

/// End-of-epoch generation must be skipped (see litgpt_skip_generation_tokens): on several
/// devices rank 0 generates alone while the other ranks wait in an all_reduce, forever.
void set_max_new_tokens(const ConfigSection& s, LitgptObjective* o) {
  nlohmann::json eval = nlohmann::json::parse(o->eval_json);
  const long long skip = litgpt_skip_generation_tokens(nlohmann::json::parse(o->train_json));
  const YAML::Node user_eval = s["eval"];
  if (!user_eval.IsDefined() || !user_eval["max_new_tokens"].IsDefined()) {
    eval["max_new_tokens"] = skip;
  } else if (o->devices > 1) {
    const nlohmann::json& given = eval["max_new_tokens"];
    if (!given.is_number_integer() || given.get<long long>() < skip) {
      s.fail(user_eval["max_new_tokens"], s.key_of("eval.max_new_tokens"),
             fmt::format(
                 "must be at least {} (train.max_seq_length) with devices > 1: LitGPT (>= 0.5.11, "
                 "finetune/lora.py fit()) then generates an example at the end of the epoch on "
                 "rank 0 alone while the other ranks wait in an all_reduce, and the run hangs "
                 "until the collective timeout; at least {} skips that generation (or leave the "
                 "key out)",
                 skip, skip));
    }
  }
  o->eval_json = eval.dump();
}

MetricSpec read_metric(const ConfigSection& s) {
  s.allow_only({"task", "metric"});
  return MetricSpec{s.text(s.required("task"), s.key_of("task")),
                    s.text(s.required("metric"), s.key_of("metric"))};
}

void read_evaluate(const ConfigSection& e, LitgptObjective* o) {
  e.allow_only(litgpt_evaluate_keys());
  e.read_text_list("tasks", &o->tasks, true);
  e.read_text("batch_size", &o->eval_batch_size);
  e.read_integer("num_fewshot", &o->num_fewshot, {-1, 10000, " (-1: lm_eval's default)"});
  NumberRange limit;
  limit.low = 0.0;
  limit.note = " (0: every example)";
  e.read_number("limit", &o->limit, limit);
  if (e.has("dtype")) {
    o->eval_dtype = e.text(e["dtype"], e.key_of("dtype"));
    if (!contains(litgpt_eval_dtypes(), o->eval_dtype)) {
      e.fail_at("dtype", "must be bfloat16, float16, float32 or auto, got '" + o->eval_dtype + "'");
    }
  }
  e.read_boolean("keep_samples", &o->keep_samples);
  if (e.has("objective")) o->objective = read_metric(e.child("objective"));
  if (e.has("test")) o->test = read_metric(e.child("test"));
}

void read_stop_on_divergence(const ConfigSection& s, StopOnDivergence* stop) {
  s.allow_only({"enabled", "after_iterations"});
  s.read_boolean("enabled", &stop->enabled);
  s.read_integer("after_iterations", &stop->after_iterations,
                 {1, 1000000, " (consecutive logged iterations with a NaN or infinite loss)"});
}

void read_trial_options(const ConfigSection& s, LitgptObjective* o) {
  s.read_timeout("timeout", &o->timeout_seconds);
  if (s.has("work_dir")) {
    o->work_dir = s.text(s["work_dir"], s.key_of("work_dir"));
    s.check_template(s["work_dir"], s.key_of("work_dir"), o->work_dir, SearchSpace{});
    // The worker empties the work directory before each trial (a stale out/final or converted
    // model would be reused by merge_lora and evaluate): it must be the trial's own.
    if (o->work_dir.find("{trial_id}") == std::string::npos &&
        o->work_dir.find("{trial_dir}") == std::string::npos) {
      s.fail_at("work_dir",
                "must contain {trial_id} or {trial_dir}: each trial's work directory is emptied "
                "before it starts");
    }
  }
  s.read_text("cuda_visible_devices", &o->cuda_visible_devices);
  s.read_boolean("keep_artifacts", &o->keep_artifacts);
  s.read_boolean("keep_lora_weights", &o->keep_lora_weights);
  if (s.has("stop_on_divergence"))
    read_stop_on_divergence(s.child("stop_on_divergence"), &o->stop_on_divergence);
  s.read_env("env", &o->env, SearchSpace{});
}

}  // namespace

LitgptObjective read_litgpt(const ConfigSection& s, const SearchSpace& space,
                            const ConfigSection& search_space) {
  LitgptObjective o;
  check_space(s, space, search_space);
  read_paths(s, &o);
  read_layout(s, &o);
  read_litgpt_sections(s, &o);
  set_max_new_tokens(s, &o);
  if (s.has("evaluate")) read_evaluate(s.child("evaluate"), &o);
  if (std::find(o.tasks.begin(), o.tasks.end(), o.objective.task) == o.tasks.end()) {
    s.fail(s.has("evaluate") ? s["evaluate"] : s.node(), s.key_of("evaluate.objective.task"),
           "'" + o.objective.task + "' is not among the evaluated tasks (" + join_names(o.tasks) +
               ")");
  }
  read_trial_options(s, &o);
  return o;
}

}  // namespace lorahpo
