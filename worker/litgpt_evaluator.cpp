#include "worker/litgpt_evaluator.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "common/placeholder_template.h"
#include "worker/child_process.h"
#include "worker/command_evaluator.h"
#include "worker/gpu_inventory.h"
#include "worker/litgpt_keys.h"
#include "worker/litgpt_outcome.h"
#include "worker/litgpt_point_check.h"
#include "worker/score_reader.h"
#include "worker/training_log_watch.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

/// JSON (ordered or not) to a YAML node, keeping types (yaml-cpp writes ints, floats, bools and
/// strings apart).
template <class Json>
YAML::Node to_yaml(const Json& value) {
  YAML::Node node;
  switch (value.type()) {
    case Json::value_t::object:
      node = YAML::Node(YAML::NodeType::Map);
      for (const auto& [key, item] : value.items()) node[key] = to_yaml(item);
      break;
    case Json::value_t::array:
      node = YAML::Node(YAML::NodeType::Sequence);
      for (const auto& item : value) node.push_back(to_yaml(item));
      break;
    case Json::value_t::boolean:
      node = value.template get<bool>();
      break;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      node = value.template get<long long>();
      break;
    case Json::value_t::number_float:
      node = value.template get<double>();
      break;
    case Json::value_t::string:
      node = value.template get<std::string>();
      break;
    default:
      node = YAML::Node(YAML::NodeType::Null);
  }
  return node;
}

/// task/metric from results, else groups; nullopt when absent or not a finite number.
std::optional<double> metric_of(const nlohmann::json& document, const MetricSpec& spec) {
  for (const char* section : {"results", "groups"}) {
    if (!document.contains(section) || !document[section].is_object()) continue;
    const auto& tasks = document[section];
    if (!tasks.contains(spec.task) || !tasks[spec.task].is_object()) continue;
    const auto& metrics = tasks[spec.task];
    if (metrics.contains(spec.metric) && metrics[spec.metric].is_number()) {
      const double v = metrics[spec.metric].get<double>();
      if (std::isfinite(v)) return v;
    }
  }
  return std::nullopt;
}

}  // namespace

nlohmann::ordered_json litgpt_trial_json(const LitgptObjective& objective, const SearchSpace& space,
                                         const std::vector<ParamValue>& values,
                                         const std::string& out_dir) {
  nlohmann::ordered_json config;
  config["checkpoint_dir"] = objective.checkpoint_dir;
  config["out_dir"] = out_dir;
  config["precision"] = objective.precision;
  config["devices"] = objective.devices;
  config["num_nodes"] = objective.num_nodes;
  config["seed"] = objective.seed;
  const auto value_of = [&](const char* name) -> std::optional<ParamValue> {
    const int i = space.index_of(name);
    if (i < 0) return std::nullopt;
    return values.at(static_cast<std::size_t>(i));
  };
  if (const auto r = value_of("lora_r"))
    config["lora_r"] = static_cast<long long>(std::llround(numeric_value(*r)));
  if (const auto a = value_of("lora_alpha"))
    config["lora_alpha"] = static_cast<long long>(std::llround(numeric_value(*a)));
  if (const auto d = value_of("lora_dropout")) config["lora_dropout"] = numeric_value(*d);
  for (const std::string& target : litgpt_lora_targets()) {
    config["lora_" + target] =
        std::find(objective.lora_targets.begin(), objective.lora_targets.end(), target) !=
        objective.lora_targets.end();
  }
  config["data"] = nlohmann::ordered_json::parse(objective.data_json);
  config["train"] = nlohmann::ordered_json::parse(objective.train_json);
  config["eval"] = nlohmann::ordered_json::parse(objective.eval_json);
  nlohmann::ordered_json init_args;
  init_args["lr"] = value_of("learning_rate") ? numeric_value(*value_of("learning_rate")) : 3e-4;
  init_args["weight_decay"] =
      value_of("weight_decay") ? numeric_value(*value_of("weight_decay")) : 0.0;
  init_args["betas"] = {0.9, 0.95};
  config["optimizer"] = {{"class_path", "torch.optim.AdamW"}, {"init_args", init_args}};
  config["logger_name"] = "csv";
  // Every parameter at its key (litgpt_keys.h): the five above land where they already are, with
  // the same value; the others (betas[0], train.global_batch_size, lora_mlp, precision, ...)
  // replace the objective's fixed value or add the key.
  for (std::size_t i = 0; i < values.size() && i < space.parameters().size(); ++i) {
    const std::string path = litgpt_path_of(space.parameters()[i].name);
    const LitgptKey* key = find_litgpt_key(path);
    if (key == nullptr) {
      throw std::invalid_argument("search_space." + space.parameters()[i].name +
                                  " is not a LitGPT setting lorahpo can set");
    }
    set_at_litgpt_path(&config, path, litgpt_key_value(*key, values[i]));
  }
  return config;
}

std::set<std::string> litgpt_searched_paths(const SearchSpace& space) {
  std::set<std::string> paths;
  for (const Parameter& p : space.parameters()) paths.insert(litgpt_path_of(p.name));
  return paths;
}

std::string litgpt_trial_config(const LitgptObjective& objective, const SearchSpace& space,
                                const std::vector<ParamValue>& values, const std::string& out_dir) {
  const nlohmann::ordered_json config = litgpt_trial_json(objective, space, values, out_dir);
  // nlohmann::json (not ordered) sorts keys: emit in LitGPT's order instead.
  YAML::Emitter ordered;
  ordered.SetDoublePrecision(17);
  ordered << YAML::BeginMap;
  for (const auto& [key, item] : config.items()) {
    ordered << YAML::Key << key << YAML::Value << to_yaml(item);
  }
  ordered << YAML::EndMap;
  return std::string(ordered.c_str()) + "\n";
}

long long litgpt_skip_generation_tokens(const nlohmann::json& train) {
  const auto found = train.find("max_seq_length");
  if (found != train.end() && found->is_number_integer() && found->get<long long>() > 0)
    return found->get<long long>();
  return 1LL << 30;
}

std::optional<bool> litgpt_checkpoint_ties_embeddings(const std::string& checkpoint_dir) {
  std::ifstream file(fs::path(checkpoint_dir) / "config.json");
  if (!file) return std::nullopt;
  // config.json is small; a file that is not JSON is the conversion's problem, not ours.
  const nlohmann::json config = nlohmann::json::parse(file, nullptr, false);
  if (config.is_discarded() || !config.is_object()) return std::nullopt;
  const auto tie = config.find("tie_word_embeddings");
  // Absent: the model class's default decides (true for PretrainedConfig, false for LlamaConfig).
  if (tie == config.end() || !tie->is_boolean()) return std::nullopt;
  return tie->get<bool>();
}

std::vector<std::string> litgpt_evaluate_argv(const LitgptObjective& objective,
                                              const std::string& final_dir,
                                              const std::string& eval_dir) {
  std::string tasks;
  for (const auto& task : objective.tasks) tasks += (tasks.empty() ? "" : ",") + task;
  std::vector<std::string> argv = {objective.executable,
                                   "evaluate",
                                   final_dir,
                                   "--tasks",
                                   tasks,
                                   "--out_dir",
                                   eval_dir,
                                   "--batch_size",
                                   objective.eval_batch_size,
                                   "--dtype",
                                   objective.eval_dtype};
  if (objective.num_fewshot >= 0)
    argv.insert(argv.end(), {"--num_fewshot", std::to_string(objective.num_fewshot)});
  if (objective.limit > 0) argv.insert(argv.end(), {"--limit", fmt::format("{}", objective.limit)});
  return argv;
}

namespace {

/// Where one evaluation works: the trial directory (the journal's, kept) and the work directory
/// (objective.work_dir: the trial directory itself or a node-local one), both absolute,
/// resolved and without a trailing '/', so that the two compare as strings.
struct TrialPaths {
  fs::path trial_dir;
  fs::path work;
  bool work_is_trial_dir = false;
  fs::path out_dir;     ///< litgpt finetune_lora's --out_dir
  fs::path final_dir;   ///< out/final: the LoRA weights and the merged model
  fs::path eval_dir;    ///< litgpt evaluate's --out_dir
  fs::path results;     ///< eval/results.json, lm_eval's
  fs::path trial_yaml;  ///< the finetune config written for this trial
};

TrialPaths trial_paths(const fs::path& trial_dir, const fs::path& work) {
  std::error_code ec;
  const auto resolved = [&](const fs::path& path) {
    std::string text = fs::weakly_canonical(fs::absolute(path, ec), ec).lexically_normal().string();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    return fs::path(text);
  };
  TrialPaths paths;
  paths.trial_dir = resolved(trial_dir);
  paths.work = resolved(work);
  paths.work_is_trial_dir = paths.work == paths.trial_dir;
  paths.out_dir = paths.work / "out";
  paths.final_dir = paths.out_dir / "final";
  paths.eval_dir = paths.work / "eval";
  paths.results = paths.eval_dir / "results.json";
  paths.trial_yaml = paths.work / "trial.yaml";
  return paths;
}

/// Empties the work directory of an earlier run, or says why it cannot be used.
std::optional<std::string> prepare_work_directory(const TrialPaths& paths) {
  const std::string work = paths.work.string();
  // Emptying a work directory that holds the trial directory would delete this attempt (and more).
  if (!paths.work_is_trial_dir &&
      (work == "/" || paths.trial_dir.string().compare(0, work.size() + 1, work + "/") == 0)) {
    return "work directory " + work + " contains the trial directory " + paths.trial_dir.string();
  }
  // Nothing of an earlier run may survive into this one: merge_lora (litgpt scripts/merge_lora.py
  // merge_lora) returns early when final/lit_model.pth exists, and evaluate (eval/evaluate.py
  // convert_and_evaluate) skips the conversion when eval/pytorch_model.bin exists, so a leftover
  // model would be scored in place of this trial's. In the trial directory the worker loop has
  // already moved an earlier attempt aside (<id>.attempt-k) and nothing of this one exists yet.
  std::error_code ec;
  if (paths.work_is_trial_dir) {
    fs::remove_all(paths.out_dir, ec);
    fs::remove_all(paths.eval_dir, ec);
  } else {
    fs::remove_all(paths.work, ec);
  }
  fs::create_directories(paths.work, ec);
  if (!fs::is_directory(paths.work)) return "cannot create work directory " + work;
  return std::nullopt;
}

/// A base checkpoint this objective cannot train from: the node's (or the setup's) problem, not
/// the point's.
std::optional<std::string> checkpoint_problem(const LitgptObjective& objective) {
  if (!fs::exists(fs::path(objective.checkpoint_dir) / "lit_model.pth")) {
    return "missing checkpoint: " + objective.checkpoint_dir + "/lit_model.pth";
  }
  // The loader refuses this when it can read config.json; a node whose copy differs is caught here.
  const auto& targets = objective.lora_targets;
  if (std::find(targets.begin(), targets.end(), "head") != targets.end() &&
      litgpt_checkpoint_ties_embeddings(objective.checkpoint_dir).value_or(false)) {
    return "lora_targets has 'head' but " + objective.checkpoint_dir +
           "/config.json has tie_word_embeddings: true (the head's LoRA would be dropped at "
           "evaluation)";
  }
  return std::nullopt;
}

/// Every outcome, failures included, leaves the logs in the trial directory and the gigabytes
/// of merged and converted models deleted.
EvaluationOutcome finish_trial(const LitgptObjective& objective, const TrialPaths& paths,
                               std::int64_t trial_id, double seconds, EvaluationOutcome outcome) {
  std::error_code ec;
  if (!objective.keep_artifacts) {
    fs::remove(paths.final_dir / "lit_model.pth", ec);
    for (const char* name :
         {"pytorch_model.bin", "model.safetensors", "model.pth", "lit_model.pth"}) {
      fs::remove(paths.eval_dir / name, ec);
    }
  }
  outcome.metrics["seconds"] = seconds;
  // With classify_litgpt_stage's stopped_early: the GPU time an early stop saved
  // (common/gpu_time_saved.h).
  outcome.metrics["gpus"] = objective.devices;
  if (!paths.work_is_trial_dir) {
    // A node-local work directory: bring what must outlive the node back to the trial directory.
    std::vector<fs::path> items = {paths.trial_yaml,
                                   paths.work / "finetune.out.log",
                                   paths.work / "finetune.err.log",
                                   paths.work / "evaluate.out.log",
                                   paths.work / "evaluate.err.log",
                                   paths.final_dir / "hyperparameters.yaml"};
    if (objective.keep_lora_weights) items.push_back(paths.final_dir / "lit_model.pth.lora");
    for (const fs::path& item : items) {
      if (fs::exists(item)) {
        fs::copy_file(item, paths.trial_dir / item.filename(), fs::copy_options::overwrite_existing,
                      ec);
      }
    }
  }
  // trials/<id>/results.json: lm_eval's file itself with keep_samples, else the copy without
  // `samples` written when it was read.
  if (objective.keep_samples && fs::exists(paths.results)) {
    fs::copy_file(paths.results, paths.trial_dir / "results.json",
                  fs::copy_options::overwrite_existing, ec);
  }
  if (!objective.keep_artifacts) {
    if (paths.work_is_trial_dir) {
      fs::remove(paths.results, ec);
      if (!objective.keep_lora_weights) fs::remove(paths.final_dir / "lit_model.pth.lora", ec);
    } else {
      fs::remove_all(paths.work, ec);
    }
  } else if (!objective.keep_lora_weights) {
    spdlog::info("trial {}: LoRA weights left in {} (keep_artifacts)", trial_id,
                 paths.final_dir.string());
  }
  return outcome;
}

/// Runs one litgpt stage as a child process with the time left of the trial's timeout, its logs
/// in <work>/<stage>.{out,err}.log; its outcome when the stage ended the evaluation, nullopt when
/// the next stage may run.
std::optional<EvaluationOutcome> run_stage(const LitgptObjective& objective,
                                           const TrialPaths& paths, ChildSpec spec,
                                           LitgptStage stage, std::vector<std::string> argv,
                                           double remaining_seconds) {
  const std::string name = to_string(stage);
  spec.argv = std::move(argv);
  spec.stdout_path = (paths.work / (name + ".out.log")).string();
  spec.stderr_path = (paths.work / (name + ".err.log")).string();
  spec.timeout_seconds = std::max(remaining_seconds, 1.0);
  // The fine-tuning's logs are watched for a diverged loss: litgpt's fit() (v0.5.10-v0.5.13
  // finetune/lora.py) has no NaN check and would train to the end of the epoch.
  spec.stop_check = nullptr;
  if (stage == LitgptStage::kFinetune && objective.stop_on_divergence.enabled) {
    DivergenceStop stop;
    stop.enabled = true;
    stop.consecutive = objective.stop_on_divergence.after_iterations;
    spec.stop_check = divergence_stop_check({spec.stdout_path, spec.stderr_path}, stop);
  }
  LitgptStageEnd end;
  end.stage = stage;
  end.exit = run_child(spec);
  end.out_log = read_log_tail(spec.stdout_path);
  end.err_log = read_log_tail(spec.stderr_path);
  LitgptOutcomeOptions options;
  options.divergence_consecutive = objective.stop_on_divergence.after_iterations;
  options.trial_timeout_seconds = objective.timeout_seconds;
  return classify_litgpt_stage(end, options);
}

/// The score lm_eval wrote in eval/results.json (objective.objective's task and metric), with
/// the test metric and every numeric metric of objective.tasks; leaves the trial directory's
/// copy of the file without its `samples`.
EvaluationOutcome scored_outcome(const LitgptObjective& objective, const TrialPaths& paths) {
  // lm_eval's `samples` (tens of MB) are streamed past, never held: only the aggregates are kept.
  const ScoreReading reading =
      read_score_from_json_file(paths.results.string(), "/results/" + objective.objective.task +
                                                            "/" + objective.objective.metric);
  EvaluationOutcome outcome;
  if (reading.ok) {
    outcome = EvaluationOutcome::ok(reading.score);
  } else if (!reading.document.is_null()) {
    const auto from_groups = metric_of(reading.document, objective.objective);
    outcome = from_groups ? EvaluationOutcome::ok(*from_groups)
                          : EvaluationOutcome::failed(reading.reason);
  } else {
    outcome = EvaluationOutcome::failed(reading.reason);
  }
  if (reading.document.is_object() && !objective.keep_samples) {
    // The trial directory's copy: everything lm_eval wrote but the samples.
    std::ofstream copy(paths.trial_dir / "results.json");
    copy << reading.document.dump(2) << "\n";
  }
  if (outcome.status == TrialStatus::kOk) {
    if (const auto test = metric_of(reading.document, objective.test))
      outcome.metrics["test_score"] = *test;
    for (const char* section : {"results", "groups"}) {
      if (!reading.document.contains(section)) continue;
      for (const auto& task : objective.tasks) {
        const auto& tasks_json = reading.document[section];
        if (!tasks_json.contains(task) || !tasks_json[task].is_object()) continue;
        for (const auto& [metric, value] : tasks_json[task].items()) {
          if (value.is_number()) outcome.metrics[task][metric] = value;
        }
      }
    }
  }
  return outcome;
}

}  // namespace

LitgptEvaluator::LitgptEvaluator(LitgptObjective objective, SearchSpace space,
                                 std::string config_dir)
    : objective_(std::move(objective)),
      space_(std::move(space)),
      config_dir_(std::move(config_dir)) {}

EvaluationOutcome LitgptEvaluator::evaluate(const EvaluateMessage& request) {
  // A point LitGPT cannot train as sampled (a global batch that is not a multiple of micro batch
  // x devices, ...) is the point's outcome, whatever the node: `failed` with the reason, before
  // any GPU is asked for, with the trial config it would have run left in the trial directory.
  {
    nlohmann::ordered_json config;
    try {
      config = litgpt_trial_json(objective_, space_, request.params, "out");
    } catch (const std::invalid_argument& e) {
      return EvaluationOutcome::failed(std::string("impossible point: ") + e.what());
    }
    if (auto problem = litgpt_point_problem(config, litgpt_searched_paths(space_))) {
      std::error_code ec;
      fs::create_directories(request.trial_dir, ec);
      std::ofstream(fs::path(request.trial_dir) / "trial.yaml")
          << litgpt_trial_config(objective_, space_, request.params, "out");
      spdlog::info("trial {}: {}", request.trial_id, *problem);
      return EvaluationOutcome::failed(*problem);
    }
  }
  // GPUs that do not match objective.devices are the node's fault, not the point's: `error`
  // (retried on another worker), never `failed` (worker/gpu_inventory.h).
  if (auto fault = gpu_node_fault(objective_, request, config_dir_))
    return EvaluationOutcome::error(*fault);
  const auto lookup = [&](const std::string& name) {
    return trial_placeholder(name, request, config_dir_);
  };
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  fs::path work;
  std::vector<std::string> extra_env;
  try {
    work = expand_placeholders(objective_.work_dir, lookup);
    for (const auto& [key, value] : objective_.env)
      extra_env.push_back(key + "=" + expand_placeholders(value, lookup));
  } catch (const std::invalid_argument& e) {
    return EvaluationOutcome::error(std::string("litgpt objective template: ") + e.what());
  }
  std::error_code ec;
  fs::create_directories(request.trial_dir, ec);
  const TrialPaths paths = trial_paths(request.trial_dir, work);
  if (auto problem = prepare_work_directory(paths)) return EvaluationOutcome::error(*problem);
  if (auto problem = checkpoint_problem(objective_)) return EvaluationOutcome::error(*problem);

  const auto finish = [&](EvaluationOutcome outcome) {
    return finish_trial(objective_, paths, request.trial_id, elapsed(), std::move(outcome));
  };
  {
    std::ofstream file(paths.trial_yaml);
    file << litgpt_trial_config(objective_, space_, request.params, paths.out_dir.string());
    if (!file.flush())
      return finish(EvaluationOutcome::error("cannot write " + paths.trial_yaml.string()));
  }

  ChildSpec spec;
  spec.working_dir = paths.work.string();
  // Python block-buffers a stdout redirected to a file: without this the loss lines reach the log
  // (and the divergence watch) 8 KiB at a time. The user's env may still override both.
  extra_env.insert(extra_env.begin(), {"CUDA_VISIBLE_DEVICES=" + objective_.cuda_visible_devices,
                                       "PYTHONUNBUFFERED=1"});
  spec.environment = trial_environment(request, extra_env);
  const auto run = [&](LitgptStage stage, std::vector<std::string> argv) {
    return run_stage(objective_, paths, spec, stage, std::move(argv),
                     objective_.timeout_seconds - elapsed());
  };

  if (auto outcome = run(LitgptStage::kFinetune, {objective_.executable, "finetune_lora",
                                                  "--config", paths.trial_yaml.string()})) {
    return finish(*outcome);
  }
  if (!fs::exists(paths.final_dir / "lit_model.pth.lora")) {
    return finish(
        EvaluationOutcome::failed("finetune: no LoRA weights in " + paths.final_dir.string()));
  }
  if (auto outcome = run(
          LitgptStage::kEvaluate,
          litgpt_evaluate_argv(objective_, paths.final_dir.string(), paths.eval_dir.string()))) {
    return finish(*outcome);
  }
  return finish(scored_outcome(objective_, paths));
}

}  // namespace lorahpo
