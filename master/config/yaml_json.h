#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "master/config/config_section.h"

namespace lorahpo {

/// Most values a section converted to JSON may hold once YAML aliases are expanded (an alias bomb
/// would otherwise expand to billions).
inline constexpr std::size_t kMaxSectionValues = 100000;

/// The mapping `name` of `section` as JSON, scalars typed as YAML 1.2 reads them (bool, integer,
/// float, string; a quoted scalar stays a string). Fails when it holds more than
/// kMaxSectionValues values.
nlohmann::json section_to_json(const ConfigSection& section, const std::string& name);

}  // namespace lorahpo
