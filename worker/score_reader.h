#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lorahpo {

/// A score read from a trial's output, or why none could be read.
struct ScoreReading {
  bool ok = false;
  double score = 0.0;
  std::string reason;
  nlohmann::json document;  ///< the parsed result file (null when reading from stdout)
};

/// Largest result file read (2 GiB). lm_eval's results.json holds every document's prompts and
/// responses under `samples` (litgpt eval/evaluate.py calls simple_evaluate without log_samples,
/// whose default is true: lm_eval 0.4.x evaluator.py): about 100 MB for a full HellaSwag + MMLU.
/// Those are streamed past, not held, so only a runaway file is refused.
inline constexpr std::uintmax_t kMaxResultBytes = std::uintmax_t{2} << 30;

/// Parses JSON as Python's json module writes it: bare NaN, Infinity and -Infinity (lm_eval
/// writes them for undefined stderrs) become null instead of failing the whole file.
/// Throws nlohmann::json::parse_error for anything else that is not JSON.
nlohmann::json parse_python_json(const std::string& text);

/// A JSON file parsed without some of its top-level members, or why it could not be.
struct JsonFileReading {
  bool ok = false;
  nlohmann::json document;
  std::string reason;
};

/// Reads the JSON file at `path` as parse_python_json does, streaming: the values of the
/// top-level keys in `skip_keys` are parsed past without being stored, so memory stays bounded by
/// the kept part whatever their size. Not ok when the file is missing, not a regular file, over
/// kMaxResultBytes or not JSON.
JsonFileReading read_python_json_file(const std::string& path,
                                      const std::vector<std::string>& skip_keys);

/// The number at RFC 6901 `pointer` in the JSON file at `path`. Not ok when the file is missing,
/// too large, not JSON, lacks the pointer, or holds there something other than a finite number.
/// A top-level `samples` member (lm_eval's per-document log) is skipped unless the pointer is
/// into it; `document` is the file without it.
ScoreReading read_score_from_json_file(const std::string& path, const std::string& pointer);

/// The last non-empty line of a child's stdout, which must be one finite number.
ScoreReading read_score_from_stdout(const std::string& stdout_path);

}  // namespace lorahpo
