#include "worker/litgpt_evaluator.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/placeholder_template.h"
#include "worker/child_process.h"
#include "worker/command_evaluator.h"
#include "worker/gpu_inventory.h"
#include "worker/score_reader.h"

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

std::string read_text(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

bool contains_any(const std::string& text, std::initializer_list<const char*> needles) {
  for (const char* needle : needles) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

/// LitGPT logs "loss train: nan" (or inf) and keeps going when training diverges.
bool diverged(const std::string& log) {
  static const std::regex kLoss(R"(loss train:\s*(nan|-?inf))", std::regex::icase);
  return std::regex_search(log, kLoss);
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

std::string tail(const std::string& text, std::size_t limit = 200) {
  std::string line = text;
  const auto end = line.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return {};
  line.resize(end + 1);
  const auto begin = line.rfind('\n');
  if (begin != std::string::npos) line = line.substr(begin + 1);
  return line.size() > limit ? line.substr(0, limit) + "..." : line;
}

}  // namespace

const std::vector<std::string>& litgpt_parameter_names() {
  static const std::vector<std::string> kNames = {"learning_rate", "weight_decay", "lora_r", "lora_alpha",
                                                  "lora_dropout"};
  return kNames;
}

std::string litgpt_trial_config(const LitgptObjective& objective, const SearchSpace& space,
                                const std::vector<ParamValue>& values, const std::string& out_dir) {
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
  if (const auto r = value_of("lora_r")) config["lora_r"] = static_cast<long long>(std::llround(numeric_value(*r)));
  if (const auto a = value_of("lora_alpha")) config["lora_alpha"] = static_cast<long long>(std::llround(numeric_value(*a)));
  if (const auto d = value_of("lora_dropout")) config["lora_dropout"] = numeric_value(*d);
  for (const char* target : {"query", "key", "value", "projection", "mlp", "head"}) {
    config[std::string("lora_") + target] =
        std::find(objective.lora_targets.begin(), objective.lora_targets.end(), target) != objective.lora_targets.end();
  }
  config["data"] = nlohmann::ordered_json::parse(objective.data_json);
  config["train"] = nlohmann::ordered_json::parse(objective.train_json);
  config["eval"] = nlohmann::ordered_json::parse(objective.eval_json);
  nlohmann::ordered_json init_args;
  init_args["lr"] = value_of("learning_rate") ? numeric_value(*value_of("learning_rate")) : 3e-4;
  init_args["weight_decay"] = value_of("weight_decay") ? numeric_value(*value_of("weight_decay")) : 0.0;
  init_args["betas"] = {0.9, 0.95};
  config["optimizer"] = {{"class_path", "torch.optim.AdamW"}, {"init_args", init_args}};
  config["logger_name"] = "csv";

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

LitgptEvaluator::LitgptEvaluator(LitgptObjective objective, SearchSpace space, std::string config_dir)
    : objective_(std::move(objective)), space_(std::move(space)), config_dir_(std::move(config_dir)) {}

EvaluationOutcome LitgptEvaluator::evaluate(const EvaluateMessage& request) {
  // GPUs that do not match objective.devices are the node's fault, not the point's: `error`
  // (retried on another worker), never `failed` (worker/gpu_inventory.h).
  if (auto fault = gpu_node_fault(objective_, request, config_dir_)) return EvaluationOutcome::error(*fault);
  const auto lookup = [&](const std::string& name) { return trial_placeholder(name, request, config_dir_); };
  const auto start = std::chrono::steady_clock::now();
  const auto remaining = [&] {
    return objective_.timeout_seconds -
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  fs::path work;
  std::vector<std::string> extra_env;
  try {
    work = expand_placeholders(objective_.work_dir, lookup);
    for (const auto& [key, value] : objective_.env) extra_env.push_back(key + "=" + expand_placeholders(value, lookup));
  } catch (const std::invalid_argument& e) {
    return EvaluationOutcome::error(std::string("litgpt objective template: ") + e.what());
  }
  std::error_code ec;
  fs::create_directories(work, ec);
  fs::create_directories(request.trial_dir, ec);
  if (!fs::is_directory(work)) return EvaluationOutcome::error("cannot create work directory " + work.string());

  // A missing base model is the node's (or the setup's) problem, not the point's.
  if (!fs::exists(fs::path(objective_.checkpoint_dir) / "lit_model.pth")) {
    return EvaluationOutcome::error("missing checkpoint: " + objective_.checkpoint_dir + "/lit_model.pth");
  }

  const fs::path out_dir = work / "out";
  const fs::path eval_dir = work / "eval";
  const fs::path final_dir = out_dir / "final";
  const fs::path results = eval_dir / "results.json";
  const fs::path trial_yaml = work / "trial.yaml";
  // Every outcome, failures included, leaves the logs in the trial directory and the gigabytes
  // of merged and converted models deleted.
  const auto finish = [&](EvaluationOutcome outcome) {
    if (!objective_.keep_artifacts) {
      fs::remove(final_dir / "lit_model.pth", ec);
      for (const char* name : {"pytorch_model.bin", "model.safetensors", "lit_model.pth"}) fs::remove(eval_dir / name, ec);
    }
    outcome.metrics["seconds"] = objective_.timeout_seconds - remaining();
    if (fs::weakly_canonical(work, ec) != fs::weakly_canonical(request.trial_dir, ec)) {
      // A node-local work directory: bring what must outlive the node back to the trial directory.
      for (const fs::path& item : {trial_yaml, work / "finetune.out.log", work / "finetune.err.log",
                                   work / "evaluate.out.log", work / "evaluate.err.log", results,
                                   final_dir / "lit_model.pth.lora", final_dir / "hyperparameters.yaml"}) {
        if (fs::exists(item)) {
          fs::copy_file(item, fs::path(request.trial_dir) / item.filename(), fs::copy_options::overwrite_existing, ec);
        }
      }
      if (!objective_.keep_artifacts) fs::remove_all(work, ec);
    }
    return outcome;
  };
  {
    std::ofstream file(trial_yaml);
    file << litgpt_trial_config(objective_, space_, request.params, out_dir.string());
    if (!file.flush()) return finish(EvaluationOutcome::error("cannot write " + trial_yaml.string()));
  }

  ChildSpec spec;
  spec.working_dir = work.string();
  extra_env.insert(extra_env.begin(), "CUDA_VISIBLE_DEVICES=" + objective_.cuda_visible_devices);
  spec.environment = trial_environment(request, extra_env);

  const auto run = [&](const char* stage, std::vector<std::string> argv) -> std::optional<EvaluationOutcome> {
    spec.argv = std::move(argv);
    spec.stdout_path = (work / (std::string(stage) + ".out.log")).string();
    spec.stderr_path = (work / (std::string(stage) + ".err.log")).string();
    spec.timeout_seconds = std::max(remaining(), 1.0);
    const ChildExit exit = run_child(spec);
    const std::string err = read_text(spec.stderr_path);
    const std::string out = read_text(spec.stdout_path);
    switch (exit.kind) {
      case ChildExit::Kind::kSpawnFailed:
        return EvaluationOutcome::error(fmt::format("{}: {} ({})", stage, exit.error, spec.argv.front()));
      case ChildExit::Kind::kTimedOut:
        return EvaluationOutcome::failed(fmt::format("{}: timed out after {} s of the trial's {} s (process group killed)",
                                                     stage, std::lround(objective_.timeout_seconds - remaining()),
                                                     objective_.timeout_seconds));
      case ChildExit::Kind::kSignaled:
        return EvaluationOutcome::error(fmt::format("{}: killed by signal {}", stage, exit.signal));
      case ChildExit::Kind::kCancelled:
        return EvaluationOutcome::error(fmt::format("{}: cancelled by rank 0 (process group killed)", stage));
      case ChildExit::Kind::kExited:
        break;
    }
    if (contains_any(err, {"CUDA out of memory", "OutOfMemoryError"}) ||
        contains_any(out, {"CUDA out of memory", "OutOfMemoryError"})) {
      return EvaluationOutcome::failed(fmt::format("{}: CUDA out of memory", stage));
    }
    if (exit.exit_code != 0) {
      if (contains_any(err, {"FileNotFoundError"}) && contains_any(err, {"checkpoint", "lit_model.pth"})) {
        return EvaluationOutcome::error(fmt::format("{}: missing checkpoint: {}", stage, tail(err)));
      }
      return EvaluationOutcome::failed(fmt::format("{}: exited with code {}: {}", stage, exit.exit_code, tail(err)));
    }
    if (std::string(stage) == "finetune" && diverged(out + err)) {
      return EvaluationOutcome::failed("finetune: training diverged (NaN or infinite loss)");
    }
    return std::nullopt;
  };

  if (auto outcome = run("finetune", {objective_.executable, "finetune_lora", "--config", trial_yaml.string()})) {
    return finish(*outcome);
  }
  if (!fs::exists(final_dir / "lit_model.pth.lora")) {
    return finish(EvaluationOutcome::failed("finetune: no LoRA weights in " + final_dir.string()));
  }

  std::string tasks;
  for (const auto& task : objective_.tasks) tasks += (tasks.empty() ? "" : ",") + task;
  std::vector<std::string> argv = {objective_.executable, "evaluate", final_dir.string(), "--tasks", tasks,
                                   "--out_dir", eval_dir.string(), "--batch_size", objective_.eval_batch_size};
  if (objective_.num_fewshot >= 0) {
    argv.insert(argv.end(), {"--num_fewshot", std::to_string(objective_.num_fewshot)});
  }
  if (objective_.limit > 0) argv.insert(argv.end(), {"--limit", fmt::format("{}", objective_.limit)});
  if (auto outcome = run("evaluate", argv)) return finish(*outcome);

  const ScoreReading reading = read_score_from_json_file(
      results.string(), "/results/" + objective_.objective.task + "/" + objective_.objective.metric);
  EvaluationOutcome outcome;
  if (reading.ok) {
    outcome = EvaluationOutcome::ok(reading.score);
  } else if (!reading.document.is_null()) {
    const auto from_groups = metric_of(reading.document, objective_.objective);
    outcome = from_groups ? EvaluationOutcome::ok(*from_groups) : EvaluationOutcome::failed(reading.reason);
  } else {
    outcome = EvaluationOutcome::failed(reading.reason);
  }
  if (outcome.status == TrialStatus::kOk) {
    if (const auto test = metric_of(reading.document, objective_.test)) outcome.metrics["test_score"] = *test;
    for (const char* section : {"results", "groups"}) {
      if (!reading.document.contains(section)) continue;
      for (const auto& task : objective_.tasks) {
        const auto& tasks_json = reading.document[section];
        if (!tasks_json.contains(task) || !tasks_json[task].is_object()) continue;
        for (const auto& [metric, value] : tasks_json[task].items()) {
          if (value.is_number()) outcome.metrics[task][metric] = value;
        }
      }
    }
  }

  return finish(std::move(outcome));
}

}  // namespace lorahpo
