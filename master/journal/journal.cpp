#include "master/journal/journal.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "master/journal/journal_codec.h"

namespace lorahpo {
namespace {

std::FILE* open_append(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (!file) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  return file;
}

void write_durably(std::FILE* file, const std::string& text, const char* what) {
  if (std::fwrite(text.data(), 1, text.size(), file) != text.size() || std::fflush(file) != 0 ||
      fdatasync(fileno(file)) != 0) {
    throw std::runtime_error(std::string("cannot write ") + what + ": " + std::strerror(errno));
  }
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

Journal::Journal(const std::string& run_dir, SearchSpace space) : space_(std::move(space)) {
  journal_ = open_append(run_dir + "/journal.jsonl");
  const std::string csv_path = run_dir + "/results.csv";
  const bool fresh = access(csv_path.c_str(), F_OK) != 0;
  csv_ = open_append(csv_path);
  if (fresh) write_durably(csv_, csv_header() + "\n", "results.csv");
}

Journal::~Journal() {
  if (journal_) std::fclose(journal_);
  if (csv_) std::fclose(csv_);
}

void Journal::append(const TrialRecord& record) {
  write_durably(journal_, to_json_line(record) + "\n", "journal.jsonl");
  write_durably(csv_, to_csv_row(record) + "\n", "results.csv");
}

void Journal::append_csv(const TrialRecord& record) {
  write_durably(csv_, to_csv_row(record) + "\n", "results.csv");
}

void Journal::append_event(const nlohmann::ordered_json& event) {
  write_durably(journal_, dump_line(event) + "\n", "journal.jsonl");
}

std::string Journal::to_json_line(const TrialRecord& record) const {
  return dump_line(trial_line(record, space_));
}

std::string Journal::csv_header() const {
  std::string header = "id,status,score,reason,worker,host,start,end,duration,recheck_of";
  for (const auto& p : space_.parameters()) header += "," + csv_field(p.name);
  for (const auto& p : space_.parameters()) header += "," + csv_field("unit_" + p.name);
  return header;
}

std::string Journal::to_csv_row(const TrialRecord& record) const {
  std::string row =
      fmt::format("{},{},{},{},{},{},{},{},{},{}", record.id, to_string(record.status),
                  record.score ? fmt::format("{}", *record.score) : "", csv_field(record.reason),
                  record.worker, csv_field(record.host), iso8601_utc(record.start_unix),
                  iso8601_utc(record.end_unix), record.end_unix - record.start_unix,
                  record.recheck_of ? std::to_string(*record.recheck_of) : "");
  for (const auto& value : record.params) row += "," + csv_field(format_value(value));
  for (double u : record.unit) row += fmt::format(",{}", u);
  return row;
}

}  // namespace lorahpo
