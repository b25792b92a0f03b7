#include "worker/loss_divergence.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace lorahpo {
namespace {

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

/// The number that starts `text` (after blanks): digits, sign, point, exponent, or Python's
/// `nan`/`inf`. nullopt when there is none.
std::optional<double> leading_number(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size() && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  std::size_t end = begin;
  while (end < text.size() && end - begin < 64 &&
         (std::isalnum(static_cast<unsigned char>(text[end])) != 0 || text[end] == '.' ||
          text[end] == '+' || text[end] == '-')) {
    ++end;
  }
  if (end == begin) return std::nullopt;
  // strtod reads "nan", "inf", "-inf" and "infinity" in any case; the "C" locale's decimal point
  // is the one Python writes (lorahpo never calls setlocale).
  const std::string token(text.substr(begin, end - begin));
  char* stop = nullptr;
  const double value = std::strtod(token.c_str(), &stop);
  if (stop == token.c_str() || *stop != '\0') return std::nullopt;
  return value;
}

}  // namespace

std::optional<IterationLoss> parse_iteration_line(std::string_view line) {
  static constexpr std::string_view kLoss = "loss train:";
  const std::size_t loss_at = line.find(kLoss);
  if (loss_at == std::string_view::npos) return std::nullopt;
  const auto loss = leading_number(line.substr(loss_at + kLoss.size()));
  if (!loss) return std::nullopt;

  // The last "iter <digits>" before the loss (`iter time:` comes after it, and is not followed
  // by digits anyway).
  static constexpr std::string_view kIter = "iter ";
  std::size_t search_end = loss_at;
  while (search_end > 0) {
    const std::size_t at = line.rfind(kIter, search_end - 1);
    if (at == std::string_view::npos || at + kIter.size() > loss_at) break;
    const bool word_start = at == 0 || !std::isalpha(static_cast<unsigned char>(line[at - 1]));
    std::size_t digit = at + kIter.size();
    while (digit < loss_at && line[digit] == ' ') ++digit;
    std::size_t digits_end = digit;
    while (digits_end < loss_at && digits_end - digit < 18 && is_digit(line[digits_end]))
      ++digits_end;
    if (word_start && digits_end > digit) {
      IterationLoss point;
      point.iteration =
          std::strtoll(std::string(line.substr(digit, digits_end - digit)).c_str(), nullptr, 10);
      point.loss = *loss;
      return point;
    }
    if (at == 0) break;
    search_end = at;
  }
  return std::nullopt;
}

LossDivergence::LossDivergence(int consecutive) : consecutive_(consecutive < 1 ? 1 : consecutive) {}

bool LossDivergence::add(const IterationLoss& point) {
  if (diverged_) return true;  // the triggering run is the one to report
  if (std::isfinite(point.loss)) {
    run_length_ = 0;
    run_start_.reset();
    return false;
  }
  if (run_length_++ == 0) {
    run_start_ = point.iteration;
    run_first_loss_ = point.loss;
  }
  diverged_ = run_length_ >= consecutive_;
  return diverged_;
}

bool LossDivergence::add_line(std::string_view line) {
  if (const auto point = parse_iteration_line(line)) return add(*point);
  return diverged_;
}

std::string LossDivergence::reason() const {
  if (!run_start_) return {};
  const char* shown = std::isnan(run_first_loss_) ? "nan" : (run_first_loss_ > 0 ? "inf" : "-inf");
  return fmt::format("diverged at iteration {} (loss train: {})", *run_start_, shown);
}

}  // namespace lorahpo
