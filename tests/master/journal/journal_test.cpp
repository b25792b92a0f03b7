#include "master/journal/journal.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/parameters.h"
#include "tests/support/temp_dir.h"

namespace lorahpo {
namespace {

/// Slack on a duration computed as end - start from doubles.
constexpr double kDurationTol = 1e-9;

class JournalTest : public testing::Test {
 protected:
  static SearchSpace space() {
    return SearchSpace({testing_support::pow10_param("learning_rate", -5.0, -2.0),
                        testing_support::int_param("lora_r", 2, 512),
                        testing_support::categorical_param("optimizer", {"adamw", "sgd"})});
  }

  static TrialRecord record(std::int64_t id, TrialStatus status, std::string reason = "") {
    TrialRecord r;
    r.id = id;
    r.status = status;
    if (status == TrialStatus::kOk) r.score = 0.5 + static_cast<double>(id) / 100.0;
    r.reason = std::move(reason);
    r.params = {3e-4, std::int64_t{16}, std::string("sgd")};
    r.unit = space().to_unit(r.params);
    r.worker = 2;
    r.host = "node-1";
    r.start_unix = 1764188283.25;
    r.end_unix = 1764188290.5;
    r.metrics = {{"noiseless", 1.25}};
    return r;
  }

  std::vector<std::string> lines(const std::string& file) const {
    std::ifstream in(dir_.path() / file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  std::string text(const std::string& file) const {
    std::ifstream in(dir_.path() / file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  testing_support::TempDir dir_{"journal"};  ///< removed at the end of the test
};

/// Splits one RFC 4180 record (no embedded line breaks) into its fields, unquoting.
std::vector<std::string> parse_csv_row(const std::string& row) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const char c = row[i];
    if (quoted) {
      if (c == '"' && i + 1 < row.size() && row[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field in: " << row;
  return fields;
}

TEST_F(JournalTest, EachAppendWritesOneCompleteJsonLine) {
  {
    Journal journal(dir_.path().string(), space());
    journal.append(record(0, TrialStatus::kOk));
    EXPECT_EQ(lines("journal.jsonl").size(), 1u) << "not flushed after the first append";
    journal.append(record(1, TrialStatus::kFailed, "exited with code 1"));
    EXPECT_EQ(lines("journal.jsonl").size(), 2u);
    journal.append(record(2, TrialStatus::kError, "cannot execute"));
    EXPECT_EQ(lines("journal.jsonl").size(), 3u);
  }
  const std::string all = text("journal.jsonl");
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), '\n') << "last line not terminated";

  const auto rows = lines("journal.jsonl");
  const char* const statuses[] = {"ok", "failed", "error"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i]);
    nlohmann::json line;
    ASSERT_NO_THROW(line = nlohmann::json::parse(rows[i]));
    EXPECT_EQ(line.at("id"), static_cast<std::int64_t>(i));
    EXPECT_EQ(line.at("status"), statuses[i]);
    for (const char* key : {"id", "status", "score", "reason", "params", "unit", "worker", "host",
                            "start", "end", "duration", "metrics"}) {
      EXPECT_TRUE(line.contains(key)) << "no " << key;
    }
  }
}

TEST_F(JournalTest, JsonLineFieldsAndTypes) {
  Journal journal(dir_.path().string(), space());
  const TrialRecord ok = record(7, TrialStatus::kOk);
  const auto line = nlohmann::json::parse(journal.to_json_line(ok));

  EXPECT_EQ(line["id"], 7);
  EXPECT_EQ(line["status"], "ok");
  ASSERT_TRUE(line["score"].is_number());
  EXPECT_EQ(line["score"].get<double>(), *ok.score);
  EXPECT_EQ(line["reason"], "");

  const auto& params = line["params"];
  ASSERT_TRUE(params.is_object()) << params.dump();
  EXPECT_TRUE(params["learning_rate"].is_number_float()) << params.dump();
  EXPECT_EQ(params["learning_rate"].get<double>(), 3e-4);
  EXPECT_TRUE(params["lora_r"].is_number_integer()) << "int stored as " << params["lora_r"].dump();
  EXPECT_EQ(params["lora_r"].get<std::int64_t>(), 16);
  EXPECT_TRUE(params["optimizer"].is_string()) << params["optimizer"].dump();
  EXPECT_EQ(params["optimizer"], "sgd");
  // The journal's params parse back into the same user values (what resuming needs).
  EXPECT_EQ(space().from_json(params), ok.params);

  ASSERT_TRUE(line["unit"].is_array());
  EXPECT_EQ(line["unit"].get<std::vector<double>>(), ok.unit);
  EXPECT_EQ(line["worker"], 2);
  EXPECT_EQ(line["host"], "node-1");
  const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(line["start"].get<std::string>(), iso)) << line["start"];
  EXPECT_TRUE(std::regex_match(line["end"].get<std::string>(), iso)) << line["end"];
  EXPECT_EQ(line["start"], iso8601_utc(ok.start_unix));
  EXPECT_EQ(line["end"], iso8601_utc(ok.end_unix));
  EXPECT_NEAR(line["duration"].get<double>(), 7.25, kDurationTol);
  EXPECT_EQ(line["metrics"], (nlohmann::json{{"noiseless", 1.25}}));
}

TEST_F(JournalTest, ScoreIsNullUnlessOk) {
  Journal journal(dir_.path().string(), space());
  for (TrialStatus status : {TrialStatus::kFailed, TrialStatus::kError}) {
    const auto line =
        nlohmann::json::parse(journal.to_json_line(record(1, status, "out of memory")));
    EXPECT_TRUE(line["score"].is_null()) << line.dump();
    EXPECT_EQ(line["status"], to_string(status));
    EXPECT_EQ(line["reason"], "out of memory");
  }
}

TEST_F(JournalTest, CsvHeaderOnceAndOneRowPerAppend) {
  {
    Journal journal(dir_.path().string(), space());
    journal.append(record(0, TrialStatus::kOk));
    journal.append(record(1, TrialStatus::kFailed, "no score"));
  }
  auto rows = lines("results.csv");
  ASSERT_EQ(rows.size(), 3u);
  const std::string header =
      "id,status,score,reason,worker,host,start,end,duration,recheck_of,learning_rate,lora_r,"
      "optimizer,"
      "unit_learning_rate,unit_lora_r,unit_optimizer";
  EXPECT_EQ(rows[0], header);
  const auto columns = parse_csv_row(rows[0]);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto fields = parse_csv_row(rows[i]);
    ASSERT_EQ(fields.size(), columns.size()) << rows[i];
    EXPECT_EQ(fields[0], std::to_string(i - 1));
    EXPECT_EQ(fields[9], "") << "a budget evaluation is no re-check";
    EXPECT_EQ(fields[10], "0.0003");
    EXPECT_EQ(fields[11], "16");
    EXPECT_EQ(fields[12], "sgd");
  }
  EXPECT_EQ(parse_csv_row(rows[1])[1], "ok");
  EXPECT_EQ(parse_csv_row(rows[2])[1], "failed");
  EXPECT_EQ(parse_csv_row(rows[2])[2], "") << "a failed trial has no score";

  // Reopening appends rows without a second header.
  {
    Journal journal(dir_.path().string(), space());
    journal.append(record(2, TrialStatus::kOk));
  }
  rows = lines("results.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3].rfind("2,ok,", 0), 0u) << rows[3];
  int headers = 0;
  for (const auto& row : rows) headers += row == header ? 1 : 0;
  EXPECT_EQ(headers, 1);
  EXPECT_EQ(lines("journal.jsonl").size(), 3u);
}

TEST_F(JournalTest, CsvQuotesReasonsWithCommasAndQuotes) {
  const std::string reason = R"(exited with code 1: KeyError: "acc", see log)";
  {
    Journal journal(dir_.path().string(), space());
    journal.append(record(0, TrialStatus::kFailed, reason));
    journal.append(record(1, TrialStatus::kError, "plain"));
  }
  const auto rows = lines("results.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[1].find(R"("exited with code 1: KeyError: ""acc"", see log")"), std::string::npos)
      << rows[1];
  const auto header = parse_csv_row(rows[0]);
  const auto fields = parse_csv_row(rows[1]);
  ASSERT_EQ(fields.size(), header.size()) << rows[1];
  EXPECT_EQ(fields[3], reason);
  EXPECT_EQ(parse_csv_row(rows[2])[3], "plain");
}

TEST_F(JournalTest, MultiLineReasonIsOneQuotedCsvFieldAndOneJsonLine) {
  const std::string reason = "Traceback:\n  File \"train.py\"\nRuntimeError";
  {
    Journal journal(dir_.path().string(), space());
    journal.append(record(0, TrialStatus::kFailed, reason));
  }
  EXPECT_NE(text("results.csv").find(",\"Traceback:\n  File \"\"train.py\"\"\nRuntimeError\","),
            std::string::npos)
      << text("results.csv");
  const auto json_lines = lines("journal.jsonl");
  ASSERT_EQ(json_lines.size(), 1u) << "the reason's line breaks leaked into the journal";
  EXPECT_EQ(nlohmann::json::parse(json_lines[0])["reason"], reason);
}

TEST_F(JournalTest, CsvUnitColumnsMatchRecord) {
  Journal journal(dir_.path().string(), space());
  const TrialRecord r = record(0, TrialStatus::kOk);
  const auto fields = parse_csv_row(journal.to_csv_row(r));
  ASSERT_EQ(fields.size(), 16u);
  for (std::size_t j = 0; j < r.unit.size(); ++j) {
    EXPECT_EQ(std::stod(fields[13 + j]), r.unit[j])
        << "unit column " << j << ": " << fields[13 + j];
  }
  EXPECT_EQ(std::stod(fields[2]), *r.score);
}

TEST_F(JournalTest, UnwritableDirectoryThrows) {
  EXPECT_THROW(Journal((dir_.path() / "does" / "not" / "exist").string(), space()),
               std::runtime_error);
}

}  // namespace
}  // namespace lorahpo
