#include "common/messages.h"

namespace lorahpo {

const char* to_string(TrialStatus status) {
  switch (status) {
    case TrialStatus::kOk:
      return "ok";
    case TrialStatus::kFailed:
      return "failed";
    case TrialStatus::kError:
      return "error";
    case TrialStatus::kApproximated:
      return "approximated";
  }
  return "?";
}

}  // namespace lorahpo
