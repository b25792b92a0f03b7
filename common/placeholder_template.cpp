#include "common/placeholder_template.h"

#include <stdexcept>

namespace lorahpo {
namespace {

/// One pass over the template: literal text goes to `literal`, each {name} to `name`.
template <class Literal, class Name>
void scan(std::string_view text, Literal literal, Name name) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal('{');
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal('}');
      ++i;
    } else if (c == '{') {
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {
        throw std::invalid_argument("unclosed '{' in \"" + std::string(text) + "\"");
      }
      const std::string_view inner = text.substr(i + 1, close - i - 1);
      if (inner.empty() || inner.find('{') != std::string_view::npos) {
        throw std::invalid_argument("malformed placeholder in \"" + std::string(text) + "\"");
      }
      name(std::string(inner));
      i = close;
    } else if (c == '}') {
      throw std::invalid_argument("unmatched '}' in \"" + std::string(text) +
                                  "\" (write }} for a literal brace)");
    } else {
      literal(c);
    }
  }
}

}  // namespace

std::vector<std::string> placeholder_names(std::string_view text) {
  std::vector<std::string> names;
  scan(
      text, [](char) {}, [&](std::string name) { names.push_back(std::move(name)); });
  return names;
}

std::string expand_placeholders(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  scan(
      text, [&](char c) { out.push_back(c); },
      [&](const std::string& name) {
        const auto value = lookup(name);
        if (!value) throw std::invalid_argument("unknown placeholder {" + name + "}");
        out += *value;
      });
  return out;
}

}  // namespace lorahpo
