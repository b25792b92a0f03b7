#include "master/journal/journal_codec.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_error.h"
#include "tests/support/parameters.h"

namespace lorahpo {
namespace {

using Json = nlohmann::ordered_json;

SearchSpace space() {
  return SearchSpace({testing_support::pow10_param("learning_rate", -5.0, -2.0),
                      testing_support::int_param("lora_r", 2, 512),
                      testing_support::categorical_param("precision", {"bf16-true", "16-mixed"})});
}

// Events are written byte for byte as before the codec existed (journals of in-tree campaigns
// unchanged but for the header's two new keys): the exact text of each line.
TEST(JournalCodec, EventLinesKeepTheirHistoricBytes) {
  EXPECT_EQ(
      dump_line(ask_line(2, {{0, {0.5, 0.25}}, {1, {1.0, 0.0}}})),
      R"({"event":"ask","n":2,"trials":[{"id":0,"unit":[0.5,0.25]},{"id":1,"unit":[1.0,0.0]}]})");
  EXPECT_EQ(dump_line(ask_line(1, {})), R"({"event":"ask","n":1,"trials":[]})");
  EXPECT_EQ(dump_line(resume_line(ResumeEvent{86401.5, 30, 4})),
            R"({"event":"resume","time":"1970-01-02T00:00:01.500Z","budget":30,"workers":4})");
  EXPECT_EQ(dump_line(stop_line("SIGUSR2", 0.0)),
            R"({"event":"stop","signal":"SIGUSR2","time":"1970-01-01T00:00:00.000Z"})");
  EXPECT_EQ(dump_line(worker_lost_line(3, 17, 0.0)),
            R"({"event":"worker_lost","worker":3,"trial":17,"time":"1970-01-01T00:00:00.000Z"})");
}

TEST(JournalCodec, HeaderCarriesFormatAndVersionAndRoundTrips) {
  CampaignHeader header;
  header.lorahpo_version = "0.1.0";
  header.name = "lora";
  header.created_unix = 1.5;
  header.budget = 30;
  header.optimizer_budget = 20;
  header.workers = 4;
  header.identity = Json{{"space", encode_space(space())}, {"direction", "maximize"}};
  const Json line = campaign_line(header);
  EXPECT_EQ(dump_line(line).substr(0, 65),
            R"({"event":"campaign","format":1,"lorahpo":"0.1.0","name":"lora","c)");
  EXPECT_EQ(line_type(line), JournalLineType::kCampaign);

  const CampaignHeader back = decode_campaign_line(line, "journal.jsonl", 1);
  EXPECT_EQ(back.format, kJournalFormat);
  EXPECT_EQ(back.lorahpo_version, "0.1.0");
  EXPECT_EQ(back.name, "lora");
  EXPECT_DOUBLE_EQ(back.created_unix, 1.5);
  EXPECT_EQ(back.budget, 30);
  EXPECT_EQ(back.optimizer_budget, 20);
  EXPECT_EQ(back.workers, 4);
  EXPECT_EQ(back.identity, header.identity);
  EXPECT_NO_THROW(check_format(back, "journal.jsonl", 1));
}

TEST(JournalCodec, AHeaderWithoutFormatIsFormatOne) {
  const Json old = Json::parse(
      R"({"event":"campaign","name":"x","created":"2026-12-02T02:32:21.160Z","budget":20,"workers":2})");
  const CampaignHeader header = decode_campaign_line(old, "journal.jsonl", 1);
  EXPECT_EQ(header.format, 1);
  EXPECT_EQ(header.lorahpo_version, "");
  EXPECT_EQ(header.optimizer_budget, 20);  // absent: the budget it was created with
  EXPECT_FALSE(decode_space(header, "journal.jsonl", 1));
  EXPECT_NO_THROW(check_format(header, "journal.jsonl", 1));
}

TEST(JournalCodec, AnotherFormatIsRefusedInOneLine) {
  const Json newer = Json::parse(R"({"event":"campaign","format":2,"lorahpo":"9.0.0","name":"x"})");
  const CampaignHeader header = decode_campaign_line(newer, "runs/a/journal.jsonl", 1);
  try {
    check_format(header, "runs/a/journal.jsonl", 1);
    FAIL() << "format 2 accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message,
              "runs/a/journal.jsonl:1: format is 2 (written by lorahpo 9.0.0): this lorahpo reads "
              "journal format 1 only (finish the campaign with the lorahpo that started it, or "
              "start a new one)");
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(JournalCodec, TrialLineRoundTrips) {
  TrialRecord r;
  r.id = 7;
  r.status = TrialStatus::kOk;
  r.score = 0.5;
  r.unit = {0.25, 0.5, 0.75};
  r.params = space().to_user(r.unit);
  r.worker = 2;
  r.host = "chuc-3";
  r.start_unix = 100.0;
  r.end_unix = 160.25;
  r.metrics = nlohmann::json{{"mmlu", 0.4}};
  r.attempt = 2;
  r.optimizer = nlohmann::json{{"depth", 3}};
  const Json line = trial_line(r, space());
  EXPECT_EQ(line_type(line), JournalLineType::kTrial);
  const TrialLine t = decode_trial_line(line, "journal.jsonl", 9);
  EXPECT_EQ(t.id, 7);
  EXPECT_EQ(t.status, "ok");
  ASSERT_TRUE(t.score);
  EXPECT_DOUBLE_EQ(*t.score, 0.5);
  EXPECT_EQ(t.params, space().to_json(r.params));
  EXPECT_EQ(t.unit, r.unit);
  EXPECT_EQ(t.worker, 2);
  EXPECT_EQ(t.host, "chuc-3");
  ASSERT_TRUE(t.start_unix && t.end_unix && t.duration);
  EXPECT_DOUBLE_EQ(*t.start_unix, 100.0);
  EXPECT_DOUBLE_EQ(*t.end_unix, 160.25);
  EXPECT_DOUBLE_EQ(*t.duration, 60.25);
  EXPECT_EQ(t.metrics, r.metrics);
  EXPECT_EQ(t.attempt, 2);
  EXPECT_FALSE(t.retried);
  EXPECT_EQ(t.optimizer, r.optimizer);
  EXPECT_FALSE(t.recheck_of);
  EXPECT_FALSE(line.contains("recheck_of")) << "a budget evaluation's line is as it was";
}

TEST(JournalCodec, ARecheckIsAnEventWhenSentAndMarkedOnItsResult) {
  RecheckEvent event;
  event.id = 57;
  event.of = 12;
  event.replicate = 2;
  event.time_unix = 0.0;
  const Json sent = recheck_line(event);
  EXPECT_EQ(
      dump_line(sent),
      R"({"event":"recheck","id":57,"of":12,"replicate":2,"time":"1970-01-01T00:00:00.000Z"})");
  EXPECT_EQ(line_type(sent), JournalLineType::kRecheck);
  const RecheckEvent back = decode_recheck_line(sent, "journal.jsonl", 3);
  EXPECT_EQ(back.id, 57);
  EXPECT_EQ(back.of, 12);
  EXPECT_EQ(back.replicate, 2);

  TrialRecord r;
  r.id = 57;
  r.status = TrialStatus::kOk;
  r.score = 0.73;
  r.unit = {0.25, 0.5, 0.75};
  r.params = space().to_user(r.unit);
  r.recheck_of = 12;
  r.replicate = 2;
  const Json line = trial_line(r, space());
  EXPECT_EQ(line_type(line), JournalLineType::kTrial);
  const TrialLine t = decode_trial_line(line, "journal.jsonl", 4);
  ASSERT_TRUE(t.recheck_of);
  EXPECT_EQ(*t.recheck_of, 12);
  EXPECT_EQ(t.replicate, 2);
  Json broken = sent;
  broken.erase("of");
  try {
    decode_recheck_line(broken, "journal.jsonl", 3);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("journal.jsonl:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("of"), std::string::npos) << e.what();
  }
}

TEST(JournalCodec, ATrialLineWithoutItsKeysNamesTheKey) {
  const Json no_unit = Json::parse(R"({"id":1,"status":"failed","score":null})");
  try {
    decode_trial_line(no_unit, "j.jsonl", 4);
    FAIL() << "a line without unit decoded";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "j.jsonl:4: unit is missing");
  }
  const Json ok_without_score = Json::parse(R"({"id":1,"status":"ok","score":null,"unit":[0.5]})");
  EXPECT_THROW(decode_trial_line(ok_without_score, "j.jsonl", 5), ConfigError);
  const Json bad_time = Json::parse(R"({"id":1,"status":"failed","unit":[0.5],"start":"noon"})");
  EXPECT_FALSE(decode_trial_line(bad_time, "j.jsonl", 6).start_unix);  // a time is never fatal
}

TEST(JournalCodec, SpaceRoundTrips) {
  CampaignHeader header;
  header.identity = Json{{"space", encode_space(space())}};
  const auto back = decode_space(header, "journal.jsonl", 1);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 3u);
  const SearchSpace expected = space();
  for (std::size_t i = 0; i < back->size(); ++i) {
    const Parameter& want = expected.parameters()[i];
    const Parameter& got = (*back)[i];
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.transform, want.transform);
    EXPECT_EQ(got.choices, want.choices);
    if (want.type != ParamType::kCategorical) {
      EXPECT_DOUBLE_EQ(got.low, want.low);
      EXPECT_DOUBLE_EQ(got.high, want.high);
    }
  }
  header.identity["space"][0]["type"] = "complex";
  EXPECT_THROW(decode_space(header, "journal.jsonl", 1), ConfigError);
}

TEST(JournalCodec, UnknownEventsAreKnownAsUnknown) {
  EXPECT_EQ(line_type(Json::parse(R"({"event":"ask"})")), JournalLineType::kAsk);
  EXPECT_EQ(line_type(Json::parse(R"({"event":"resume"})")), JournalLineType::kResume);
  EXPECT_EQ(line_type(Json::parse(R"({"event":"stop"})")), JournalLineType::kStop);
  EXPECT_EQ(line_type(Json::parse(R"({"event":"worker_lost"})")), JournalLineType::kWorkerLost);
  EXPECT_EQ(line_type(Json::parse(R"({"event":"something_new"})")), JournalLineType::kUnknown);
  EXPECT_EQ(line_type(Json::parse(R"({"event":3})")), JournalLineType::kUnknown);
}

}  // namespace
}  // namespace lorahpo
