#include "common/campaign_config.h"

namespace lorahpo {

const char* to_string(Direction direction) {
  return direction == Direction::kMaximize ? "maximize" : "minimize";
}

const char* to_string(ObjectiveKind kind) {
  return kind == ObjectiveKind::kBuiltin ? "builtin" : "command";
}

}  // namespace lorahpo
