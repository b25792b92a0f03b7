#include "worker/lora_runs.h"

#include <map>
#include <sstream>
#include <stdexcept>

namespace lorahpo {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream stream(line);
  std::string cell;
  while (std::getline(stream, cell, ',')) cells.push_back(cell);
  return cells;
}

std::vector<LoraRun> parse() {
  std::stringstream text(lora_runs_csv());
  std::string line;
  std::getline(text, line);
  const auto header = split(line);
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  const auto at = [&](const std::vector<std::string>& cells,
                      const char* name) -> const std::string& {
    const auto it = column.find(name);
    if (it == column.end() || it->second >= cells.size()) {
      throw std::logic_error(std::string("embedded LoRA data lacks column ") + name);
    }
    return cells[it->second];
  };
  std::vector<LoraRun> runs;
  while (std::getline(text, line)) {
    if (line.empty() || line == "\r") continue;
    const auto cells = split(line);
    LoraRun run;
    run.campaign = at(cells, "campaign");
    run.learning_rate = std::stod(at(cells, "learning_rate"));
    run.lora_r = std::stoll(at(cells, "lora_r"));
    run.lora_alpha = std::stoll(at(cells, "lora_alpha"));
    run.lora_dropout = std::stod(at(cells, "lora_dropout"));
    run.weight_decay = std::stod(at(cells, "weight_decay"));
    run.hellaswag_acc = std::stod(at(cells, "hellaswag_acc"));
    run.hellaswag_acc_stderr = std::stod(at(cells, "hellaswag_acc_stderr"));
    run.hellaswag_acc_norm = std::stod(at(cells, "hellaswag_acc_norm"));
    run.hellaswag_acc_norm_stderr = std::stod(at(cells, "hellaswag_acc_norm_stderr"));
    run.mmlu_acc = std::stod(at(cells, "mmlu_acc"));
    run.mmlu_acc_stderr = std::stod(at(cells, "mmlu_acc_stderr"));
    run.minutes = std::stod(at(cells, "minutes_opening_to_starting"));
    runs.push_back(run);
  }
  return runs;
}

}  // namespace

const std::vector<LoraRun>& lora_runs() {
  static const std::vector<LoraRun> kRuns = parse();
  return kRuns;
}

SearchSpace seed_lora_search_space() {
  return SearchSpace({
      Parameter{"learning_rate", ParamType::kFloat, -10.0, -1.0, Transform::kPow10, {}},
      Parameter{"lora_r", ParamType::kInt, 2.0, 512.0, Transform::kNone, {}},
      Parameter{"lora_alpha", ParamType::kInt, 1.0, 64.0, Transform::kNone, {}},
      Parameter{"lora_dropout", ParamType::kFloat, 0.0, 0.5, Transform::kNone, {}},
      Parameter{"weight_decay", ParamType::kFloat, -5.0, -1.0, Transform::kPow10, {}},
  });
}

std::vector<ParamValue> lora_run_values(const LoraRun& run) {
  return {run.learning_rate, run.lora_r, run.lora_alpha, run.lora_dropout, run.weight_decay};
}

std::vector<std::pair<std::size_t, std::size_t>> lora_run_near_replicates() {
  const auto& runs = lora_runs();
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (std::size_t j = i + 1; j < runs.size(); ++j) {
      const LoraRun &a = runs[i], &b = runs[j];
      if (a.learning_rate == b.learning_rate && a.lora_r == b.lora_r &&
          a.lora_alpha == b.lora_alpha)
        pairs.emplace_back(i, j);
    }
  }
  return pairs;
}

}  // namespace lorahpo
