#pragma once

#include <string>

namespace lorahpo {

/// The 1-based line of byte `offset` of `text`.
int line_at(const std::string& text, std::size_t offset);

/// Throws ConfigError (naming `file_name` and the line) unless `text` is text: no NUL byte (a
/// binary file) and valid UTF-8 (YAML's encoding, and the journal's: JSON cannot carry other
/// bytes).
void check_text(const std::string& text, const std::string& file_name);

}  // namespace lorahpo
