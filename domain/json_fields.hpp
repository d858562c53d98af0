// Small readers shared by the parsers of Avionté's JSON: keys looked up
// whatever their case, and ids that may come as numbers or decimal strings.
// An implementation detail of domain/, not a contract for other folders.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace introvy::domain::json_fields {

/// ASCII case folding, as std::tolower does in the "C" locale, without a
/// call into the C library per character.
constexpr unsigned char ascii_lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

/// The value of the first key of `object` equal to `key` ignoring case, or
/// nullptr. `object` must be a JSON object.
const nlohmann::json* find_key(const nlohmann::json& object,
                               std::string_view key);

/// An integer that fits in 64 bits, or a decimal string of one (.NET
/// serialisers sometimes quote 64-bit numbers); nullopt for anything else.
std::optional<std::int64_t> read_id(const nlohmann::json& value);

} // namespace introvy::domain::json_fields
