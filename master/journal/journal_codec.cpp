#include "master/journal/journal_codec.h"

#include <cmath>

#include <fmt/format.h>

#include "common/config_error.h"
#include "master/journal/journal_time.h"

namespace lorahpo {
namespace {

using Json = nlohmann::ordered_json;

struct EventName {
  JournalLineType type;
  const char* name;
};
constexpr EventName kEvents[] = {
    {JournalLineType::kCampaign, "campaign"},      {JournalLineType::kAsk, "ask"},
    {JournalLineType::kResume, "resume"},          {JournalLineType::kStop, "stop"},
    {JournalLineType::kWorkerLost, "worker_lost"}, {JournalLineType::kRecheck, "recheck"}};

Json event_line(JournalLineType type) {
  for (const EventName& e : kEvents) {
    if (e.type == type) return Json{{"event", e.name}};
  }
  return Json::object();
}

/// The decoders' access to one field, each error a ConfigError naming file, line and key.
class Fields {
 public:
  Fields(const Json& line, const std::string& path, int number)
      : line_(line), path_(path), number_(number) {}

  bool has(const char* key) const { return line_.contains(key) && !line_.at(key).is_null(); }

  template <class T>
  T required(const char* key) const {
    if (!line_.contains(key)) throw ConfigError(path_, number_, key, "is missing");
    return get<T>(key);
  }

  template <class T>
  T optional(const char* key, T fallback) const {
    return has(key) ? get<T>(key) : fallback;
  }

  std::optional<double> time(const char* key) const {
    if (!has(key)) return std::nullopt;
    // A time is what a person reads, never what a replay needs: one lorahpo cannot read is
    // absent, not a reason to refuse a journal.
    const auto it = line_.find(key);
    if (!it->is_string()) return std::nullopt;
    const double t = parse_iso8601_utc(it->get<std::string>());
    if (std::isnan(t)) return std::nullopt;
    return t;
  }

 private:
  template <class T>
  T get(const char* key) const {
    try {
      return line_.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw ConfigError(path_, number_, key,
                        fmt::format("has the wrong type ({})", line_.at(key).type_name()));
    }
  }

  const Json& line_;
  const std::string& path_;
  int number_;
};

const char* type_name(ParamType type) {
  switch (type) {
    case ParamType::kFloat:
      return "float";
    case ParamType::kInt:
      return "int";
    case ParamType::kCategorical:
      return "categorical";
  }
  return "?";
}

}  // namespace

JournalLineType line_type(const Json& line) {
  const auto event = line.find("event");
  if (event == line.end()) return JournalLineType::kTrial;
  if (!event->is_string()) return JournalLineType::kUnknown;
  const std::string& name = event->get_ref<const std::string&>();
  for (const EventName& e : kEvents) {
    if (name == e.name) return e.type;
  }
  return JournalLineType::kUnknown;
}

std::string dump_line(const Json& line) {
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json campaign_line(const CampaignHeader& header) {
  Json line = event_line(JournalLineType::kCampaign);
  line["format"] = header.format;
  line["lorahpo"] = header.lorahpo_version;
  line["name"] = header.name;
  line["created"] = iso8601_utc(header.created_unix);
  line["budget"] = header.budget;
  line["optimizer_budget"] = header.optimizer_budget;
  line["workers"] = header.workers;
  line["identity"] = header.identity;
  return line;
}

Json ask_line(int n, const std::vector<AskedTrial>& trials) {
  Json line = event_line(JournalLineType::kAsk);
  line["n"] = n;
  line["trials"] = Json::array();
  for (const AskedTrial& t : trials) line["trials"].push_back({{"id", t.id}, {"unit", t.unit}});
  return line;
}

Json resume_line(const ResumeEvent& event) {
  Json line = event_line(JournalLineType::kResume);
  line["time"] = iso8601_utc(event.time_unix);
  line["budget"] = event.budget;
  line["workers"] = event.workers;
  return line;
}

Json stop_line(const std::string& signal, double time_unix) {
  Json line = event_line(JournalLineType::kStop);
  line["signal"] = signal;
  line["time"] = iso8601_utc(time_unix);
  return line;
}

Json recheck_line(const RecheckEvent& event) {
  Json line = event_line(JournalLineType::kRecheck);
  line["id"] = event.id;
  line["of"] = event.of;
  line["replicate"] = event.replicate;
  line["time"] = iso8601_utc(event.time_unix);
  return line;
}

Json worker_lost_line(int worker, std::int64_t trial, double time_unix) {
  Json line = event_line(JournalLineType::kWorkerLost);
  line["worker"] = worker;
  line["trial"] = trial;
  line["time"] = iso8601_utc(time_unix);
  return line;
}

Json trial_line(const TrialRecord& record, const SearchSpace& space) {
  Json line;
  line["id"] = record.id;
  line["status"] = to_string(record.status);
  line["score"] = record.score ? Json(*record.score) : Json();
  line["reason"] = record.reason;
  line["params"] = space.to_json(record.params);
  line["unit"] = record.unit;
  line["worker"] = record.worker;
  line["host"] = record.host;
  line["start"] = iso8601_utc(record.start_unix);
  line["end"] = iso8601_utc(record.end_unix);
  line["duration"] = record.end_unix - record.start_unix;
  line["metrics"] = record.metrics;
  if (record.attempt > 1) line["attempt"] = record.attempt;
  if (record.retried) line["retried"] = true;
  if (!record.optimizer.is_null()) line["optimizer"] = record.optimizer;
  if (record.recheck_of) {
    line["recheck_of"] = *record.recheck_of;
    line["replicate"] = record.replicate;
  }
  return line;
}

Json encode_space(const SearchSpace& space) {
  Json parameters = Json::array();
  for (const Parameter& p : space.parameters()) {
    Json entry;
    entry["name"] = p.name;
    entry["type"] = type_name(p.type);
    if (p.type == ParamType::kCategorical) {
      entry["choices"] = p.choices;
    } else {
      entry["low"] = p.low;
      entry["high"] = p.high;
    }
    if (p.transform == Transform::kPow10) entry["transform"] = "pow10";
    parameters.push_back(entry);
  }
  return parameters;
}

CampaignHeader decode_campaign_line(const Json& line, const std::string& path, int line_number) {
  const Fields f(line, path, line_number);
  CampaignHeader header;
  header.format = f.optional<int>("format", 1);  // before the key existed: format 1
  header.lorahpo_version = f.optional<std::string>("lorahpo", "");
  header.name = f.optional<std::string>("name", "");
  header.created_unix = f.time("created").value_or(0.0);
  header.budget = f.optional<int>("budget", 0);
  header.optimizer_budget = f.optional<int>("optimizer_budget", header.budget);
  header.workers = f.optional<int>("workers", 0);
  if (f.has("identity")) header.identity = line.at("identity");
  return header;
}

void check_format(const CampaignHeader& header, const std::string& path, int line_number) {
  if (header.format == kJournalFormat) return;
  throw ConfigError(
      path, line_number, "format",
      fmt::format("is {}{}: this lorahpo reads journal format {} only (finish the campaign with "
                  "the lorahpo that started it, or start a new one)",
                  header.format,
                  header.lorahpo_version.empty()
                      ? ""
                      : " (written by lorahpo " + header.lorahpo_version + ")",
                  kJournalFormat));
}

ResumeEvent decode_resume_line(const Json& line, const std::string& path, int line_number) {
  const Fields f(line, path, line_number);
  ResumeEvent event;
  event.time_unix = f.time("time").value_or(0.0);
  event.budget = f.required<int>("budget");
  event.workers = f.optional<int>("workers", 0);
  return event;
}

TrialLine decode_trial_line(const Json& line, const std::string& path, int line_number) {
  const Fields f(line, path, line_number);
  TrialLine t;
  t.id = f.required<std::int64_t>("id");
  t.status = f.required<std::string>("status");
  if (t.status == "ok") t.score = f.required<double>("score");
  t.reason = f.optional<std::string>("reason", "");
  if (f.has("params")) t.params = f.required<Json>("params");
  t.unit = f.required<std::vector<double>>("unit");
  t.worker = f.optional<int>("worker", 0);
  t.host = f.optional<std::string>("host", "");
  t.start_unix = f.time("start");
  t.end_unix = f.time("end");
  if (f.has("duration")) t.duration = f.required<double>("duration");
  if (f.has("metrics")) t.metrics = f.required<nlohmann::json>("metrics");
  t.attempt = f.optional<int>("attempt", 1);
  t.retried = f.optional<bool>("retried", false);
  if (f.has("optimizer")) t.optimizer = f.required<nlohmann::json>("optimizer");
  if (f.has("recheck_of")) {
    t.recheck_of = f.required<std::int64_t>("recheck_of");
    t.replicate = f.required<int>("replicate");
  }
  return t;
}

RecheckEvent decode_recheck_line(const Json& line, const std::string& path, int line_number) {
  const Fields f(line, path, line_number);
  RecheckEvent event;
  event.id = f.required<std::int64_t>("id");
  event.of = f.required<std::int64_t>("of");
  event.replicate = f.required<int>("replicate");
  event.time_unix = f.time("time").value_or(0.0);
  return event;
}

std::optional<std::vector<Parameter>> decode_space(const CampaignHeader& header,
                                                   const std::string& path, int line_number) {
  if (!header.identity.is_object() || !header.identity.contains("space")) return std::nullopt;
  const Json& space = header.identity.at("space");
  if (!space.is_array()) throw ConfigError(path, line_number, "identity.space", "is not an array");
  std::vector<Parameter> parameters;
  for (std::size_t i = 0; i < space.size(); ++i) {
    const Fields f(space[i], path, line_number);
    Parameter p;
    p.name = f.required<std::string>("name");
    const std::string type = f.required<std::string>("type");
    if (type == "categorical") {
      p.type = ParamType::kCategorical;
      p.choices = f.required<std::vector<std::string>>("choices");
    } else if (type == "float" || type == "int") {
      p.type = type == "float" ? ParamType::kFloat : ParamType::kInt;
      p.low = f.required<double>("low");
      p.high = f.required<double>("high");
    } else {
      throw ConfigError(path, line_number, fmt::format("identity.space[{}].type", i),
                        "is '" + type + "', not float, int or categorical");
    }
    p.transform =
        f.optional<std::string>("transform", "") == "pow10" ? Transform::kPow10 : Transform::kNone;
    parameters.push_back(std::move(p));
  }
  return parameters;
}

}  // namespace lorahpo
