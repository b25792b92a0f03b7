#include "worker/score_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <streambuf>

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

/// A read-only stream buffer over JSON as Python's json.dumps writes it, with the bare NaN,
/// Infinity and -Infinity tokens outside strings turned into null on the fly (a few bytes of
/// look-ahead, whatever the size of the file).
class PythonJsonFilter final : public std::streambuf {
 public:
  explicit PythonJsonFilter(std::streambuf* source) : source_(source) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    out_.clear();
    while (out_.size() < kChunk && !source_done_) {
      const int_type c = source_->sbumpc();
      if (traits_type::eq_int_type(c, traits_type::eof())) {
        out_ += pending_;  // an unfinished keyword: the parser reports it
        pending_.clear();
        source_done_ = true;
        break;
      }
      feed(traits_type::to_char_type(c));
    }
    if (out_.empty()) return traits_type::eof();
    setg(&out_[0], &out_[0], &out_[0] + out_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  static constexpr std::size_t kChunk = 1u << 16;

  static bool starts_keyword(const std::string& text, bool* whole) {
    for (const char* keyword : {"NaN", "Infinity", "-Infinity"}) {
      if (std::string(keyword).compare(0, text.size(), text) == 0) {
        *whole = text.size() == std::char_traits<char>::length(keyword);
        return true;
      }
    }
    return false;
  }

  void feed(char c) {
    if (in_string_) {
      out_.push_back(c);
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      return;
    }
    if (pending_.empty() && c != 'N' && c != 'I' && c != '-') {
      out_.push_back(c);
      if (c == '"') in_string_ = true;
      return;
    }
    pending_.push_back(c);
    bool whole = false;
    if (starts_keyword(pending_, &whole)) {
      if (whole) {
        out_ += "null";
        pending_.clear();
      }
      return;
    }
    // Not a keyword after all ("-1.5"): pass the held characters on, look at the last again.
    pending_.pop_back();
    out_ += pending_;
    pending_.clear();
    feed(c);
  }

  std::streambuf* source_;
  std::string out_;
  std::string pending_;
  bool in_string_ = false;
  bool escaped_ = false;
  bool source_done_ = false;
};

}  // namespace

nlohmann::json parse_python_json(const std::string& text) {
  std::istringstream raw(text);
  PythonJsonFilter filter(raw.rdbuf());
  std::istream in(&filter);
  return nlohmann::json::parse(in);
}

JsonFileReading read_python_json_file(const std::string& path,
                                      const std::vector<std::string>& skip_keys) {
  JsonFileReading reading;
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    reading.reason = "result file " + path + " was not written";
    return reading;
  }
  if (!S_ISREG(info.st_mode)) {
    reading.reason = "result file " + path + " is not a regular file";
    return reading;
  }
  if (static_cast<std::uintmax_t>(info.st_size) > kMaxResultBytes) {
    reading.reason = "result file " + path + " is too large (" + std::to_string(info.st_size) +
                     " bytes, at most " + std::to_string(kMaxResultBytes) +
                     " are read): not an lm_eval result";
    return reading;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    reading.reason = "result file " + path + " cannot be opened";
    return reading;
  }
  PythonJsonFilter filter(file.rdbuf());
  std::istream in(&filter);
  // nlohmann's parser callback: returning false for a key drops its value, and the values
  // inside a dropped container are built one at a time and discarded, never stored.
  const nlohmann::json::parser_callback_t skip =
      [&skip_keys](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event != nlohmann::json::parse_event_t::key || depth != 1 || !parsed.is_string())
          return true;
        const auto& key = parsed.get_ref<const std::string&>();
        return std::find(skip_keys.begin(), skip_keys.end(), key) == skip_keys.end();
      };
  try {
    reading.document = nlohmann::json::parse(in, skip);
  } catch (const nlohmann::json::exception& e) {
    reading.reason = "result file " + path + " is not valid JSON: " + shorten(e.what());
    return reading;
  }
  reading.ok = true;
  return reading;
}

ScoreReading read_score_from_json_file(const std::string& path, const std::string& pointer) {
  std::vector<std::string> skip;
  if (pointer.rfind("/samples", 0) != 0) skip.push_back("samples");
  JsonFileReading file = read_python_json_file(path, skip);
  if (!file.ok) return failure(file.reason);
  ScoreReading reading;
  reading.document = std::move(file.document);
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
  if (!found) {
    ScoreReading missing = failure("result file " + path + " has no value at " + pointer);
    missing.document = std::move(reading.document);
    return missing;
  }
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
