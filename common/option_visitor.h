#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace lorahpo {

/// Allowed integers [low, high]; `note` follows the range in messages ("must be in [0, 100000]
/// (0: one per worker), got -1").
struct IntegerRange {
  long long low = 0;
  long long high = 0;
  std::string note;
  /// 0 is allowed too ("must be 0<note> or in [low, high]"): 0 often means "no bound".
  bool or_zero = false;

  bool contains(long long value) const;
  /// "must be in [low, high]<note>" or "must be 0<note> or in [low, high]".
  std::string rule() const;
};

/// Allowed numbers, each end open or closed; an infinite end is no bound ("must be >= 0").
struct NumberRange {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false;
  bool high_open = false;
  std::string note;

  bool contains(double value) const;
  /// "must be in (0, 1]<note>", "must be >= 0<note>", "must be at most 604800<note>".
  std::string rule() const;
};

/// Whether an option enters the campaign identity (what --resume compares) always, or only when it
/// differs from its default: an option added later must not change the identity of journals
/// written before it existed.
enum class InIdentity { kAlways, kWhenChanged };

/// One walk over the options of an optimizer: each options struct lists its options once, in
/// `visit(OptionVisitor&)`, with the allowed values, and every consumer is a visitor: the config
/// reader (master/config, over YAML: checks and sets each given option, rejects other keys), the
/// campaign identity (writes each as JSON), the README's reference. So adding an option touches
/// its struct's visit() only. No YAML here: lorahpo_optimizers links lorahpo_common alone.
class OptionVisitor {
 public:
  virtual ~OptionVisitor() = default;
  virtual void integer(const char* name, int& value, const IntegerRange& range,
                       InIdentity identity) = 0;
  virtual void number(const char* name, double& value, const NumberRange& range,
                      InIdentity identity) = 0;
  /// `index` into `labels`, the values a user writes.
  virtual void choice(const char* name, std::size_t& index, const std::vector<std::string>& labels,
                      InIdentity identity) = 0;
};

/// A label a user writes and the enum value it stands for.
template <class Enum>
struct Choice {
  const char* label;
  Enum value;
};

/// Visits an enum option as a choice among the labels of `choices`.
template <class Enum>
void visit_choice(OptionVisitor& visitor, const char* name, Enum& value,
                  const std::vector<Choice<Enum>>& choices,
                  InIdentity identity = InIdentity::kAlways) {
  std::vector<std::string> labels;
  std::size_t index = 0;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    labels.emplace_back(choices[i].label);
    if (choices[i].value == value) index = i;
  }
  visitor.choice(name, index, labels, identity);
  value = choices.at(index).value;
}

/// The enum value of `label`, nullopt when none has it.
template <class Enum>
std::optional<Enum> choice_of(const std::vector<Choice<Enum>>& choices, const std::string& label) {
  for (const auto& choice : choices) {
    if (label == choice.label) return choice.value;
  }
  return std::nullopt;
}

/// The label of `value` among `choices` ("?" when none).
template <class Enum>
const char* label_of(const std::vector<Choice<Enum>>& choices, Enum value) {
  for (const auto& choice : choices) {
    if (choice.value == value) return choice.label;
  }
  return "?";
}

}  // namespace lorahpo
