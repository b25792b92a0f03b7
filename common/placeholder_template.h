#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lorahpo {

/// Names between braces in a template such as "--lr={learning_rate}"; "{{" and "}}" stand for
/// literal braces. Throws std::invalid_argument on an unclosed or empty brace.
std::vector<std::string> placeholder_names(std::string_view text);

/// Replaces each {name} with lookup(name). Throws std::invalid_argument naming the placeholder
/// when lookup returns nullopt.
std::string expand_placeholders(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

}  // namespace lorahpo
