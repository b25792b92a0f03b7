#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace lorahpo {

/// A score read from a trial's output, or why none could be read.
struct ScoreReading {
  bool ok = false;
  double score = 0.0;
  std::string reason;
  nlohmann::json document;  ///< the parsed result file (null when reading from stdout)
};

/// Largest result file read; anything bigger is not an lm_eval result but a mistake.
inline constexpr std::size_t kMaxResultBytes = 64u << 20;

/// Parses JSON as Python's json module writes it: bare NaN, Infinity and -Infinity (lm_eval
/// writes them for undefined stderrs) become null instead of failing the whole file.
/// Throws nlohmann::json::parse_error for anything else that is not JSON.
nlohmann::json parse_python_json(const std::string& text);

/// The number at RFC 6901 `pointer` in the JSON file at `path`. Not ok when the file is missing,
/// too large, not JSON, lacks the pointer, or holds there something other than a finite number.
ScoreReading read_score_from_json_file(const std::string& path, const std::string& pointer);

/// The last non-empty line of a child's stdout, which must be one finite number.
ScoreReading read_score_from_stdout(const std::string& stdout_path);

}  // namespace lorahpo
