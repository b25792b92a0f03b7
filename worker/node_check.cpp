#include "worker/node_check.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/placeholder_template.h"
#include "worker/captured_command.h"
#include "worker/command_evaluator.h"
#include "worker/gpu_inventory.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

constexpr int kMaster = 0;

std::string gib(double bytes) {
  return fmt::format("{:.1f} GiB", bytes / static_cast<double>(1u << 30));
}

std::string basename_of(const std::string& path) {
  return fs::path(path).filename().string();
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// The command that asks an interpreter for the installed versions: one "name version" line per
/// distribution, "name -" when it is not installed. Python >= 3.8 (importlib.metadata).
std::string version_query(const std::vector<std::string>& distributions) {
  std::string names;
  for (const auto& name : distributions) names += "'" + name + "', ";
  return "import importlib.metadata as m\n"
         "for d in (" +
         names +
         "):\n"
         "    try:\n"
         "        print(d, m.version(d))\n"
         "    except m.PackageNotFoundError:\n"
         "        print(d, '-')\n";
}

/// The interpreter of a script's "#!" line as an argv prefix (the kernel passes at most one
/// argument: "#!/usr/bin/env python3" -> {"/usr/bin/env", "python3"}); empty when the script has
/// no such line or the interpreter is not Python.
std::vector<std::string> python_interpreter(const std::string& script) {
  std::ifstream file(script);
  std::string line;
  if (!std::getline(file, line) || !starts_with(line, "#!")) return {};
  std::istringstream words(line.substr(2));
  std::string interpreter;
  std::string argument;
  words >> interpreter;
  std::getline(words, argument);
  argument.erase(0, argument.find_first_not_of(" \t"));
  argument.erase(argument.find_last_not_of(" \t\r") + 1);
  std::vector<std::string> argv = {interpreter};
  if (!argument.empty()) argv.push_back(argument);
  const std::string program =
      basename_of(interpreter) == "env" && !argument.empty() ? argument : basename_of(interpreter);
  if (!starts_with(program, "python")) return {};
  return argv;
}

/// <script dir>/../lib/python*/site-packages/<distribution>-<version>.dist-info: pip names the
/// directory with the normalized name ('-' -> '_'), e.g. lm_eval-0.4.8.dist-info.
std::optional<std::string> dist_info_version(const fs::path& script_dir,
                                             const std::string& distribution, std::string* where) {
  std::string normalized = distribution;
  std::replace(normalized.begin(), normalized.end(), '-', '_');
  std::error_code ec;
  const fs::path lib = script_dir.parent_path() / "lib";
  if (!fs::is_directory(lib, ec)) return std::nullopt;
  for (const auto& python : fs::directory_iterator(lib, ec)) {
    if (!starts_with(python.path().filename().string(), "python")) continue;
    const fs::path site = python.path() / "site-packages";
    if (!fs::is_directory(site, ec)) continue;
    for (const auto& entry : fs::directory_iterator(site, ec)) {
      const std::string name = entry.path().filename().string();
      const std::string prefix = normalized + "-";
      const std::string suffix = ".dist-info";
      if (name.size() > prefix.size() + suffix.size() && starts_with(name, prefix) &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        *where = site.string();
        return name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
      }
    }
  }
  return std::nullopt;
}

bool truthy(const std::optional<std::string>& value) {
  if (!value) return false;
  std::string upper = *value;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper == "1" || upper == "ON" || upper == "YES" || upper == "TRUE";
}

/// MMLU's 57 subjects: lm_eval v0.4.9 tasks/mmlu/_generate_configs.py SUBJECTS, one task and one
/// dataset config (`dataset_name: <subject>`) each.
const std::vector<std::string>& mmlu_subjects() {
  static const std::vector<std::string> kSubjects = {"abstract_algebra",
                                                     "anatomy",
                                                     "astronomy",
                                                     "business_ethics",
                                                     "clinical_knowledge",
                                                     "college_biology",
                                                     "college_chemistry",
                                                     "college_computer_science",
                                                     "college_mathematics",
                                                     "college_medicine",
                                                     "college_physics",
                                                     "computer_security",
                                                     "conceptual_physics",
                                                     "econometrics",
                                                     "electrical_engineering",
                                                     "elementary_mathematics",
                                                     "formal_logic",
                                                     "global_facts",
                                                     "high_school_biology",
                                                     "high_school_chemistry",
                                                     "high_school_computer_science",
                                                     "high_school_european_history",
                                                     "high_school_geography",
                                                     "high_school_government_and_politics",
                                                     "high_school_macroeconomics",
                                                     "high_school_mathematics",
                                                     "high_school_microeconomics",
                                                     "high_school_physics",
                                                     "high_school_psychology",
                                                     "high_school_statistics",
                                                     "high_school_us_history",
                                                     "high_school_world_history",
                                                     "human_aging",
                                                     "human_sexuality",
                                                     "international_law",
                                                     "jurisprudence",
                                                     "logical_fallacies",
                                                     "machine_learning",
                                                     "management",
                                                     "marketing",
                                                     "medical_genetics",
                                                     "miscellaneous",
                                                     "moral_disputes",
                                                     "moral_scenarios",
                                                     "nutrition",
                                                     "philosophy",
                                                     "prehistory",
                                                     "professional_accounting",
                                                     "professional_law",
                                                     "professional_medicine",
                                                     "professional_psychology",
                                                     "public_relations",
                                                     "security_studies",
                                                     "sociology",
                                                     "us_foreign_policy",
                                                     "virology",
                                                     "world_religions"};
  return kSubjects;
}

bool non_empty_directory(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && !fs::is_empty(path, ec);
}

/// The first of `names` that is a non-empty directory under `cache`; nullopt if none.
std::optional<fs::path> cached(const fs::path& cache, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (non_empty_directory(cache / name)) return cache / name;
  }
  return std::nullopt;
}

/// "" when `task`'s data is in the cache, else what is missing; nullopt for a task not known here.
std::optional<std::string> missing_for_task(const fs::path& cache, const std::string& task) {
  // hellaswag: dataset_path "hellaswag" up to lm_eval v0.4.9, "Rowan/hellaswag" from v0.4.9.1
  // (tasks/hellaswag/hellaswag.yaml); the datasets library caches a dataset loaded from the Hub
  // under "<namespace>___<name>" (datasets 2.21 builder.py _relative_data_dir), else "<name>".
  if (task == "hellaswag") {
    return cached(cache, {"Rowan___hellaswag", "hellaswag"}) ? ""
                                                             : "hellaswag (no Rowan___hellaswag)";
  }
  // mmlu: dataset_path "hails/mmlu_no_train" up to v0.4.8, "cais/mmlu" from v0.4.9 (tasks/mmlu/
  // default/_default_template_yaml), loaded once per subject (dataset_name: <subject>): a cache
  // made with the config "all" only does not serve it, and the datasets cache keeps each config
  // in <dataset dir>/<config>.
  std::vector<std::string> subjects;
  if (task == "mmlu") {
    subjects = mmlu_subjects();
  } else if (starts_with(task, "mmlu_")) {
    const std::string subject = task.substr(5);
    const auto& all = mmlu_subjects();
    if (std::find(all.begin(), all.end(), subject) == all.end()) return std::nullopt;
    subjects = {subject};
  } else {
    return std::nullopt;
  }
  const auto dataset = cached(cache, {"cais___mmlu", "hails___mmlu_no_train"});
  if (!dataset) return task + " (no cais___mmlu)";
  std::vector<std::string> missing;
  for (const auto& subject : subjects) {
    if (!non_empty_directory(*dataset / subject)) missing.push_back(subject);
  }
  if (missing.empty()) return "";
  return fmt::format("{} ({} of {} subject configs missing in {}, e.g. {})", task, missing.size(),
                     subjects.size(), dataset->filename().string(), missing.front());
}

}  // namespace

bool NodeReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const NodeCheck& c) { return c.ok; });
}

bool operator<(const Version& a, const Version& b) {
  if (a.major != b.major) return a.major < b.major;
  if (a.minor != b.minor) return a.minor < b.minor;
  return a.patch < b.patch;
}

std::string to_string(const Version& version) {
  return fmt::format("{}.{}.{}", version.major, version.minor, version.patch);
}

std::optional<Version> parse_version(const std::string& text) {
  static const std::regex kVersion(R"(^\s*v?(\d+)\.(\d+)(?:\.(\d+))?)");
  std::smatch match;
  if (!std::regex_search(text, match, kVersion)) return std::nullopt;
  Version v;
  try {
    v.major = std::stoi(match[1].str());
    v.minor = std::stoi(match[2].str());
    v.patch = match[3].matched ? std::stoi(match[3].str()) : 0;
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
  return v;
}

InstalledVersions installed_versions(const std::string& script,
                                     const std::vector<std::string>& distributions,
                                     const std::vector<std::string>& environment,
                                     double timeout_seconds) {
  InstalledVersions result;
  const auto path = find_executable(script, environment);
  if (!path) {
    result.error = script + ": not found in PATH";
    return result;
  }
  std::string interpreter_error;
  std::vector<std::string> argv = python_interpreter(*path);
  if (!argv.empty()) {
    argv.insert(argv.end(), {"-c", version_query(distributions)});
    const CapturedCommand run = run_captured(argv, environment, timeout_seconds);
    if (run.exited_zero) {
      std::istringstream lines(run.output);
      std::string name;
      std::string version;
      while (lines >> name >> version) {
        if (version != "-") result.versions[name] = version;
      }
      result.source = *path + " (" + argv.front() + ")";
      return result;
    }
    interpreter_error = run.error;
  }
  std::string where;
  for (const auto& distribution : distributions) {
    if (const auto version =
            dist_info_version(fs::path(*path).parent_path(), distribution, &where)) {
      result.versions[distribution] = *version;
    }
  }
  if (!where.empty()) {
    result.source = *path + " (" + where + ")";
  } else {
    result.error =
        *path + ": " +
        (interpreter_error.empty() ? "not a Python console script and no dist-info next to it"
                                   : interpreter_error);
  }
  return result;
}

NodeCheck check_gpus(const LitgptObjective& objective,
                     const std::vector<std::string>& environment) {
  NodeCheck check{kCheckGpus, false, ""};
  const GpuCount count = count_visible_gpus(environment);
  if (!count.listed) {
    check.detail = count.error;
    return check;
  }
  check.ok = count.visible == objective.devices;
  check.detail = fmt::format("{} GPUs visible", count.visible);
  if (!check.ok) check.detail += fmt::format(", objective.devices = {}", objective.devices);
  if (count.visible != count.total) {
    check.detail += fmt::format(" ({} on the node, CUDA_VISIBLE_DEVICES={})", count.total,
                                objective.cuda_visible_devices);
  }
  if (count.mig_devices > 0) check.detail += fmt::format(", {} MIG devices", count.mig_devices);
  return check;
}

NodeCheck check_version(const char* name, const std::string& distribution,
                        const InstalledVersions& installed, const VersionRange& range) {
  NodeCheck check{name, false, ""};
  if (!installed.error.empty()) {
    check.detail = installed.error;
    return check;
  }
  const auto found = installed.versions.find(distribution);
  if (found == installed.versions.end()) {
    check.detail = distribution + " not installed for " + installed.source;
    return check;
  }
  const auto version = parse_version(found->second);
  const std::string supported = to_string(range.low) + " to " + to_string(range.high);
  if (!version) {
    check.detail = fmt::format("version '{}' unreadable (supported: {})", found->second, supported);
    return check;
  }
  check.ok = range.contains(*version);
  check.detail = check.ok ? found->second
                          : fmt::format("{} unsupported (supported: {})", found->second, supported);
  return check;
}

NodeCheck check_checkpoint(const std::string& checkpoint_dir) {
  NodeCheck check{kCheckCheckpoint, false, ""};
  const fs::path dir(checkpoint_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    check.detail = checkpoint_dir + " is not a directory";
    return check;
  }
  std::vector<std::string> missing;
  for (const char* name : {"lit_model.pth", "model_config.yaml"}) {
    if (!fs::is_regular_file(dir / name, ec)) missing.push_back(name);
  }
  if (!fs::is_regular_file(dir / "tokenizer.json", ec) &&
      !fs::is_regular_file(dir / "tokenizer.model", ec)) {
    missing.push_back("tokenizer.json or tokenizer.model");
  }
  if (!fs::is_regular_file(dir / "tokenizer_config.json", ec))
    missing.push_back("tokenizer_config.json");
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    check.detail = checkpoint_dir + " lacks " + list;
    return check;
  }
  check.ok = true;
  check.detail =
      "lit_model.pth " + gib(static_cast<double>(fs::file_size(dir / "lit_model.pth", ec)));
  return check;
}

NodeCheck check_disk(const std::string& work_dir, const std::string& checkpoint_dir) {
  NodeCheck check{kCheckDisk, false, ""};
  std::error_code ec;
  fs::path existing = fs::absolute(work_dir, ec).lexically_normal();
  while (!existing.empty() && !fs::exists(existing, ec) && existing != existing.root_path()) {
    existing = existing.parent_path();
  }
  struct statvfs stats {};
  if (existing.empty() || statvfs(existing.c_str(), &stats) != 0) {
    check.detail = "cannot inspect the file system of " + work_dir;
    return check;
  }
  if (access(existing.c_str(), W_OK | X_OK) != 0) {
    check.detail = existing.string() + " is not writable (work_dir " + work_dir + ")";
    return check;
  }
  const std::uintmax_t model = fs::file_size(fs::path(checkpoint_dir) / "lit_model.pth", ec);
  const double needed = kDiskCheckpointCopies * static_cast<double>(ec ? 0 : model) +
                        static_cast<double>(kDiskMarginBytes);
  const double free_bytes =
      static_cast<double>(stats.f_bavail) * static_cast<double>(stats.f_frsize);
  check.ok = free_bytes >= needed;
  check.detail = fmt::format("{} free, {} needed{}: {}", gib(free_bytes), gib(needed),
                             check.ok ? "" : " (too little)", existing.string());
  return check;
}

NodeCheck check_datasets(const std::vector<std::string>& tasks,
                         const std::vector<std::string>& environment) {
  NodeCheck check{kCheckDatasets, true, ""};
  // datasets 2.21 config.py: HF_DATASETS_OFFLINE when set, else huggingface_hub's HF_HUB_OFFLINE;
  // true is "1", "ON", "YES" or "TRUE" in any case.
  const auto datasets_offline = environment_value(environment, "HF_DATASETS_OFFLINE");
  const bool offline = datasets_offline ? truthy(datasets_offline)
                                        : truthy(environment_value(environment, "HF_HUB_OFFLINE"));
  if (!offline) {
    check.detail = "online (HF_DATASETS_OFFLINE/HF_HUB_OFFLINE not set): not checked";
    return check;
  }
  // datasets 2.21 config.py: HF_DATASETS_CACHE, else $HF_HOME/datasets, HF_HOME defaulting to
  // $XDG_CACHE_HOME/huggingface, XDG_CACHE_HOME to ~/.cache.
  const auto expand_home = [&](std::string path) {
    if (starts_with(path, "~"))
      path = environment_value(environment, "HOME").value_or("") + path.substr(1);
    return path;
  };
  fs::path cache;
  if (const auto value = environment_value(environment, "HF_DATASETS_CACHE")) {
    cache = expand_home(*value);
  } else {
    const std::string xdg = environment_value(environment, "XDG_CACHE_HOME").value_or("~/.cache");
    const std::string home =
        environment_value(environment, "HF_HOME").value_or(xdg + "/huggingface");
    cache = fs::path(expand_home(home)) / "datasets";
  }
  std::vector<std::string> missing;
  std::vector<std::string> unknown;
  for (const auto& task : tasks) {
    const auto problem = missing_for_task(cache, task);
    if (!problem) {
      unknown.push_back(task);
    } else if (!problem->empty()) {
      missing.push_back(*problem);
    }
  }
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : "; ") + m;
  check.ok = missing.empty();
  check.detail = check.ok ? "offline, cached in " + cache.string()
                          : "offline, not cached in " + cache.string() + ": " + list;
  if (!unknown.empty()) {
    std::string names;
    for (const auto& u : unknown) names += (names.empty() ? "" : ",") + u;
    check.detail += " (not checked: " + names + ")";
  }
  return check;
}

NodeReport check_node(const PreflightRequest& request, const std::string& host, int rank) {
  NodeReport report;
  report.host = host;
  report.rank = rank;
  const ObjectiveConfig& objective = request.setup.objective;
  EvaluateMessage trial;  // the first trial a campaign would send
  trial.trial_id = 0;
  trial.trial_dir = request.trial_dir;
  const std::string& config_dir = request.setup.config_dir;
  const auto lookup = [&](const std::string& name) {
    return trial_placeholder(name, trial, config_dir);
  };

  switch (objective.kind) {
    case ObjectiveKind::kBuiltin:
      report.checks.push_back(
          {kCheckObjective, true, "builtin " + objective.builtin.function + ": runs in process"});
      break;
    case ObjectiveKind::kCommand: {
      NodeCheck check{kCheckCommand, false, ""};
      try {
        std::vector<std::string> extra;
        for (const auto& [key, value] : objective.command.env)
          extra.push_back(key + "=" + expand_placeholders(value, lookup));
        const std::string program = expand_placeholders(objective.command.argv.at(0), lookup);
        const auto found = find_executable(program, trial_environment(trial, extra));
        check.ok = found.has_value();
        check.detail = found ? *found : program + ": not found in PATH or not executable";
      } catch (const std::exception& e) {  // argv[0] made of search-space parameters
        check.ok = true;
        check.detail = std::string("not checked: ") + e.what();
      }
      report.checks.push_back(check);
      break;
    }
    case ObjectiveKind::kLitgpt: {
      const LitgptObjective& litgpt = objective.litgpt;
      std::vector<std::string> environment;
      std::string work_dir;
      try {
        environment = litgpt_trial_environment(litgpt, trial, config_dir);
        work_dir = expand_placeholders(litgpt.work_dir, lookup);
      } catch (const std::invalid_argument& e) {
        report.checks.push_back({kCheckObjective, false, e.what()});
        break;
      }
      report.checks.push_back(check_gpus(litgpt, environment));
      const InstalledVersions installed =
          installed_versions(litgpt.executable, {"litgpt", "lm_eval"}, environment);
      report.checks.push_back(check_version(kCheckLitgpt, "litgpt", installed, kSupportedLitgpt));
      report.checks.push_back(check_version(kCheckLmEval, "lm_eval", installed, kSupportedLmEval));
      report.checks.push_back(check_checkpoint(litgpt.checkpoint_dir));
      report.checks.push_back(check_disk(work_dir, litgpt.checkpoint_dir));
      report.checks.push_back(check_datasets(litgpt.tasks, environment));
      break;
    }
  }
  return report;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void answer_preflight(Transport& transport) {
  while (true) {
    auto envelope = transport.receive(std::chrono::milliseconds(1000));
    if (!envelope) continue;
    if (envelope->tag == MessageTag::kShutdown) return;
    if (envelope->tag != MessageTag::kPreflight) {
      spdlog::warn("preflight rank {}: message with tag {} ignored", transport.rank(),
                   static_cast<int>(envelope->tag));
      continue;
    }
    NodeReport report;
    try {
      report =
          check_node(decode<PreflightRequest>(envelope->payload), host_name(), transport.rank());
    } catch (const std::exception& e) {
      report.host = host_name();
      report.rank = transport.rank();
      report.checks = {
          {kCheckObjective, false, std::string("cannot check this node: ") + e.what()}};
    }
    transport.send(kMaster, MessageTag::kPreflightReport, encode(report));
    return;
  }
}

}  // namespace lorahpo
