#include "master/config/run_policy_sections.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace lorahpo {
namespace {

NumberRange range(double low, bool low_open, double high, bool high_open, std::string note) {
  NumberRange r;
  r.low = low;
  r.low_open = low_open;
  r.high = high;
  r.high_open = high_open;
  r.note = std::move(note);
  return r;
}

}  // namespace

FailurePolicy read_failures(const ConfigSection& s) {
  s.allow_only({"max_retries", "failed_score", "stop_after", "max_failure_rate"});
  FailurePolicy f;
  s.read_integer("max_retries", &f.max_retries, {0, 100, ""});
  if (s.has("failed_score")) {
    const YAML::Node n = s["failed_score"];
    if (!n.IsScalar()) s.fail_at("failed_score", "must be worst or a finite number");
    double value = 0.0;
    if (n.as<std::string>() == "worst") {
      f.failed_value.reset();
    } else if (YAML::convert<double>::decode(n, value) && std::isfinite(value)) {
      f.failed_value = value;
    } else {
      s.fail_at("failed_score",
                "must be worst or a finite number, got '" + n.as<std::string>() + "'");
    }
  }
  s.read_integer("stop_after", &f.stop_after, {1, 1000000, " evaluations"});
  s.read_number("max_failure_rate", &f.max_failure_rate,
                range(0.0, true, 1.0, false,
                      " (the share of failed evaluations that stops the campaign; 1: never)"));
  return f;
}

WorkerPolicy read_workers(const ConfigSection& s) {
  s.allow_only({"heartbeat_seconds", "silent_after_seconds", "stop_grace_seconds"});
  WorkerPolicy w;
  s.read_number("heartbeat_seconds", &w.heartbeat_seconds,
                range(0.0, true, 3600.0, false, " seconds"));
  s.read_number("silent_after_seconds", &w.silent_after_seconds,
                range(-std::numeric_limits<double>::infinity(), false, 7.0 * 86400.0, false,
                      " seconds (a week)"));
  if (!(w.silent_after_seconds > 2.0 * w.heartbeat_seconds)) {
    // One late heartbeat must not get a healthy worker given up.
    if (s.has("silent_after_seconds")) {
      s.fail_at("silent_after_seconds", fmt::format("({:g}) must be > 2 x heartbeat_seconds ({:g})",
                                                    w.silent_after_seconds, w.heartbeat_seconds));
    }
    s.fail(s["heartbeat_seconds"], s.key_of("heartbeat_seconds"),
           fmt::format("({:g}) must be < silent_after_seconds / 2 ({:g} / 2: the default)",
                       w.heartbeat_seconds, w.silent_after_seconds));
  }
  s.read_number("stop_grace_seconds", &w.stop_grace_seconds,
                range(0.0, false, 86400.0, false, " seconds"));
  return w;
}

RecheckPolicy read_rechecks(const ConfigSection& s) {
  s.allow_only({"top_k", "max_measurements", "only_if_it_fits", "at_end"});
  RecheckPolicy r;
  s.read_integer("top_k", &r.top_k, {0, 1000, " configurations (0: no re-checks)"});
  s.read_integer("max_measurements", &r.max_measurements,
                 {2, 100, " measurements of one configuration, its first included"});
  s.read_boolean("only_if_it_fits", &r.only_if_it_fits);
  if (s.has("at_end")) {
    const YAML::Node n = s["at_end"];
    const std::string text = n.IsScalar() ? n.as<std::string>() : "";
    if (text == "wait") {
      r.wait_at_end = true;
    } else if (text == "cancel") {
      r.wait_at_end = false;
    } else {
      s.fail_at("at_end",
                "must be wait or cancel" + (n.IsScalar() ? ", got '" + text + "'" : std::string()));
    }
  }
  return r;
}

}  // namespace lorahpo
