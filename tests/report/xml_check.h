#pragma once

// A tiny XML well-formedness check for the report's SVGs (no XML library in the build): tags
// balanced and properly nested, one root, attributes quoted, '<' never in text or attributes,
// every '&' a known entity. Counts the elements by name.

#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace lorahpo::report::testing {

struct XmlCheck {
  bool ok = false;
  std::string error;
  std::map<std::string, int> elements;  ///< element name -> count
};

inline bool valid_entities(const std::string& text) {
  for (std::size_t i = text.find('&'); i != std::string::npos; i = text.find('&', i + 1)) {
    const std::size_t end = text.find(';', i);
    if (end == std::string::npos) return false;
    const std::string name = text.substr(i + 1, end - i - 1);
    if (name != "amp" && name != "lt" && name != "gt" && name != "quot" && name != "apos" &&
        !(name.size() > 1 && name[0] == '#')) {
      return false;
    }
  }
  return true;
}

inline XmlCheck check_xml(const std::string& doc) {
  XmlCheck result;
  std::vector<std::string> stack;
  int roots = 0;
  std::size_t pos = 0;
  const auto fail = [&](const std::string& why) {
    result.error = why + " at offset " + std::to_string(pos);
    return result;
  };
  while (pos < doc.size()) {
    const std::size_t lt = doc.find('<', pos);
    const std::string text =
        doc.substr(pos, lt == std::string::npos ? std::string::npos : lt - pos);
    if (!valid_entities(text)) return fail("bad entity in text");
    if (stack.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos)
      return fail("text outside the root");
    if (lt == std::string::npos) break;
    pos = lt;
    if (doc.compare(pos, 2, "<?") == 0) {
      const std::size_t end = doc.find("?>", pos);
      if (end == std::string::npos) return fail("unterminated <?");
      pos = end + 2;
      continue;
    }
    if (doc.compare(pos, 4, "<!--") == 0) {
      const std::size_t end = doc.find("-->", pos);
      if (end == std::string::npos) return fail("unterminated comment");
      pos = end + 3;
      continue;
    }
    const bool closing = doc.compare(pos, 2, "</") == 0;
    std::size_t i = pos + (closing ? 2 : 1);
    const std::size_t name_start = i;
    while (i < doc.size() && (std::isalnum(static_cast<unsigned char>(doc[i])) || doc[i] == '-' ||
                              doc[i] == ':' || doc[i] == '_'))
      ++i;
    const std::string name = doc.substr(name_start, i - name_start);
    if (name.empty()) return fail("empty tag name");
    if (closing) {
      while (i < doc.size() && std::isspace(static_cast<unsigned char>(doc[i]))) ++i;
      if (i >= doc.size() || doc[i] != '>') return fail("bad closing tag " + name);
      if (stack.empty() || stack.back() != name)
        return fail("</" + name + "> does not close the open element");
      stack.pop_back();
      pos = i + 1;
      continue;
    }
    // Attributes.
    bool self_closing = false;
    while (true) {
      while (i < doc.size() && std::isspace(static_cast<unsigned char>(doc[i]))) ++i;
      if (i >= doc.size()) return fail("unterminated tag " + name);
      if (doc[i] == '>') break;
      if (doc.compare(i, 2, "/>") == 0) {
        self_closing = true;
        ++i;
        break;
      }
      const std::size_t attr_start = i;
      while (i < doc.size() && doc[i] != '=' && !std::isspace(static_cast<unsigned char>(doc[i])) &&
             doc[i] != '>')
        ++i;
      if (i == attr_start || i >= doc.size() || doc[i] != '=')
        return fail("attribute without value in " + name);
      ++i;
      if (i >= doc.size() || (doc[i] != '"' && doc[i] != '\''))
        return fail("unquoted attribute in " + name);
      const char quote = doc[i];
      const std::size_t end = doc.find(quote, i + 1);
      if (end == std::string::npos) return fail("unterminated attribute in " + name);
      const std::string value = doc.substr(i + 1, end - i - 1);
      if (value.find('<') != std::string::npos || !valid_entities(value))
        return fail("bad attribute value in " + name);
      i = end + 1;
    }
    if (stack.empty()) ++roots;
    ++result.elements[name];
    if (!self_closing) stack.push_back(name);
    pos = i + 1;
  }
  if (!stack.empty()) return fail("unclosed <" + stack.back() + ">");
  if (roots != 1) return fail("expected one root element, got " + std::to_string(roots));
  result.ok = true;
  return result;
}

}  // namespace lorahpo::report::testing
