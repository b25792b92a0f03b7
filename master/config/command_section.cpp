#include "master/config/command_section.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lorahpo {
namespace {

std::vector<std::string> read_argv(const ConfigSection& s, const SearchSpace& space) {
  const YAML::Node argv = s.required("command");
  if (!argv.IsSequence() || argv.size() == 0) {
    s.fail(argv, s.key_of("command"), "must be a non-empty list of arguments (no shell is used)");
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string key = fmt::format("{}[{}]", s.key_of("command"), i);
    out.push_back(s.text(argv[i], key));
    s.check_template(argv[i], key, out.back(), space);
  }
  // The program itself must exist now, not fail 50 times an hour later.
  const std::string key = s.key_of("command") + "[0]";
  const std::string program = s.expand_config_dir(argv[0], key, out.front());
  if (!executable_exists(program))
    s.fail(argv[0], key, "'" + program + "' is not an executable file nor in PATH");
  return out;
}

ResultSpec read_result(const ConfigSection& s, const SearchSpace& space) {
  s.allow_only({"file", "pointer"});
  ResultSpec result;
  if (!s.has("file")) {
    if (s.has("pointer")) s.fail_at("pointer", "needs " + s.key_of("file"));
    return result;
  }
  result.file = s.text(s["file"], s.key_of("file"));
  s.check_template(s["file"], s.key_of("file"), result.file, space);
  result.pointer = s.text(s.required("pointer"), s.key_of("pointer"));
  try {
    nlohmann::json::json_pointer check(result.pointer);
  } catch (const nlohmann::json::exception&) {
    s.fail_at("pointer", "is not an RFC 6901 JSON pointer (e.g. /results/hellaswag/acc_norm,none)");
  }
  return result;
}

}  // namespace

CommandObjective read_command(const ConfigSection& s, const SearchSpace& space) {
  CommandObjective command;
  command.argv = read_argv(s, space);
  s.read_timeout("timeout", &command.timeout_seconds);
  if (s.has("result")) command.result = read_result(s.child("result"), space);
  s.read_env("env", &command.env, space);
  return command;
}

}  // namespace lorahpo
