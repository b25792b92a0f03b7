#include "master/campaign/preflight.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/local_transport.h"

namespace lorahpo {
namespace {

CampaignConfig builtin_config() {
  CampaignConfig config;
  config.campaign.name = "t";
  config.objective.kind = ObjectiveKind::kBuiltin;
  config.objective.builtin.function = "branin";
  config.config_dir = "/configs";
  return config;
}

TEST(PreflightTest, RequestCarriesTheSetupAndAFirstTrialDirectory) {
  const PreflightRequest request = preflight_request(builtin_config(), "/runs/t-1");
  EXPECT_EQ(request.trial_dir, "/runs/t-1/trials/0");
  EXPECT_EQ(request.setup.config_dir, "/configs");
  EXPECT_EQ(request.setup.objective.builtin.function, "branin");
}

TEST(PreflightTest, GathersOneReportPerWorkerRankInRankOrder) {
  LocalNetwork network(4);
  std::vector<std::thread> workers;
  for (int rank = 1; rank < 4; ++rank) {
    workers.emplace_back([&network, rank] {
      auto endpoint = network.endpoint(rank);
      answer_preflight(*endpoint);
    });
  }
  auto master = network.endpoint(0);
  const PreflightReports gathered = gather_node_reports(
      preflight_request(builtin_config(), "/runs/t"), *master, std::chrono::seconds(60));
  for (auto& w : workers) w.join();
  ASSERT_EQ(gathered.reports.size(), 3u);
  EXPECT_TRUE(gathered.silent_ranks.empty());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(gathered.reports[static_cast<std::size_t>(i)].rank, i + 1);
    EXPECT_TRUE(gathered.reports[static_cast<std::size_t>(i)].ok());
  }
}

TEST(PreflightTest, ASilentRankFails) {
  LocalNetwork network(3);
  std::thread one([&network] {
    auto endpoint = network.endpoint(1);
    answer_preflight(*endpoint);
  });
  auto master = network.endpoint(0);
  const PreflightReports gathered = gather_node_reports(
      preflight_request(builtin_config(), "/runs/t"), *master, std::chrono::milliseconds(1500));
  one.join();
  EXPECT_EQ(gathered.silent_ranks, std::vector<int>{2});
  ASSERT_EQ(gathered.reports.size(), 2u);
  EXPECT_TRUE(gathered.reports[0].ok());
  EXPECT_FALSE(gathered.reports[1].ok());
  EXPECT_EQ(preflight_failures(gathered.reports),
            std::vector<std::string>{"?/2: report: no report within 1 s"});
}

TEST(PreflightTest, TableHasARowPerRankAndFailuresALinePerCheck) {
  NodeReport good{"chuc-1", 1, {{"gpus", true, "4 GPUs visible"}, {"litgpt", true, "0.5.13"}}};
  NodeReport bad{"chuc-1",
                 2,
                 {{"gpus", false, "3 GPUs visible, objective.devices = 4"},
                  {"litgpt", false, "0.5.9 unsupported (supported: 0.5.10 to 0.5.13)"}}};
  const std::string table = preflight_table({good, bad});
  // Columns as wide as their widest cell plus two spaces; a cell over 48 characters is cut.
  EXPECT_EQ(table,
            "host/rank  gpus                                        litgpt\n"
            "chuc-1/1   ok 4 GPUs visible                           ok 0.5.13\n"
            "chuc-1/2   FAIL 3 GPUs visible, objective.devices = 4  FAIL 0.5.9 unsupported "
            "(supported: 0.5.10 to ...\n");
  EXPECT_EQ(preflight_failures({good, bad}),
            (std::vector<std::string>{
                "chuc-1/2: gpus: 3 GPUs visible, objective.devices = 4",
                "chuc-1/2: litgpt: 0.5.9 unsupported (supported: 0.5.10 to 0.5.13)"}));
  EXPECT_TRUE(preflight_failures({good}).empty());
}

}  // namespace
}  // namespace lorahpo
