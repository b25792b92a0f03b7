#include "master/config/litgpt_section.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "master/config/yaml_json.h"
#include "worker/litgpt_evaluator.h"
#include "worker/litgpt_names.h"

namespace lorahpo {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void check_space(const ConfigSection& s, const SearchSpace& space) {
  for (const auto& p : space.parameters()) {
    if (!contains(litgpt_parameter_names(), p.name)) {
      s.fail(s.node(), "search_space." + p.name,
             "is not a LitGPT hyperparameter lorahpo can set (" +
                 join_names(litgpt_parameter_names()) + ")");
    }
  }
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

LitgptObjective read_litgpt(const ConfigSection& s, const SearchSpace& space) {
  LitgptObjective o;
  check_space(s, space);
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
