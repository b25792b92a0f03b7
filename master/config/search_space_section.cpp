#include "master/config/search_space_section.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "common/placeholder_template.h"
#include "worker/command_evaluator.h"
#include "worker/litgpt_keys.h"

namespace lorahpo {
namespace {

ParamType read_type(const ConfigSection& s) {
  const std::string type = s.text(s.required("type"), s.key_of("type"));
  if (type == "float") return ParamType::kFloat;
  if (type == "int") return ParamType::kInt;
  if (type == "categorical" || type == "bool") return ParamType::kCategorical;
  s.fail(s["type"], s.key_of("type"),
         "must be float, int or categorical, or bool, got '" + type + "'");
}

/// `type: bool` is a categorical over the labels false and true (YAML's spelling): every
/// optimizer already handles a 2-choice categorical (equal bins in the cube, one-hot in BO-GP),
/// and the journal and the messages carry it unchanged. The litgpt objective writes the label as
/// a YAML boolean where LitGPT takes a bool (worker/litgpt_keys.h).
void read_bool(const ConfigSection& s, Parameter* p) {
  for (const char* k : {"low", "high", "transform", "choices"}) {
    if (s.has(k)) {
      s.fail(s[k], s.key_of(k),
             "does not apply to a bool (its values are false and true): leave it out");
    }
  }
  p->choices = {"false", "true"};
}

void read_choices(const ConfigSection& s, Parameter* p) {
  for (const char* k : {"low", "high", "transform"}) {
    if (s.has(k)) s.fail(s[k], s.key_of(k), "does not apply to a categorical");
  }
  const YAML::Node choices = s.required("choices");
  if (!choices.IsSequence() || choices.size() == 0)
    s.fail(choices, s.key_of("choices"), "must be a non-empty list");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const std::string key = fmt::format("{}[{}]", s.key_of("choices"), i);
    const std::string label = s.text(choices[i], key);
    if (!seen.insert(label).second) s.fail(choices[i], key, "repeats '" + label + "'");
    p->choices.push_back(label);
  }
}

void read_bounds(const ConfigSection& s, Parameter* p) {
  if (s.has("choices")) s.fail(s["choices"], s.key_of("choices"), "applies to categoricals only");
  p->low = s.number(s.required("low"), s.key_of("low"));
  p->high = s.number(s.required("high"), s.key_of("high"));
  const std::string low = s["low"].as<std::string>(), high = s["high"].as<std::string>();
  if (!(p->low < p->high))
    s.fail(s["low"], s.key_of("low"), fmt::format("({}) must be < high ({})", low, high));
  if (!std::isfinite(p->high - p->low)) {
    s.fail(s["high"], s.key_of("high"),
           fmt::format("({}) is too far from low ({}): high - low overflows a double", high, low));
  }
}

void read_transform(const ConfigSection& s, Parameter* p) {
  if (!s.has("transform")) return;
  const YAML::Node t = s["transform"];
  const std::string transform = s.text(t, s.key_of("transform"));
  if (transform == "pow10") {
    p->transform = Transform::kPow10;
  } else if (transform != "none") {
    s.fail(t, s.key_of("transform"), "must be none or pow10, got '" + transform + "'");
  }
  if (p->transform == Transform::kPow10 && p->type == ParamType::kInt) {
    s.fail(t, s.key_of("transform"), "pow10 applies to floats only");
  }
  if (p->transform == Transform::kPow10 && (p->low < -300 || p->high > 300)) {
    s.fail(t, s.key_of("transform"), "pow10 exponents must lie in [-300, 300]");
  }
}

Parameter read_parameter(const ConfigSection& s, const std::string& name) {
  s.allow_only({"type", "low", "high", "transform", "choices"});
  Parameter p;
  p.name = name;
  p.type = read_type(s);
  if (s["type"].as<std::string>() == "bool") {
    read_bool(s, &p);
    return p;
  }
  if (p.type == ParamType::kCategorical) {
    read_choices(s, &p);
    return p;
  }
  read_bounds(s, &p);
  read_transform(s, &p);
  if (p.type == ParamType::kInt) {
    for (const char* k : {"low", "high"}) {
      const double v = k[0] == 'l' ? p.low : p.high;
      if (v != std::round(v) || std::fabs(v) > 1e15) {
        s.fail(s[k], s.key_of(k),
               fmt::format("must be an integer for an int parameter, got {}", v));
      }
    }
  }
  return p;
}

bool is_key_path(const std::string& name) {
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_.[]") != std::string::npos) {
    return false;
  }
  try {
    split_litgpt_path(name);
  } catch (const std::invalid_argument&) {
    return false;
  }
  return true;
}

}  // namespace

SearchSpace read_search_space(const ConfigSection& section, bool key_paths) {
  section.allow_only({});
  if (section.node().size() == 0)
    section.fail(section.node(), section.key(), "is empty: give at least one parameter");
  std::vector<Parameter> parameters;
  for (const auto& entry : section.node()) {
    const std::string name = section.key_name(entry.first, section.key());
    const std::string key = section.key_of(name);
    if (key_paths && !is_key_path(name)) {
      section.fail(entry.first, key,
                   "is not a valid LitGPT key path (names of letters, digits and _, joined by '.', "
                   "list elements as [i])");
    }
    if (!key_paths && !is_identifier(name))
      section.fail(entry.first, key, "is not a valid parameter name (letters, digits and _)");
    for (const auto& reserved : trial_placeholders()) {
      if (name == reserved) section.fail(entry.first, key, "is a reserved name");
    }
    parameters.push_back(read_parameter(section.child(name), name));
  }
  return SearchSpace(std::move(parameters));
}

}  // namespace lorahpo
