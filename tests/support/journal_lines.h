#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lorahpo::testing_support {

/// Every line of run_dir/journal.jsonl, parsed, in order. Header-only: the end-to-end tests link
/// no lorahpo library.
inline std::vector<nlohmann::json> journal_lines(const std::filesystem::path& run_dir) {
  std::vector<nlohmann::json> lines;
  std::ifstream file(run_dir / "journal.jsonl");
  for (std::string line; std::getline(file, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

/// The evaluation lines of run_dir/journal.jsonl, in order (campaign events, the lines with an
/// "event" key, left out).
inline std::vector<nlohmann::json> journal_evaluations(const std::filesystem::path& run_dir) {
  std::vector<nlohmann::json> lines;
  for (auto& value : journal_lines(run_dir)) {
    if (!value.contains("event")) lines.push_back(std::move(value));
  }
  return lines;
}

}  // namespace lorahpo::testing_support
