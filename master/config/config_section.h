#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/option_visitor.h"
#include "common/search_space.h"

namespace lorahpo {

/// Longest evaluation timeout: 30 days (a clock deadline must stay representable).
inline constexpr double kMaxTimeoutSeconds = 30.0 * 86400.0;

/// One mapping of a campaign file (the root, `objective`, `optimizer`, ...), with the file name and
/// the full key path kept for messages. Every typed read checks the value and throws ConfigError
/// naming file:line and the full key (`test.yaml:7: optimizer.k must be in [2, 16], got 1`), at
/// the offending value's line, or at the mapping's line when a required key is missing. The
/// `read_*` members leave `*out` as it is (the default) when the key is absent.
class ConfigSection {
 public:
  ConfigSection(std::string file, YAML::Node node, std::string key, std::string config_dir = ".");

  const YAML::Node& node() const { return node_; }
  const std::string& key() const { return key_; }
  const std::string& file() const { return file_; }
  const std::string& config_dir() const { return config_dir_; }
  /// The full key of `name` in this section: `objective` + `timeout` -> `objective.timeout`.
  std::string key_of(const std::string& name) const;
  bool has(const std::string& name) const { return node_[name].IsDefined(); }
  YAML::Node operator[](const std::string& name) const { return node_[name]; }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& full_key,
                         const std::string& message) const;
  /// Fails at the value of `name` when given, else at this section.
  [[noreturn]] void fail_at(const std::string& name, const std::string& message) const;

  /// This section must be a mapping with plain-scalar keys, each given once and each in `allowed`
  /// (an empty set allows any name).
  void allow_only(const std::set<std::string>& allowed) const;
  /// The mapping under `name` as a section (not checked: call allow_only on it).
  ConfigSection child(const std::string& name) const;
  /// The value of `name`; fails "is required" when absent or null.
  YAML::Node required(const std::string& name) const;
  /// The name of a mapping key of `node` (full key `parent_key`): a plain scalar.
  std::string key_name(const YAML::Node& key_node, const std::string& parent_key) const;

  // Scalars of any node, checked (the key is the full key for messages).
  std::string text(const YAML::Node& node, const std::string& full_key) const;
  double number(const YAML::Node& node, const std::string& full_key) const;
  long long integer(const YAML::Node& node, const std::string& full_key) const;
  bool boolean(const YAML::Node& node, const std::string& full_key) const;

  void read_text(const std::string& name, std::string* out) const;
  void read_boolean(const std::string& name, bool* out) const;
  /// An integer in range.low..range.high: "must be in [low, high]<note>, got v".
  void read_integer(const std::string& name, int* out, const IntegerRange& range) const;
  void read_integer(const std::string& name, long long* out, const IntegerRange& range) const;
  /// A finite number inside `range` (open or closed ends): "must be in (low, high]<note>".
  void read_number(const std::string& name, double* out, const NumberRange& range) const;
  /// One of `choices`: "must be one of a, b, c, got 'x'".
  void read_choice(const std::string& name, std::string* out,
                   const std::vector<std::string>& choices) const;
  /// A duration in seconds, > 0 and at most kMaxTimeoutSeconds (evaluation timeouts).
  void read_timeout(const std::string& name, double* out) const;
  /// A list of strings, non-empty when `non_empty`.
  void read_text_list(const std::string& name, std::vector<std::string>* out, bool non_empty) const;
  /// `name: {VAR: value}`: variable names are identifiers, values are text templates checked
  /// against `space` (see check_template); the result is added to `*out`.
  void read_env(const std::string& name, std::map<std::string, std::string>* out,
                const SearchSpace& space) const;

  /// `text` (the value at `at`, full key `full_key`) may only name {trial_dir}, {trial_id},
  /// {config_dir} and the parameters of `space`; braces must be balanced.
  void check_template(const YAML::Node& at, const std::string& full_key, const std::string& text,
                      const SearchSpace& space) const;
  /// `text` with {config_dir} replaced by the campaign file's directory. Any other placeholder
  /// fails: such a path is used as it is, not per trial.
  std::string expand_config_dir(const YAML::Node& at, const std::string& full_key,
                                const std::string& text) const;

  /// 1-based line of `node` (0 when unknown).
  static int line_of(const YAML::Node& node);
  /// `text` on one line (control characters escaped, as in C) and at most `limit` characters:
  /// a message must stay one readable line whatever the file holds.
  static std::string one_line(const std::string& text, std::size_t limit);

 private:
  std::string file_;
  YAML::Node node_;
  std::string key_;
  std::string config_dir_;
};

/// Letters, digits and _, not starting with a digit (parameter and variable names).
bool is_identifier(const std::string& name);

/// True if an executable of that name is in PATH or at that path.
bool executable_exists(const std::string& program);

/// "a, b, c".
std::string join_names(const std::vector<std::string>& names);

}  // namespace lorahpo
