#include "master/config/yaml_json.h"

#include <fmt/format.h>

namespace lorahpo {
namespace {

/// `budget` counts the values still allowed (aliases expand: an alias bomb must not hang us).
nlohmann::json to_json(const ConfigSection& s, const YAML::Node& node, const YAML::Node& section,
                       const std::string& key, std::size_t* budget) {
  if (*budget == 0) {
    s.fail(section, key,
           fmt::format("is too large: more than {} values once YAML aliases are expanded",
                       kMaxSectionValues));
  }
  --*budget;
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node)
      object[s.key_name(entry.first, key)] = to_json(s, entry.second, section, key, budget);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(to_json(s, item, section, key, budget));
    return array;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string text = node.as<std::string>();
  if (node.Tag() == "!") return text;  // quoted: a string whatever it looks like
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  if (text == "null" || text == "~") return nullptr;
  long long integer = 0;
  if (YAML::convert<long long>::decode(node, integer)) return integer;
  double number = 0.0;
  if (YAML::convert<double>::decode(node, number)) return number;
  return text;
}

}  // namespace

nlohmann::json section_to_json(const ConfigSection& section, const std::string& name) {
  std::size_t budget = kMaxSectionValues;
  const YAML::Node node = section[name];
  return to_json(section, node, node, section.key_of(name), &budget);
}

}  // namespace lorahpo
