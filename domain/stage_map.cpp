#include "domain/stage_map.hpp"

#include <stdexcept>
#include <utility>

namespace introvy::domain {
namespace {

// The C locale's whitespace, spelled out so that no locale can change it.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

std::string_view to_string(workflow w) {
  switch (w) {
  case workflow::video_submission:
    return "video_submission";
  case workflow::research_brief:
    return "research_brief";
  case workflow::practice_audio:
    return "practice_audio";
  case workflow::practice_video:
    return "practice_video";
  case workflow::thank_you:
    return "thank_you";
  }
  return "unknown";
}

std::optional<workflow> parse_workflow(std::string_view name) {
  for (auto w : all_workflows) {
    if (to_string(w) == name)
      return w;
  }
  return std::nullopt;
}

bool needs_recruiter_approval(workflow w) {
  return w == workflow::video_submission || w == workflow::practice_audio ||
         w == workflow::practice_video;
}

std::string normalize_stage_name(std::string_view name) {
  std::string result;
  result.reserve(name.size());

  // A space is written only before the next word, so leading and trailing
  // runs vanish and inner runs become one.
  bool pending_space = false;
  for (char c : name) {
    if (is_space(c)) {
      pending_space = !result.empty();
      continue;
    }
    if (pending_space)
      result += ' ';
    pending_space = false;
    result += to_lower(c);
  }
  return result;
}

std::optional<std::vector<workflow>>
stage_map::lookup(std::string_view stage_name) const {
  auto it = rows_.find(normalize_stage_name(stage_name));
  if (it == rows_.end())
    return std::nullopt;
  return it->second;
}

void stage_map::set(std::string_view stage_name,
                    std::vector<workflow> workflows) {
  auto key = normalize_stage_name(stage_name);
  if (key.empty())
    throw std::invalid_argument("a stage name must not be blank");
  rows_[std::move(key)] = std::move(workflows);
}

void stage_map::remove(std::string_view stage_name) {
  rows_.erase(normalize_stage_name(stage_name));
}

bool stage_map::contains(std::string_view stage_name) const {
  return rows_.count(normalize_stage_name(stage_name)) > 0;
}

} // namespace introvy::domain
