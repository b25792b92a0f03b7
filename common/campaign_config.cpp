#include "common/campaign_config.h"

namespace lorahpo {

const char* to_string(Direction direction) {
  return direction == Direction::kMaximize ? "maximize" : "minimize";
}

const char* to_string(ObjectiveKind kind) {
  switch (kind) {
    case ObjectiveKind::kBuiltin:
      return "builtin";
    case ObjectiveKind::kCommand:
      return "command";
    case ObjectiveKind::kLitgpt:
      return "litgpt";
  }
  return "?";
}

}  // namespace lorahpo
