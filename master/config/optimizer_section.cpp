#include "master/config/optimizer_section.h"

#include <algorithm>
#include <set>

namespace lorahpo {
namespace {

/// The names an optimizer's options struct visits.
class OptionNames final : public OptionVisitor {
 public:
  void integer(const char* name, int&, const IntegerRange&, InIdentity) override {
    names.insert(name);
  }
  void number(const char* name, double&, const NumberRange&, InIdentity) override {
    names.insert(name);
  }
  void choice(const char* name, std::size_t&, const std::vector<std::string>&,
              InIdentity) override {
    names.insert(name);
  }

  std::set<std::string> names;
};

/// Sets each option given in the YAML section, checked against its range or choices.
class YamlOptionReader final : public OptionVisitor {
 public:
  explicit YamlOptionReader(const ConfigSection& section) : section_(section) {}

  void integer(const char* name, int& value, const IntegerRange& range, InIdentity) override {
    section_.read_integer(name, &value, range);
  }
  void number(const char* name, double& value, const NumberRange& range, InIdentity) override {
    section_.read_number(name, &value, range);
  }
  void choice(const char* name, std::size_t& index, const std::vector<std::string>& labels,
              InIdentity) override {
    std::string label = labels.at(index);
    section_.read_choice(name, &label, labels);
    index =
        static_cast<std::size_t>(std::find(labels.begin(), labels.end(), label) - labels.begin());
  }

 private:
  const ConfigSection& section_;
};

}  // namespace

OptimizerConfig read_optimizer(const ConfigSection& s) {
  OptimizerConfig config;
  if (!s.node().IsDefined() || s.node().IsNull()) return config;
  s.allow_only({});
  const YAML::Node name = s.required("name");
  const std::string text = s.text(name, s.key_of("name"));
  const auto kind = optimizer_kind(text);
  if (!kind)
    s.fail(name, s.key_of("name"),
           "must be one of " + join_names(optimizer_names()) + ", got '" + text + "'");
  config.kind = *kind;
  // Each optimizer takes its own options; another optimizer's option is a mistake.
  OptionNames names;
  names.names.insert("name");
  OptimizerConfig scratch = config;
  scratch.visit(names);
  s.allow_only(names.names);
  YamlOptionReader reader(s);
  config.visit(reader);
  return config;
}

}  // namespace lorahpo
