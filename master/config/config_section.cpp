#include "master/config/config_section.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/config_error.h"
#include "common/placeholder_template.h"
#include "worker/command_evaluator.h"

namespace lorahpo {

ConfigSection::ConfigSection(std::string file, YAML::Node node, std::string key,
                             std::string config_dir)
    : file_(std::move(file)),
      node_(std::move(node)),
      key_(std::move(key)),
      config_dir_(std::move(config_dir)) {}

std::string ConfigSection::key_of(const std::string& name) const {
  return key_.empty() ? name : key_ + "." + name;
}

void ConfigSection::fail(const YAML::Node& at, const std::string& full_key,
                         const std::string& message) const {
  throw ConfigError(file_, line_of(at), one_line(full_key, 200), one_line(message, 400));
}

void ConfigSection::fail_at(const std::string& name, const std::string& message) const {
  const YAML::Node value = node_[name];
  fail(value.IsDefined() ? value : node_, key_of(name), message);
}

std::string ConfigSection::key_name(const YAML::Node& key_node,
                                    const std::string& parent_key) const {
  if (!key_node.IsScalar()) {
    fail(key_node, parent_key, "has a key that is not a plain name (a list, a mapping or null)");
  }
  return key_node.as<std::string>();
}

void ConfigSection::allow_only(const std::set<std::string>& allowed) const {
  if (!node_.IsMap()) fail(node_, key_, "must be a mapping");
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    const std::string name = key_name(entry.first, key_);
    const std::string path = key_of(name);
    if (!seen.insert(name).second) fail(entry.first, path, "is given twice");
    if (!allowed.empty() && !allowed.count(name)) {
      fail(entry.first, path,
           "is not a known key (expected one of: " +
               join_names(std::vector<std::string>(allowed.begin(), allowed.end())) + ")");
    }
  }
}

ConfigSection ConfigSection::child(const std::string& name) const {
  return ConfigSection(file_, node_[name], key_of(name), config_dir_);
}

YAML::Node ConfigSection::required(const std::string& name) const {
  const YAML::Node value = node_[name];
  if (!value.IsDefined() || value.IsNull()) fail(node_, key_of(name), "is required");
  return value;
}

std::string ConfigSection::text(const YAML::Node& node, const std::string& full_key) const {
  if (!node.IsScalar()) fail(node, full_key, "must be a string");
  std::string value = node.as<std::string>();
  if (value.find('\0') != std::string::npos) fail(node, full_key, "contains a NUL character");
  return value;
}

double ConfigSection::number(const YAML::Node& node, const std::string& full_key) const {
  if (!node.IsScalar()) fail(node, full_key, "must be a number");
  double value = 0.0;
  if (!YAML::convert<double>::decode(node, value) || !std::isfinite(value)) {
    fail(node, full_key, "must be a finite number, got '" + node.as<std::string>() + "'");
  }
  return value;
}

long long ConfigSection::integer(const YAML::Node& node, const std::string& full_key) const {
  if (!node.IsScalar()) fail(node, full_key, "must be an integer");
  long long value = 0;
  if (!YAML::convert<long long>::decode(node, value)) {
    fail(node, full_key, "must be an integer, got '" + node.as<std::string>() + "'");
  }
  return value;
}

bool ConfigSection::boolean(const YAML::Node& node, const std::string& full_key) const {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
    fail(node, full_key, "must be true or false");
  return value;
}

void ConfigSection::read_text(const std::string& name, std::string* out) const {
  if (has(name)) *out = text(node_[name], key_of(name));
}

void ConfigSection::read_boolean(const std::string& name, bool* out) const {
  if (has(name)) *out = boolean(node_[name], key_of(name));
}

void ConfigSection::read_integer(const std::string& name, long long* out,
                                 const IntegerRange& range) const {
  if (!has(name)) return;
  const long long value = integer(node_[name], key_of(name));
  if (!range.contains(value))
    fail(node_[name], key_of(name), fmt::format("{}, got {}", range.rule(), value));
  *out = value;
}

void ConfigSection::read_integer(const std::string& name, int* out,
                                 const IntegerRange& range) const {
  long long value = *out;
  read_integer(name, &value, range);
  *out = static_cast<int>(value);  // within range, which lies within int
}

void ConfigSection::read_number(const std::string& name, double* out,
                                const NumberRange& range) const {
  if (!has(name)) return;
  const double value = number(node_[name], key_of(name));
  if (!range.contains(value))
    fail(node_[name], key_of(name), fmt::format("{}, got {:g}", range.rule(), value));
  *out = value;
}

void ConfigSection::read_choice(const std::string& name, std::string* out,
                                const std::vector<std::string>& choices) const {
  if (!has(name)) return;
  const std::string value = text(node_[name], key_of(name));
  if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
    fail(node_[name], key_of(name),
         "must be one of " + join_names(choices) + ", got '" + value + "'");
  }
  *out = value;
}

void ConfigSection::read_timeout(const std::string& name, double* out) const {
  if (!has(name)) return;
  const double value = number(node_[name], key_of(name));
  if (value <= 0 || value > kMaxTimeoutSeconds) {
    fail(node_[name], key_of(name),
         fmt::format("must be > 0 seconds and at most {} (30 days)", kMaxTimeoutSeconds));
  }
  *out = value;
}

void ConfigSection::read_text_list(const std::string& name, std::vector<std::string>* out,
                                   bool non_empty) const {
  if (!has(name)) return;
  const YAML::Node list = node_[name];
  if (!list.IsSequence() || (non_empty && list.size() == 0)) {
    fail(list, key_of(name), non_empty ? "must be a non-empty list" : "must be a list");
  }
  out->clear();
  for (std::size_t i = 0; i < list.size(); ++i) {
    out->push_back(text(list[i], fmt::format("{}[{}]", key_of(name), i)));
  }
}

void ConfigSection::read_env(const std::string& name, std::map<std::string, std::string>* out,
                             const SearchSpace& space) const {
  if (!has(name)) return;
  const ConfigSection env = child(name);
  env.allow_only({});
  for (const auto& entry : env.node()) {
    const std::string variable = key_name(entry.first, env.key());
    const std::string full_key = env.key_of(variable);
    if (!is_identifier(variable)) fail(entry.first, full_key, "is not a valid variable name");
    const std::string value = text(entry.second, full_key);
    check_template(entry.second, full_key, value, space);
    (*out)[variable] = value;
  }
}

void ConfigSection::check_template(const YAML::Node& at, const std::string& full_key,
                                   const std::string& text, const SearchSpace& space) const {
  std::vector<std::string> names;
  try {
    names = placeholder_names(text);
  } catch (const std::invalid_argument& e) {
    fail(at, full_key, e.what());
  }
  for (const auto& name : names) {
    bool known = space.index_of(name) >= 0;
    for (const auto& reserved : trial_placeholders()) known = known || name == reserved;
    if (!known) {
      fail(at, full_key,
           "names {" + name +
               "}, which is neither a search_space parameter nor one of "
               "{trial_dir}, {trial_id}, {config_dir}");
    }
  }
}

std::string ConfigSection::expand_config_dir(const YAML::Node& at, const std::string& full_key,
                                             const std::string& text) const {
  try {
    return expand_placeholders(text, [&](const std::string& name) -> std::optional<std::string> {
      if (name == "config_dir") return config_dir_;
      return std::nullopt;
    });
  } catch (const std::invalid_argument& e) {
    fail(at, full_key, e.what());
  }
}

int ConfigSection::line_of(const YAML::Node& node) {
  return node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
}

std::string ConfigSection::one_line(const std::string& text, std::size_t limit) {
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

bool is_identifier(const std::string& name) {
  static const std::regex kIdentifier("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(name, kIdentifier);
}

bool executable_exists(const std::string& program) {
  const auto is_executable_file = [](const std::string& path) {
    struct stat info {};
    return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return is_executable_file(program);
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    if (is_executable_file(dir + "/" + program)) return true;
  }
  return false;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace lorahpo
