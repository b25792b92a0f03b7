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
      // lora_surrogate's metric decides the score: acc_norm unless set (it scored `acc` before
      // the key existed, so a campaign of then is another campaign now, and resume says so).
      if (b.function == "lora_surrogate") out["metric"] = b.metric.empty() ? "acc_norm" : b.metric;
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

/// Each option of an optimizer as JSON, by its YAML name (common/optimizer_options.h):
/// options marked InIdentity::kWhenChanged only when they differ from `defaults`.
class IdentityWriter final : public OptionVisitor {
 public:
  IdentityWriter(Json* out, const Json* defaults) : out_(out), defaults_(defaults) {}

  void integer(const char* name, int& value, const IntegerRange&, InIdentity identity) override {
    put(name, value, identity);
  }
  void number(const char* name, double& value, const NumberRange&, InIdentity identity) override {
    put(name, value, identity);
  }
  void choice(const char* name, std::size_t& index, const std::vector<std::string>& labels,
              InIdentity identity) override {
    put(name, labels.at(index), identity);
  }

 private:
  void put(const char* name, const Json& value, InIdentity identity) {
    if (identity == InIdentity::kWhenChanged && defaults_ != nullptr && defaults_->contains(name) &&
        defaults_->at(name) == value) {
      return;
    }
    (*out_)[name] = value;
  }

  Json* out_;
  const Json* defaults_;
};

Json optimizer_json(const OptimizerConfig& config, int batch_size) {
  OptimizerConfig defaults;
  defaults.kind = config.kind;
  Json default_values;
  IdentityWriter collect(&default_values, nullptr);
  defaults.visit(collect);

  Json out;
  out["name"] = to_string(config.kind);
  OptimizerConfig options = config;
  IdentityWriter writer(&out, &default_values);
  options.visit(writer);
  // The batch size the campaign really used (0 in the file: one per worker); soo and bamsoo
  // sweep in batches of it too.
  if (config.kind != OptimizerKind::kLhs && config.kind != OptimizerKind::kRandom) {
    out["batch_size"] = batch_size;
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
        out->push_back(
            fmt::format("{}: (absent) -> {}", path.empty() ? key : path + "." + key, value.dump()));
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
