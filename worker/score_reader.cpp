#include "worker/score_reader.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "worker/child_process.h"

namespace lorahpo {
namespace {

ScoreReading failure(std::string reason) {
  ScoreReading reading;
  reading.reason = std::move(reason);
  return reading;
}

std::string shorten(const std::string& text, std::size_t limit = 120) {
  std::string out;
  for (char c : text) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  return out.size() > limit ? out.substr(0, limit) + "..." : out;
}

}  // namespace

nlohmann::json parse_python_json(const std::string& text) {
  std::string cleaned;
  cleaned.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      cleaned.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        cleaned.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      cleaned.push_back(c);
    } else if (text.compare(i, 3, "NaN") == 0) {
      cleaned += "null";
      i += 2;
    } else if (text.compare(i, 9, "-Infinity") == 0) {
      cleaned += "null";
      i += 8;
    } else if (text.compare(i, 8, "Infinity") == 0) {
      cleaned += "null";
      i += 7;
    } else {
      cleaned.push_back(c);
    }
  }
  return nlohmann::json::parse(cleaned);
}

ScoreReading read_score_from_json_file(const std::string& path, const std::string& pointer) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return failure("result file " + path + " was not written");
  if (!S_ISREG(info.st_mode)) return failure("result file " + path + " is not a regular file");
  if (static_cast<std::size_t>(info.st_size) > kMaxResultBytes) {
    return failure("result file " + path + " is too large (" + std::to_string(info.st_size) +
                   " bytes)");
  }
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();

  ScoreReading reading;
  try {
    reading.document = parse_python_json(buffer.str());
  } catch (const nlohmann::json::exception& e) {
    return failure("result file " + path + " is not valid JSON: " + shorten(e.what()));
  }
  nlohmann::json::json_pointer json_pointer;
  try {
    json_pointer = nlohmann::json::json_pointer(pointer);
  } catch (const nlohmann::json::exception& e) {
    return failure("result pointer " + pointer + " is malformed: " + e.what());
  }
  const nlohmann::json* found = nullptr;
  try {
    // contains() itself throws for some malformed paths into arrays ("/scores/"): a json
    // exception, or in nlohmann-json 3.9 (Debian 11) std::invalid_argument from its stoull.
    if (reading.document.contains(json_pointer)) found = &reading.document.at(json_pointer);
  } catch (const std::exception&) {
    found = nullptr;
  }
  if (!found) return failure("result file " + path + " has no value at " + pointer);
  const nlohmann::json& value = *found;
  if (value.is_null()) return failure("score at " + pointer + " is NaN, infinite or null");
  if (!value.is_number()) {
    return failure("score at " + pointer + " is not a number: " + shorten(value.dump()));
  }
  reading.score = value.get<double>();
  if (!std::isfinite(reading.score)) return failure("score at " + pointer + " is not finite");
  reading.ok = true;
  return reading;
}

ScoreReading read_score_from_stdout(const std::string& stdout_path) {
  const std::string line = last_line_of(stdout_path);
  if (line.empty()) return failure("the command printed nothing on stdout");
  const std::size_t begin = line.find_first_not_of(" \t");
  const std::string trimmed = line.substr(begin);
  char* end = nullptr;
  const double score = std::strtod(trimmed.c_str(), &end);
  if (end == trimmed.c_str() || *end != '\0') {
    return failure("last line of stdout is not a number: '" + shorten(trimmed) + "'");
  }
  if (!std::isfinite(score)) return failure("score on stdout is not finite: " + trimmed);
  ScoreReading reading;
  reading.ok = true;
  reading.score = score;
  return reading;
}

}  // namespace lorahpo
