#include "master/config/objective_section.h"

#include <optional>

#include "master/config/builtin_section.h"
#include "master/config/command_section.h"
#include "master/config/litgpt_section.h"
#include "master/config/search_space_section.h"
#include "worker/litgpt_names.h"

namespace lorahpo {

ObjectiveAndSpace read_objective_and_space(const ConfigSection& root) {
  ObjectiveAndSpace out;
  root.required("objective");
  const ConfigSection objective = root.child("objective");
  if (!objective.node().IsMap())
    objective.fail(objective.node(), objective.key(), "must be a mapping");
  const std::string kind = objective.text(objective.required("kind"), objective.key_of("kind"));
  std::optional<BuiltinDescription> builtin;
  if (kind == "builtin") {
    out.objective.kind = ObjectiveKind::kBuiltin;
    builtin = read_builtin(objective, &out.objective.builtin);
    out.default_direction = builtin->direction;
  } else if (kind == "command") {
    objective.allow_only({"kind", "command", "timeout", "result", "env"});
    out.objective.kind = ObjectiveKind::kCommand;
  } else if (kind == "litgpt") {
    objective.allow_only(litgpt_objective_keys());
    out.objective.kind = ObjectiveKind::kLitgpt;
  } else {
    objective.fail_at("kind", "must be builtin, command or litgpt, got '" + kind + "'");
  }

  if (root.has("search_space") && !root["search_space"].IsNull()) {
    out.space =
        read_search_space(root.child("search_space"), out.objective.kind == ObjectiveKind::kLitgpt);
  } else if (builtin) {
    out.space = builtin->space;
  } else {
    root.fail(root.node(), "search_space", "is required for a command or litgpt objective");
  }
  switch (out.objective.kind) {
    case ObjectiveKind::kBuiltin:
      check_builtin_space(root, objective, out.objective.builtin, *builtin, out.space);
      break;
    case ObjectiveKind::kCommand:
      out.objective.command = read_command(objective, out.space);
      break;
    case ObjectiveKind::kLitgpt:
      out.objective.litgpt = read_litgpt(objective, out.space, root.child("search_space"));
      break;
  }
  return out;
}

}  // namespace lorahpo
