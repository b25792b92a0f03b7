#include "report/run_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <yaml-cpp/yaml.h>

#include "common/config_error.h"
#include "master/journal/journal_codec.h"
#include "report/report_error.h"

namespace lorahpo::report {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

/// A float parameter is pow10 when log10(value) = a + b u for its unit coordinate u, to this
/// absolute tolerance (values are written in shortest round-trip form, so the fit is exact to
/// ~1e-15), and a linear parameter fails the same test.
constexpr double kLogAffineTolerance = 1e-6;
/// Distinct unit coordinates needed before the log-affine test means anything.
constexpr int kMinPointsForInference = 3;

std::optional<Direction> direction_from(const std::string& text) {
  if (text == "maximize" || text == "max") return Direction::kMaximize;
  if (text == "minimize" || text == "min") return Direction::kMinimize;
  return std::nullopt;
}

TrialState state_from(const std::string& text) {
  if (text == "ok") return TrialState::kOk;
  if (text == "failed") return TrialState::kFailed;
  if (text == "error") return TrialState::kError;
  if (text == "approximated") return TrialState::kApproximated;
  return TrialState::kUnknown;
}

template <class T>
std::optional<T> number_at(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<T>();
}

std::string string_at(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

TrialEntry trial_from(const TrialLine& line) {
  TrialEntry t;
  t.id = line.id;
  t.state = state_from(line.status);
  t.score = line.score;
  t.reason = line.reason;
  if (line.params.is_object()) t.params = line.params;
  t.unit = line.unit;
  t.worker = line.worker;
  t.host = line.host;
  t.start_unix = line.start_unix;
  t.end_unix = line.end_unix;
  if (line.duration) {
    t.duration = *line.duration;
  } else if (t.start_unix && t.end_unix) {
    t.duration = *t.end_unix - *t.start_unix;
  }
  if (line.metrics.is_object()) t.metrics = line.metrics;
  t.attempt = line.attempt;
  t.retried = line.retried;
  t.recheck_of = line.recheck_of;
  if (line.optimizer.is_object()) {
    if (const auto d = line.optimizer.find("depth"); d != line.optimizer.end() && d->is_number()) {
      t.depth = d->get<int>();
    }
  }
  // BaMSOO's approximated points carry their depth among their GP details.
  if (!t.depth && t.state == TrialState::kApproximated) {
    if (const auto d = t.metrics.find("depth"); d != t.metrics.end() && d->is_number())
      t.depth = d->get<int>();
  }
  return t;
}

/// Fills the fields of `into` that `from` has (campaign header, summary.json or config values).
void merge(RunMetadata& into, const Json& from) {
  for (const char* key : {"name", "campaign"}) {
    if (const auto it = from.find(key); it != from.end() && it->is_string())
      into.name = it->get<std::string>();
  }
  if (const auto it = from.find("optimizer"); it != from.end()) {
    if (it->is_string()) into.optimizer = it->get<std::string>();
    if (it->is_object() && it->contains("name") && (*it)["name"].is_string()) {
      into.optimizer = (*it)["name"].get<std::string>();
    }
  }
  if (const auto b = number_at<int>(from, "budget")) into.budget = b;
  if (const auto d = direction_from(string_at(from, "direction"))) into.direction = *d;
  if (const auto w = number_at<int>(from, "workers")) into.workers = w;
  if (const auto s = number_at<double>(from, "wall_seconds")) into.wall_seconds = s;
  // The journal's campaign header keeps optimizer and direction in its "identity".
  if (const auto it = from.find("identity"); it != from.end() && it->is_object()) {
    const Json& identity = *it;
    if (const auto d = direction_from(string_at(identity, "direction"))) into.direction = *d;
    if (const auto o = identity.find("optimizer"); o != identity.end() && o->is_object()) {
      if (const std::string name = string_at(*o, "name"); !name.empty()) into.optimizer = name;
    }
  }
}

/// How the report draws the parameters of the header's search space (journal_codec.h's
/// decode_space): empty when the header has none, or one the codec cannot read.
std::vector<ParameterInfo> parameters_from_header(const CampaignHeader& header,
                                                  const std::string& path, int line_number) {
  std::vector<ParameterInfo> out;
  std::optional<std::vector<Parameter>> space;
  try {
    space = decode_space(header, path, line_number);
  } catch (const ConfigError&) {
    return out;  // a report is drawn from what can be read: config.yaml or the records
  }
  if (!space) return out;
  for (const Parameter& p : *space) {
    out.push_back(ParameterInfo{p.name, p.transform == Transform::kPow10,
                                p.type == ParamType::kCategorical, p.choices});
  }
  return out;
}

/// config.yaml, read leniently: it was valid when the run started, but a report must not depend on
/// the paths and programs it names still existing. nullopt if unreadable.
std::optional<YAML::Node> load_yaml(const fs::path& path) {
  try {
    if (!fs::exists(path)) return std::nullopt;
    return YAML::LoadFile(path.string());
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

RunMetadata metadata_from_config(const YAML::Node& config) {
  RunMetadata m;
  m.optimizer = "bo_gp";  // the config loader's default
  try {
    if (const YAML::Node c = config["campaign"]; c.IsMap()) {
      if (c["name"]) m.name = c["name"].as<std::string>();
      if (c["budget"]) m.budget = c["budget"].as<int>();
      if (c["direction"])
        m.direction = direction_from(c["direction"].as<std::string>()).value_or(m.direction);
    }
    // An absent key of a const node is an invalid node whose IsMap() throws: test it first.
    if (const YAML::Node o = config["optimizer"]; o && o.IsMap() && o["name"])
      m.optimizer = o["name"].as<std::string>();
    if (const YAML::Node o = config["objective"]; o && o.IsMap() && o["timeout"]) {
      m.trial_timeout_seconds = o["timeout"].as<double>();
    }
  } catch (const YAML::Exception&) {
    // A field of an unexpected type: keep what was read.
  }
  return m;
}

std::vector<ParameterInfo> parameters_from_config(const YAML::Node& config) {
  std::vector<ParameterInfo> out;
  try {
    const YAML::Node space = config["search_space"];
    if (!space.IsMap()) return out;
    for (const auto& entry : space) {
      ParameterInfo p;
      p.name = entry.first.as<std::string>();
      const YAML::Node spec = entry.second;
      if (spec.IsMap()) {
        p.log_scale = spec["transform"] && spec["transform"].as<std::string>() == "pow10";
        if (spec["choices"] && spec["choices"].IsSequence()) {
          p.categorical = true;
          for (const auto& c : spec["choices"]) p.choices.push_back(c.as<std::string>());
        }
        if (spec["type"] && spec["type"].as<std::string>() == "categorical") p.categorical = true;
      }
      out.push_back(std::move(p));
    }
  } catch (const YAML::Exception&) {
    return {};
  }
  return out;
}

/// True when log10(value) is affine in the unit coordinate and the value itself is not.
bool looks_pow10(const std::vector<TrialEntry>& trials, const std::string& name,
                 std::size_t index) {
  std::vector<double> u, v;
  for (const TrialEntry& t : trials) {
    const auto it = t.params.find(name);
    if (it == t.params.end() || !it->is_number() || index >= t.unit.size()) continue;
    const double value = it->get<double>();
    if (!(value > 0.0) || !std::isfinite(t.unit[index])) return false;
    u.push_back(t.unit[index]);
    v.push_back(value);
  }
  std::vector<double> distinct = u;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (static_cast<int>(distinct.size()) < kMinPointsForInference) return false;

  // Least-squares line y = a + b u, then the largest residual.
  const auto max_residual = [&](const std::vector<double>& y) {
    const double n = static_cast<double>(u.size());
    double su = 0, sy = 0, suu = 0, suy = 0;
    for (std::size_t i = 0; i < u.size(); ++i) {
      su += u[i];
      sy += y[i];
      suu += u[i] * u[i];
      suy += u[i] * y[i];
    }
    const double b = (n * suy - su * sy) / (n * suu - su * su);
    const double a = (sy - b * su) / n;
    double worst = 0.0;
    for (std::size_t i = 0; i < u.size(); ++i)
      worst = std::max(worst, std::abs(y[i] - (a + b * u[i])));
    return worst;
  };
  std::vector<double> logs(v.size());
  std::transform(v.begin(), v.end(), logs.begin(), [](double x) { return std::log10(x); });
  const double linear_scale = 1.0 + *std::max_element(v.begin(), v.end());
  return max_residual(logs) < kLogAffineTolerance &&
         max_residual(v) > kLogAffineTolerance * linear_scale;
}

std::vector<ParameterInfo> parameters_from_trials(const std::vector<TrialEntry>& trials) {
  std::vector<ParameterInfo> out;
  const auto find = [&](const std::string& name) {
    return std::find_if(out.begin(), out.end(),
                        [&](const ParameterInfo& p) { return p.name == name; });
  };
  for (const TrialEntry& t : trials) {
    for (const auto& [name, value] : t.params.items()) {
      auto it = find(name);
      if (it == out.end()) {
        out.push_back(ParameterInfo{name, false, false, {}});
        it = out.end() - 1;
      }
      if (value.is_string()) it->categorical = true;
    }
  }
  // The unit vector is in search-space order, which is the order of the params object.
  std::vector<std::string> order;
  for (const TrialEntry& t : trials) {
    if (t.params.size() == t.unit.size()) {
      for (const auto& [name, value] : t.params.items()) order.push_back(name);
      break;
    }
  }
  for (ParameterInfo& p : out) {
    if (p.categorical) continue;
    const auto at = std::find(order.begin(), order.end(), p.name);
    if (at != order.end())
      p.log_scale = looks_pow10(trials, p.name, static_cast<std::size_t>(at - order.begin()));
  }
  return out;
}

/// Categories of each categorical parameter that the config did not list, in first-seen order.
void complete_choices(std::vector<ParameterInfo>& parameters,
                      const std::vector<TrialEntry>& trials) {
  for (ParameterInfo& p : parameters) {
    for (const TrialEntry& t : trials) {
      const auto it = t.params.find(p.name);
      if (it == t.params.end()) continue;
      if (it->is_string()) p.categorical = true;
      if (!p.categorical) continue;
      const std::string label = it->is_string() ? it->get<std::string>() : it->dump();
      if (std::find(p.choices.begin(), p.choices.end(), label) == p.choices.end())
        p.choices.push_back(label);
    }
  }
}

}  // namespace

const char* to_string(TrialState state) {
  switch (state) {
    case TrialState::kOk:
      return "ok";
    case TrialState::kFailed:
      return "failed";
    case TrialState::kError:
      return "error";
    case TrialState::kApproximated:
      return "approximated";
    case TrialState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string run_label(const std::string& run_dir) {
  fs::path path = fs::absolute(run_dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  return path.filename().string();
}

bool TrialEntry::is_final_evaluation() const {
  if (retried || recheck_of) return false;
  return state == TrialState::kOk || state == TrialState::kFailed || state == TrialState::kError;
}

JournalContents parse_journal(std::istream& in, const std::string& path) {
  JournalContents contents;
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json line = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded() || !line.is_object()) {
      ++contents.skipped_lines;
      continue;
    }
    switch (line_type(line)) {
      case JournalLineType::kTrial:
        try {
          contents.trials.push_back(trial_from(decode_trial_line(line, path, number)));
        } catch (const ConfigError&) {
          ++contents.skipped_lines;
        }
        break;
      case JournalLineType::kCampaign:
        if (!contents.header) {
          contents.header = std::move(line);
          contents.header_line = number;
        }
        break;
      case JournalLineType::kResume:
        ++contents.resumes;
        try {
          contents.last_resume = decode_resume_line(line, path, number);
        } catch (const ConfigError&) {
          // Counted; its budget unknown.
        }
        break;
      default:
        break;
    }
  }
  return contents;
}

RunData read_run(const std::string& run_dir) {
  const fs::path dir(run_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw ReportError("no run directory " + run_dir);
  const fs::path journal_path = dir / "journal.jsonl";
  std::ifstream journal(journal_path);
  if (!fs::is_regular_file(journal_path, ec) || !journal) {
    throw ReportError(run_dir + " has no journal.jsonl (is it a lorahpo run directory?)");
  }
  JournalContents contents = parse_journal(journal, journal_path.string());
  std::optional<CampaignHeader> header;
  if (contents.header) {
    // A journal of another format is refused with the very line --resume prints.
    try {
      header = decode_campaign_line(*contents.header, journal_path.string(), contents.header_line);
      check_format(*header, journal_path.string(), contents.header_line);
    } catch (const ConfigError& e) {
      throw ReportError(e.what());
    }
  }
  if (contents.trials.empty()) throw ReportError(journal_path.string() + " holds no trial record");

  RunData run;
  run.dir = run_dir;
  run.trials = std::move(contents.trials);
  run.skipped_lines = contents.skipped_lines;
  run.resumes = contents.resumes;

  // Metadata: config.yaml, overridden by summary.json, overridden by the journal's header.
  const auto config = load_yaml(dir / "config.yaml");
  if (config) run.metadata = metadata_from_config(*config);
  if (std::ifstream summary(dir / "summary.json"); summary) {
    const Json parsed = Json::parse(summary, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) {
      merge(run.metadata, parsed);
      if (const auto it = parsed.find("recommended"); it != parsed.end() && it->is_object()) {
        run.recommended = *it;
      }
    }
  }
  if (contents.header) merge(run.metadata, *contents.header);
  if (contents.last_resume) {
    run.metadata.budget = contents.last_resume->budget;
    if (contents.last_resume->workers > 0) run.metadata.workers = contents.last_resume->workers;
  }
  if (run.metadata.name.empty()) run.metadata.name = run_label(run_dir);

  if (header)
    run.parameters = parameters_from_header(*header, journal_path.string(), contents.header_line);
  // Only journals older than identity.space (all of format 1) lack it: config.yaml, the run's
  // byte copy of the config, then says what the space was.
  if (run.parameters.empty() && config) run.parameters = parameters_from_config(*config);
  if (run.parameters.empty()) run.parameters = parameters_from_trials(run.trials);
  complete_choices(run.parameters, run.trials);
  return run;
}

}  // namespace lorahpo::report
