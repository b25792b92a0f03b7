// Journals written by earlier lorahpo releases still read with today's codec, after Optuna's
// tests/storages_tests/journal_tests/test_log_compatibility.py (a log of an older release,
// checked in, replayed): tests/fixtures/journal/ holds them, one directory per kind.

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "master/journal/journal_codec.h"
#include "master/journal/journal_reader.h"

namespace lorahpo {
namespace {

using Json = nlohmann::ordered_json;

const std::string kFormat1 = std::string(LORAHPO_SOURCE_DIR) +
                             "/tests/fixtures/journal/format1_command_resumed/journal.jsonl";

/// The fixture's lines as written, in their key order.
std::vector<Json> raw_lines(const std::string& path) {
  std::vector<Json> lines;
  std::ifstream file(path);
  for (std::string text; std::getline(file, text);) lines.push_back(Json::parse(text));
  return lines;
}

TEST(JournalCompat, Format1ReadsAsItWasWritten) {
  const JournalContents contents = read_journal(kFormat1);
  EXPECT_FALSE(contents.torn_tail);
  ASSERT_EQ(contents.lines.size(), 41u);
  const std::vector<Json> raw = raw_lines(kFormat1);
  ASSERT_EQ(raw.size(), contents.lines.size());

  // The header is the first line, of format 1 although it has no "format" key.
  ASSERT_EQ(line_type(raw[0]), JournalLineType::kCampaign);
  EXPECT_FALSE(raw[0].contains("format"));
  const CampaignHeader header = decode_campaign_line(raw[0], kFormat1, 1);
  EXPECT_EQ(header.format, 1);
  EXPECT_NO_THROW(check_format(header, kFormat1, 1));
  EXPECT_EQ(header.name, "command_e2e");
  EXPECT_EQ(header.budget, 20);
  EXPECT_EQ(header.optimizer_budget, 20);
  EXPECT_EQ(header.workers, 2);
  const auto parameters = decode_space(header, kFormat1, 1);
  ASSERT_TRUE(parameters);
  ASSERT_EQ(parameters->size(), 3u);
  EXPECT_EQ((*parameters)[0].transform, Transform::kPow10);
  EXPECT_EQ((*parameters)[1].type, ParamType::kInt);
  EXPECT_EQ((*parameters)[2].choices,
            (std::vector<std::string>{"ok", "exit1", "hang", "nofile", "nokey"}));
  const SearchSpace space(*parameters);

  std::map<JournalLineType, int> count;
  std::map<TrialStatus, int> statuses;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const Json& line = raw[i];
    const int number = static_cast<int>(i) + 1;
    const JournalLineType type = line_type(line);
    ++count[type];
    // Every line decodes, and today's builders write it again as it was (times of trials to
    // the millisecond they were written with; the header gains only "format" and "lorahpo").
    switch (type) {
      case JournalLineType::kTrial: {
        const TrialRecord record = trial_from_line(contents.lines[i], space, kFormat1);
        ++statuses[record.status];
        Json again = trial_line(record, space);
        Json written = line;
        again.erase("duration");  // end - start of the unrounded times
        written.erase("duration");
        EXPECT_EQ(nlohmann::json(again), nlohmann::json(written)) << "line " << number;
        break;
      }
      case JournalLineType::kCampaign: {
        ASSERT_EQ(number, 1) << "a second header";
        Json again = campaign_line(header);
        again.erase("format");
        again.erase("lorahpo");
        EXPECT_EQ(dump_line(again), dump_line(line));
        break;
      }
      case JournalLineType::kAsk: {
        std::vector<AskedTrial> asked;
        for (const auto& t : line.at("trials")) {
          asked.push_back(
              AskedTrial{t.at("id").get<std::int64_t>(), t.at("unit").get<std::vector<double>>()});
        }
        EXPECT_EQ(dump_line(ask_line(line.at("n").get<int>(), asked)), dump_line(line))
            << "line " << number;
        break;
      }
      case JournalLineType::kResume: {
        const ResumeEvent event = decode_resume_line(line, kFormat1, number);
        EXPECT_EQ(event.budget, 20);
        EXPECT_EQ(dump_line(resume_line(event)), dump_line(line));
        break;
      }
      case JournalLineType::kStop:
        EXPECT_EQ(line.at("signal"), "SIGUSR2");
        break;
      case JournalLineType::kWorkerLost:
      case JournalLineType::kRecheck:
      case JournalLineType::kUnknown:
        ADD_FAILURE() << "line " << number << ": " << line.dump();
        break;
    }
  }
  EXPECT_EQ(count[JournalLineType::kCampaign], 1);
  EXPECT_EQ(count[JournalLineType::kResume], 1);
  EXPECT_EQ(count[JournalLineType::kStop], 1);
  EXPECT_EQ(count[JournalLineType::kAsk], 18);
  EXPECT_EQ(count[JournalLineType::kTrial], 20);
  EXPECT_EQ(statuses[TrialStatus::kOk], 2);
  EXPECT_EQ(statuses[TrialStatus::kFailed], 18);
}

}  // namespace
}  // namespace lorahpo
