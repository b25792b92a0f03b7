#include "master/campaign/campaign_identity.h"

#include <fmt/format.h>

#include "master/journal/journal_codec.h"

namespace lorahpo {
namespace {

using Json = nlohmann::ordered_json;

Json cost_json(const CostModel& cost) {
  return Json{{"base_seconds", cost.base_seconds},
              {"slope_seconds", cost.slope_seconds},
              {"parameter", cost.parameter}};
}

Json objective_json(const ObjectiveConfig& objective) {
  Json out;
  out["kind"] = to_string(objective.kind);
  switch (objective.kind) {
    case ObjectiveKind::kBuiltin: {
      const BuiltinObjective& b = objective.builtin;
      out["function"] = b.function;
      out["dim"] = b.dim;
      out["noise_sd"] = b.noise_sd;
      out["cost"] = cost_json(b.cost);
      out["time_scale"] = b.time_scale;
      break;
    }
    case ObjectiveKind::kCommand: {
      const CommandObjective& c = objective.command;
      out["argv"] = c.argv;
      out["result_file"] = c.result.file;
      out["result_pointer"] = c.result.pointer;
      break;
    }
    case ObjectiveKind::kLitgpt: {
      // What decides the score. Paths, timeouts, work_dir and environment may change between
      // two submissions of the same campaign (a moved virtual environment, a longer timeout).
      const LitgptObjective& l = objective.litgpt;
      out["precision"] = l.precision;
      out["devices"] = l.devices;
      out["num_nodes"] = l.num_nodes;
      out["seed"] = l.seed;
      out["lora_targets"] = l.lora_targets;
      out["data"] = Json::parse(l.data_json);
      out["train"] = Json::parse(l.train_json);
      out["eval"] = Json::parse(l.eval_json);
      out["tasks"] = l.tasks;
      out["num_fewshot"] = l.num_fewshot;
      out["limit"] = l.limit;
      out["objective"] = {{"task", l.objective.task}, {"metric", l.objective.metric}};
      out["test"] = {{"task", l.test.task}, {"metric", l.test.metric}};
      break;
    }
  }
  return out;
}

Json optimizer_json(const OptimizerConfig& o, int batch_size) {
  Json out;
  out["name"] = o.name;
  if (o.name == "bo_gp") {
    out["n_init"] = o.n_init;
    out["mode"] = o.mode;
    out["batch_size"] = batch_size;
    out["acquisition"] = o.acquisition;
    out["liar"] = o.liar;
    // Only when changed: journals written before the option existed keep their identity.
    if (o.max_gp_points != OptimizerConfig{}.max_gp_points) out["max_gp_points"] = o.max_gp_points;
  } else if (o.name == "soo" || o.name == "bamsoo") {
    out["k"] = o.k;
    out["depth_exponent"] = o.depth_exponent;
    out["batch_size"] = batch_size;
    if (o.name == "bamsoo") out["eta"] = o.eta;
  }
  return out;
}

void diff(const nlohmann::json& a, const nlohmann::json& b, const std::string& path,
          std::vector<std::string>* out) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      const std::string sub = path.empty() ? key : path + "." + key;
      if (!b.contains(key)) {
        out->push_back(fmt::format("{}: {} -> (absent)", sub, value.dump()));
      } else {
        diff(value, b.at(key), sub, out);
      }
    }
    for (const auto& [key, value] : b.items()) {
      if (!a.contains(key)) {
        out->push_back(fmt::format("{}: (absent) -> {}", path.empty() ? key : path + "." + key,
                                   value.dump()));
      }
    }
    return;
  }
  if (a != b) out->push_back(fmt::format("{}: {} -> {}", path, a.dump(), b.dump()));
}

}  // namespace

nlohmann::ordered_json campaign_identity(const CampaignConfig& config, int resolved_batch_size) {
  Json identity;
  identity["space"] = encode_space(config.space);
  identity["objective"] = objective_json(config.objective);
  identity["optimizer"] = optimizer_json(config.optimizer, resolved_batch_size);
  identity["direction"] = to_string(config.campaign.direction);
  identity["seed"] = config.campaign.seed;
  return identity;
}

std::vector<std::string> identity_differences(const nlohmann::json& journaled,
                                              const nlohmann::json& current) {
  std::vector<std::string> out;
  diff(journaled, current, "", &out);
  return out;
}

}  // namespace lorahpo
