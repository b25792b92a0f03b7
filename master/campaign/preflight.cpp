#include "master/campaign/preflight.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

namespace lorahpo {
namespace {

/// Table cells longer than this are cut: the failure lines carry the whole detail.
constexpr std::size_t kCellWidth = 48;

std::string where(const NodeReport& report) {
  return fmt::format("{}/{}", report.host, report.rank);
}

std::string cell(const NodeCheck& check) {
  std::string text = (check.ok ? "ok " : "FAIL ") + check.detail;
  if (text.size() > kCellWidth) text = text.substr(0, kCellWidth - 3) + "...";
  return text;
}

}  // namespace

PreflightRequest preflight_request(const CampaignConfig& config, const std::string& run_dir) {
  PreflightRequest request;
  request.setup.objective = config.objective;
  request.setup.space = config.space;
  request.setup.seed = config.campaign.seed;
  request.setup.config_dir = config.config_dir;
  request.setup.heartbeat_seconds = config.workers.heartbeat_seconds;
  const std::string absolute = std::filesystem::absolute(run_dir).lexically_normal().string();
  request.trial_dir = absolute + "/trials/0";
  return request;
}

PreflightReports gather_node_reports(const PreflightRequest& request, Transport& transport,
                                     std::chrono::milliseconds timeout) {
  const std::string payload = encode(request);
  for (int rank = 1; rank < transport.size(); ++rank)
    transport.send(rank, MessageTag::kPreflight, payload);

  std::map<int, NodeReport> received;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (static_cast<int>(received.size()) < transport.size() - 1) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto envelope = transport.receive(std::min(left, std::chrono::milliseconds(1000)));
    if (!envelope || envelope->tag != MessageTag::kPreflightReport) continue;
    NodeReport report = decode<NodeReport>(envelope->payload);
    report.rank = envelope->source;  // the transport's word, not the payload's
    received[envelope->source] = std::move(report);
  }
  PreflightReports result;
  for (int rank = 1; rank < transport.size(); ++rank) {
    const auto found = received.find(rank);
    if (found != received.end()) {
      result.reports.push_back(found->second);
      continue;
    }
    result.silent_ranks.push_back(rank);
    NodeReport silent;
    silent.host = "?";
    silent.rank = rank;
    silent.checks.push_back(
        {"report", false, fmt::format("no report within {} s", timeout.count() / 1000)});
    result.reports.push_back(silent);
  }
  return result;
}

std::string preflight_table(const std::vector<NodeReport>& reports) {
  std::vector<std::string> columns;
  for (const auto& report : reports) {
    for (const auto& check : report.checks) {
      if (std::find(columns.begin(), columns.end(), check.name) == columns.end())
        columns.push_back(check.name);
    }
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"host/rank"};
  header.insert(header.end(), columns.begin(), columns.end());
  rows.push_back(header);
  for (const auto& report : reports) {
    std::vector<std::string> row = {where(report)};
    for (const auto& name : columns) {
      const auto check = std::find_if(report.checks.begin(), report.checks.end(),
                                      [&](const NodeCheck& c) { return c.name == name; });
      row.push_back(check == report.checks.end() ? "-" : cell(*check));
    }
    rows.push_back(row);
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string table;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    }
    table += line + "\n";
  }
  return table;
}

std::vector<std::string> preflight_failures(const std::vector<NodeReport>& reports) {
  std::vector<std::string> lines;
  for (const auto& report : reports) {
    for (const auto& check : report.checks) {
      if (!check.ok)
        lines.push_back(fmt::format("{}: {}: {}", where(report), check.name, check.detail));
    }
  }
  return lines;
}

}  // namespace lorahpo
