// --resume, proven in-process: a journal cut at every line (the state a kill -9 can leave,
// torn last line included) resumes to the very campaign that was never interrupted.

#include "master/campaign/campaign.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/config_error.h"
#include "common/local_transport.h"
#include "master/config/config_loader.h"
#include "worker/worker_loop.h"

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

std::string config_text(const std::string& optimizer, int budget) {
  return "campaign: {name: resume_test, budget: " + std::to_string(budget) +
         ", seed: 5}\n"
         "optimizer: " +
         optimizer +
         "\n"
         "objective: {kind: builtin, function: branin, noise: 0.01}\n";
}

/// Runs (or resumes) a campaign over an in-process network with `workers` worker threads.
CampaignOutcome run_local(const CampaignConfig& config, const fs::path& dir, bool resume,
                          int workers = 1) {
  spdlog::set_level(spdlog::level::warn);
  LocalNetwork network(workers + 1);
  std::vector<std::thread> threads;
  for (int w = 1; w <= workers; ++w) {
    threads.emplace_back([&network, w] {
      auto endpoint = network.endpoint(w);
      run_worker(*endpoint);
    });
  }
  auto master = network.endpoint(0);
  if (!resume) create_run_directory(dir.string(), config);
  CampaignOutcome outcome;
  try {
    outcome = run_campaign(config, dir.string(), *master, system_clock(), resume);
  } catch (...) {
    for (int w = 1; w <= workers; ++w) master->send(w, MessageTag::kShutdown, "");
    for (auto& t : threads) t.join();
    throw;
  }
  for (auto& t : threads) t.join();
  return outcome;
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream file(path);
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

/// id -> the evaluation line without its times and host: what must not change on resume.
std::map<long long, nlohmann::json> evaluations(const fs::path& run_dir) {
  std::map<long long, nlohmann::json> out;
  for (const auto& text : lines_of(run_dir / "journal.jsonl")) {
    auto line = nlohmann::json::parse(text);
    if (line.contains("event")) continue;
    const long long id = line["id"].get<long long>();
    EXPECT_FALSE(out.count(id)) << "evaluation " << id << " journaled twice";
    for (const char* key : {"start", "end", "duration", "host", "worker"}) line.erase(key);
    out[id] = line;
  }
  return out;
}

fs::path fresh(const std::string& name) {
  static int counter = 0;
  const fs::path dir =
      fs::temp_directory_path() / ("lorahpo_resume_" + name + "_" + std::to_string(::getpid()) +
                                   "_" + std::to_string(counter++));
  fs::remove_all(dir);
  return dir;
}

/// Writes run_dir as a kill after `keep` journal lines would leave it (plus half of the next
/// line when `torn`).
void cut_copy(const fs::path& reference, const fs::path& run_dir, std::size_t keep, bool torn) {
  fs::create_directories(run_dir / "trials");
  fs::copy_file(reference / "config.yaml", run_dir / "config.yaml");
  const auto lines = lines_of(reference / "journal.jsonl");
  std::ofstream out(run_dir / "journal.jsonl", std::ios::binary);
  for (std::size_t i = 0; i < keep && i < lines.size(); ++i) out << lines[i] << "\n";
  if (torn && keep < lines.size()) out << lines[keep].substr(0, lines[keep].size() / 2);
}

class ResumeEveryCut : public ::testing::TestWithParam<std::string> {};

TEST_P(ResumeEveryCut, GivesTheUninterruptedCampaign) {
  constexpr int kBudget = 14;
  const CampaignConfig config = parse_config(config_text(GetParam(), kBudget), "resume.yaml");
  const fs::path reference = fresh("reference");
  const CampaignOutcome uninterrupted = run_local(config, reference, false);
  ASSERT_EQ(uninterrupted.end, CampaignEnd::kBudget);
  const auto expected = evaluations(reference);
  const std::size_t total = lines_of(reference / "journal.jsonl").size();

  for (std::size_t keep = 1; keep < total; ++keep) {
    for (const bool torn : {false, true}) {
      SCOPED_TRACE("cut after line " + std::to_string(keep) + (torn ? " + torn line" : ""));
      const fs::path dir = fresh("cut");
      cut_copy(reference, dir, keep, torn);
      const CampaignOutcome resumed = run_local(config, dir, true);
      EXPECT_EQ(resumed.end, CampaignEnd::kBudget);
      EXPECT_EQ(evaluations(dir), expected);
      // results.csv is rebuilt: header + one row per evaluation line.
      EXPECT_EQ(lines_of(dir / "results.csv").size(), expected.size() + 1);
      fs::remove_all(dir);
    }
  }
  fs::remove_all(reference);
}

std::string optimizer_label(const ::testing::TestParamInfo<std::string>& info) {
  static const char* const kNames[] = {"lhs", "random", "bo_gp", "bo_gp_sync", "soo", "bamsoo"};
  return kNames[info.index];
}

INSTANTIATE_TEST_SUITE_P(Optimizers, ResumeEveryCut,
                         ::testing::Values("{name: lhs}", "{name: random}",
                                           "{name: bo_gp, n_init: 5}",
                                           "{name: bo_gp, n_init: 5, mode: sync, batch_size: 3}",
                                           "{name: soo}", "{name: bamsoo}"),
                         optimizer_label);

TEST(Resume, RaisedBudgetExtendsAFinishedCampaign) {
  const fs::path dir = fresh("extend");
  run_local(parse_config(config_text("{name: bo_gp, n_init: 4}", 8), "a.yaml"), dir, false, 2);
  const auto first = evaluations(dir);
  ASSERT_EQ(first.size(), 8u);
  const CampaignOutcome more =
      run_local(parse_config(config_text("{name: bo_gp, n_init: 4}", 12), "a.yaml"), dir, true, 2);
  EXPECT_EQ(more.end, CampaignEnd::kBudget);
  EXPECT_EQ(more.replayed, 8);
  const auto all = evaluations(dir);
  EXPECT_EQ(all.size(), 12u);
  for (const auto& [id, line] : first) EXPECT_EQ(all.at(id), line);  // the first 8 untouched
  fs::remove_all(dir);
}

TEST(Resume, AnotherCampaignsConfigIsRefusedNamingWhatChanged) {
  const fs::path dir = fresh("refuse");
  run_local(parse_config(config_text("{name: lhs}", 4), "a.yaml"), dir, false);
  const auto before = lines_of(dir / "journal.jsonl");
  try {
    run_local(parse_config(config_text("{name: random}", 4), "b.yaml"), dir, true);
    FAIL() << "a changed optimizer was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("optimizer.name"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("b.yaml"), std::string::npos) << e.what();
  }
  std::string other = config_text("{name: lhs}", 4);
  other.replace(other.find("noise: 0.01"), 11, "noise: 0.02");
  EXPECT_THROW(run_local(parse_config(other, "c.yaml"), dir, true), ConfigError);
  EXPECT_EQ(lines_of(dir / "journal.jsonl"), before);  // nothing written, nothing lost
  fs::remove_all(dir);
}

TEST(Resume, DamagedOrForeignJournalsAreConfigErrors) {
  const CampaignConfig config = parse_config(config_text("{name: lhs}", 4), "a.yaml");
  const fs::path dir = fresh("damaged");
  run_local(config, dir, false);
  auto lines = lines_of(dir / "journal.jsonl");
  ASSERT_GT(lines.size(), 3u);
  {
    std::ofstream out(dir / "journal.jsonl");
    for (std::size_t i = 0; i < lines.size(); ++i)
      out << (i == 2 ? "{\"id\": 1, garbage" : lines[i]) << "\n";
  }
  try {
    run_local(config, dir, true);
    FAIL() << "a damaged journal was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 3) << e.what();
  }
  {
    std::ofstream out(dir / "journal.jsonl");
    out << R"({"id": 0, "status": "ok", "score": 1.0, "unit": [0.5, 0.5]})"
        << "\n";
  }
  EXPECT_THROW(run_local(config, dir, true), ConfigError);  // no header: not a journal of ours
  fs::remove(dir / "journal.jsonl");
  EXPECT_THROW(check_resumable(dir.string()), ConfigError);
  EXPECT_THROW(check_resumable((dir / "nothing").string()), ConfigError);
  fs::remove_all(dir);
}

/// The checked-in format-1 journal (tests/fixtures/journal/README.md), in a fresh run directory.
fs::path format1_run(const std::string& name) {
  const fs::path dir = fresh(name);
  fs::create_directories(dir / "trials");
  fs::copy_file(
      fs::path(LORAHPO_SOURCE_DIR) / "tests/fixtures/journal/format1_command_resumed/journal.jsonl",
      dir / "journal.jsonl");
  return dir;
}

CampaignConfig format1_config() {
  return load_config(std::string(LORAHPO_SOURCE_DIR) + "/tests/fixtures/command_campaign.yaml");
}

// A journal lorahpo 0.1.0 wrote (no "format" in its header) replays with today's codec and
// scheduler: every ask gives the points it holds, every evaluation is taken back, nothing runs
// again, and the job appends only its "resume" line.
TEST(Resume, AFormat1JournalOfAnEarlierReleaseReplays) {
  const fs::path dir = format1_run("format1");
  const auto before = lines_of(dir / "journal.jsonl");
  const CampaignOutcome outcome = run_local(format1_config(), dir, true, 2);
  EXPECT_EQ(outcome.end, CampaignEnd::kBudget);
  EXPECT_EQ(outcome.replayed, 20);
  EXPECT_EQ(outcome.records.size(), 20u);
  const auto after = lines_of(dir / "journal.jsonl");
  ASSERT_EQ(after.size(), before.size() + 1);
  EXPECT_EQ(std::vector<std::string>(after.begin(), after.end() - 1), before);
  EXPECT_EQ(after.back().rfind(R"({"event":"resume","time":")", 0), 0u) << after.back();
  fs::remove_all(dir);
}

TEST(Resume, AJournalOfAnotherFormatIsRefusedInOneLine) {
  const fs::path dir = format1_run("format2");
  auto lines = lines_of(dir / "journal.jsonl");
  lines[0].replace(0, std::string(R"({"event":"campaign",)").size(),
                   R"({"event":"campaign","format":2,"lorahpo":"9.0.0",)");
  {
    std::ofstream out(dir / "journal.jsonl");
    for (const auto& line : lines) out << line << "\n";
  }
  try {
    run_local(format1_config(), dir, true, 1);
    FAIL() << "a format-2 journal was resumed";
  } catch (const ConfigError& e) {
    const std::string path = fs::absolute(dir / "journal.jsonl").lexically_normal().string();
    EXPECT_EQ(std::string(e.what()),
              path +
                  ":1: format is 2 (written by lorahpo 9.0.0): this lorahpo reads journal "
                  "format 1 only (finish the campaign with the lorahpo that started it, or "
                  "start a new one)");
  }
  EXPECT_EQ(lines_of(dir / "journal.jsonl"), lines);  // refused before anything was written
  fs::remove_all(dir);
}

TEST(Resume, ASecondCampaignHeaderIsRefused) {
  const fs::path dir = format1_run("two_headers");
  const auto lines = lines_of(dir / "journal.jsonl");
  {
    std::ofstream out(dir / "journal.jsonl", std::ios::app);
    out << lines.front() << "\n";
  }
  try {
    run_local(format1_config(), dir, true, 1);
    FAIL() << "a journal with two headers was resumed";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), static_cast<int>(lines.size()) + 1) << e.what();
    EXPECT_NE(std::string(e.what()).find("second campaign header (the first is line 1)"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lorahpo
