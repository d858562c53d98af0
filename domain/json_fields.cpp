#include "domain/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace introvy::domain::json_fields {

bool iequals(std::string_view a, std::string_view b) {
  // Most names come spelled exactly as expected: one memcmp decides.
  if (a.size() != b.size())
    return false;
  if (a == b)
    return true;
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](unsigned char x, unsigned char y) {
                      return ascii_lower(x) == ascii_lower(y);
                    });
}

const nlohmann::json* find_key(const nlohmann::json& object,
                               std::string_view key) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (iequals(it.key(), key))
      return &it.value();
  }
  return nullptr;
}

std::optional<std::int64_t> read_id(const nlohmann::json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned())
    return value.get<std::int64_t>();
  if (value.is_number_unsigned()) {
    auto v = value.get<std::uint64_t>();
    if (v <=
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return static_cast<std::int64_t>(v);
    return std::nullopt;
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    std::int64_t id = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec == std::errc{} && end == text.data() + text.size() && !text.empty())
      return id;
  }
  return std::nullopt;
}

} // namespace introvy::domain::json_fields
