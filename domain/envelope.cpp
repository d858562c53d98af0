#include "domain/envelope.hpp"

#include "domain/json_fields.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace introvy::domain {
namespace {

using json = nlohmann::json;
using json_fields::ascii_lower;
using json_fields::find_key;
using json_fields::iequals;
using json_fields::read_id;

constexpr std::string_view talent_added = "job_pipeline_talent_added";
constexpr std::string_view talent_updated = "job_pipeline_talent_updated";

envelope_error missing(std::string field) {
  auto message = field + " is required";
  return {std::move(field), std::move(message)};
}

envelope_error wrong_type(std::string field, std::string_view expected) {
  auto message = field + " must be " + std::string{expected};
  return {std::move(field), std::move(message)};
}

std::variant<std::string, envelope_error>
read_string(const json& object, const char* field, bool required_non_empty) {
  const json* value = find_key(object, field);
  if (value == nullptr || value->is_null()) {
    if (required_non_empty)
      return missing(field);
    return std::string{};
  }
  if (!value->is_string())
    return wrong_type(field, "a string");
  auto text = value->get<std::string>();
  if (required_non_empty && text.empty())
    return envelope_error{field, std::string{field} + " must not be empty"};
  return text;
}

std::variant<std::string, envelope_error> read_resource(const json& object) {
  const json* value = find_key(object, "Resource");
  if (value == nullptr || value->is_null())
    return missing("Resource");
  if (value->is_object())
    return value->dump();
  if (!value->is_string())
    return wrong_type("Resource", "a JSON document encoded as a string");
  return value->get<std::string>();
}

} // namespace

// --- the document path ------------------------------------------------------

parse_result<envelope> parse_envelope_document(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return envelope_error{"body", "the body is not valid JSON"};
  if (!doc.is_object())
    return envelope_error{"body", "the body must be a JSON object"};

  envelope result;
  auto name = read_string(doc, "EventName", true);
  if (auto* err = std::get_if<envelope_error>(&name))
    return *err;
  result.event_name = std::get<std::string>(std::move(name));

  const json* tenant = find_key(doc, "FrontOfficeTenantId");
  if (tenant == nullptr || tenant->is_null())
    return missing("FrontOfficeTenantId");
  auto tenant_id = read_id(*tenant);
  if (!tenant_id || *tenant_id <= 0)
    return wrong_type("FrontOfficeTenantId", "a positive integer");
  result.front_office_tenant_id = *tenant_id;

  auto correlation = read_string(doc, "CorrelationId", true);
  if (auto* err = std::get_if<envelope_error>(&correlation))
    return *err;
  result.correlation_id = std::get<std::string>(std::move(correlation));
  if (result.correlation_id.size() > 128)
    return envelope_error{"CorrelationId",
                          "CorrelationId must be at most 128 characters"};

  auto model = read_string(doc, "ResourceModelType", false);
  if (auto* err = std::get_if<envelope_error>(&model))
    return *err;
  result.resource_model_type = std::get<std::string>(std::move(model));

  auto resource = read_resource(doc);
  if (auto* err = std::get_if<envelope_error>(&resource))
    return *err;
  result.resource_json = std::get<std::string>(std::move(resource));
  return result;
}

parse_result<pipeline_resource>
parse_pipeline_resource_document(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return envelope_error{"Resource", "Resource does not hold valid JSON"};
  if (!doc.is_object())
    return envelope_error{"Resource", "Resource must hold a JSON object"};

  pipeline_resource result;
  const json* pipeline = find_key(doc, "PipelineId");
  if (pipeline == nullptr || pipeline->is_null())
    return missing("Resource.PipelineId");
  auto pipeline_id = read_id(*pipeline);
  if (!pipeline_id || *pipeline_id <= 0)
    return wrong_type("Resource.PipelineId", "a positive integer");
  result.pipeline_id = *pipeline_id;

  // Optional ids: a malformed one is ignored rather than refusing the event,
  // since we resolve both through the pipeline record anyway.
  if (const json* talent = find_key(doc, "TalentId"))
    if (auto id = read_id(*talent); id && *id > 0)
      result.talent_id = id;
  if (const json* job = find_key(doc, "JobId"))
    if (auto id = read_id(*job); id && *id > 0)
      result.job_id = id;
  return result;
}

namespace {

// --- the fast path: one SAX pass, no document ------------------------------
//
// Webhooks are parsed on every request, and building a document (a map node
// and a string per member) costs more than reading it. So the members we
// need are collected in one SAX pass; the document path above runs only when
// that pass cannot decide alone (an error to describe, a Resource sent as an
// object, a member present twice in different cases), so answers and error
// messages stay exactly those of the document path.

// A member's value as the SAX parser reported it; containers are not kept.
struct scalar {
  enum class kind { absent, null, string, integer, unsigned_integer, other };
  kind type = kind::absent;
  std::string text;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
};

// read_id() for a scalar: the same answers as for the DOM value.
std::optional<std::int64_t> read_id(const scalar& value) {
  switch (value.type) {
  case scalar::kind::integer:
    return value.integer;
  case scalar::kind::unsigned_integer:
    // As json::get<std::int64_t>() converts an unsigned number.
    return static_cast<std::int64_t>(value.unsigned_integer);
  case scalar::kind::string: {
    const auto& text = value.text;
    std::int64_t id = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec == std::errc{} && end == text.data() + text.size() && !text.empty())
      return id;
    return std::nullopt;
  }
  default:
    return std::nullopt;
  }
}

// The bytes a string may hold as they are: printable ASCII but the quote
// and the backslash.
constexpr std::array<bool, 256> plain_bytes = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x80; ++c)
    table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return table;
}();

// The first byte from `p` on that is not plain (or `end`). Sixteen bytes at
// a time where SSE2 is there (every x86-64): as signed bytes, control
// characters and non-ASCII bytes are both below 0x20.
const char* skip_plain(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote),
                                  _mm_cmpeq_epi8(bytes, backslash)),
                     _mm_cmplt_epi8(bytes, space));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (mask != 0)
      return p + std::countr_zero(mask);
    p += 16;
  }
#endif
  while (p != end && plain_bytes[static_cast<unsigned char>(*p)])
    ++p;
  return p;
}

// A strict JSON reader that reports what it reads to a SAX handler, as
// nlohmann::json::sax_parse does, several times faster (no token buffer, no
// per-character virtual input). It gives up (answers false) on anything it is
// not sure nlohmann's parser would accept the same way: non-ASCII bytes (so
// also a byte-order mark), \u escapes, integers beyond 64 bits, nesting
// deeper than 64. Giving up only sends the caller to the document path, so
// it can never accept what the document path refuses.
template <class Handler>
class json_reader {
public:
  json_reader(std::string_view text, Handler& handler)
      : p_(text.data())
      , end_(text.data() + text.size())
      , handler_(handler) {}

  bool read() {
    skip_space();
    if (!value(0))
      return false;
    skip_space();
    return p_ == end_;
  }

private:
  static constexpr int max_depth = 64;

  void skip_space() {
    while (p_ != end_ &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view{p_, word.size()} != word)
      return false;
    p_ += word.size();
    return true;
  }

  bool value(int depth) {
    if (p_ == end_)
      return false;
    switch (*p_) {
    case '{':
      return object(depth + 1);
    case '[':
      return array(depth + 1);
    case '"': {
      std::string_view text;
      return string(text) && handler_.string(text);
    }
    case 't':
      return literal("true") && handler_.boolean(true);
    case 'f':
      return literal("false") && handler_.boolean(false);
    case 'n':
      return literal("null") && handler_.null();
    default:
      return number();
    }
  }

  bool object(int depth) {
    if (depth > max_depth || !handler_.start_object(std::size_t(-1)))
      return false;
    ++p_; // '{'
    skip_space();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return handler_.end_object();
    }
    while (true) {
      std::string_view name;
      if (p_ == end_ || *p_ != '"' || !string(name) || !handler_.key(name))
        return false;
      skip_space();
      if (p_ == end_ || *p_ != ':')
        return false;
      ++p_;
      skip_space();
      if (!value(depth))
        return false;
      skip_space();
      if (p_ == end_)
        return false;
      if (*p_ == '}') {
        ++p_;
        return handler_.end_object();
      }
      if (*p_ != ',')
        return false;
      ++p_;
      skip_space();
    }
  }

  bool array(int depth) {
    if (depth > max_depth || !handler_.start_array(std::size_t(-1)))
      return false;
    ++p_; // '['
    skip_space();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return handler_.end_array();
    }
    while (true) {
      if (!value(depth))
        return false;
      skip_space();
      if (p_ == end_)
        return false;
      if (*p_ == ']') {
        ++p_;
        return handler_.end_array();
      }
      if (*p_ != ',')
        return false;
      ++p_;
      skip_space();
    }
  }

  // A string at p_ (its opening quote). `out` is a view of the input when
  // the string holds no escape (most do), else of its unescaped copy in
  // scratch_, valid until the next string: the handler reads it at once.
  bool string(std::string_view& out) {
    ++p_;
    const char* start = p_;
    p_ = skip_plain(p_, end_);
    if (p_ != end_ && *p_ == '"') {
      out = {start, static_cast<std::size_t>(p_ - start)};
      ++p_;
      return true;
    }
    scratch_.assign(start, p_);
    if (!unescape(scratch_))
      return false;
    out = scratch_;
    return true;
  }

  // The rest of a string from p_ on, appended to `out` unescaped.
  bool unescape(std::string& out) {
    while (true) {
      const char* run = p_;
      p_ = skip_plain(p_, end_);
      out.append(run, p_);
      if (p_ == end_)
        return false;
      char c = *p_++;
      if (c == '"')
        return true;
      if (c != '\\' || p_ == end_)
        return false; // a control character or a non-ASCII byte
      // An escaped string (Resource is one) grows piece by piece: room for
      // the rest at once, rather than doubling several times.
      if (out.capacity() - out.size() < 64)
        out.reserve(
            out.size() +
            std::min<std::size_t>(static_cast<std::size_t>(end_ - p_), 1024));
      switch (*p_++) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      default:
        return false; // \u, or not an escape at all
      }
    }
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, reported as nlohmann
  // types it: an integer as signed when negative, unsigned otherwise.
  bool number() {
    bool negative = p_ != end_ && *p_ == '-';
    if (negative)
      ++p_;
    if (p_ == end_ || !digit(*p_))
      return false;
    std::uint64_t magnitude = 0;
    bool overflow = false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && digit(*p_)) {
        auto d = static_cast<std::uint64_t>(*p_ - '0');
        if (magnitude > (UINT64_MAX - d) / 10)
          overflow = true;
        magnitude = magnitude * 10 + d;
        ++p_;
      }
    }
    bool fraction_or_exponent = false;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !digit(*p_))
        return false;
      while (p_ != end_ && digit(*p_))
        ++p_;
      fraction_or_exponent = true;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
        ++p_;
      if (p_ == end_ || !digit(*p_))
        return false;
      while (p_ != end_ && digit(*p_))
        ++p_;
      fraction_or_exponent = true;
    }
    if (fraction_or_exponent)
      return handler_.number_float(0.0, empty_);
    if (overflow)
      return false;
    if (!negative)
      return handler_.number_unsigned(magnitude);
    if (magnitude > static_cast<std::uint64_t>(INT64_MAX) + 1)
      return false;
    return handler_.number_integer(
        magnitude == static_cast<std::uint64_t>(INT64_MAX) + 1
            ? INT64_MIN
            : -static_cast<std::int64_t>(magnitude));
  }

  const char* p_;
  const char* end_;
  Handler& handler_;
  const std::string empty_;
  std::string scratch_; // the last escaped string, unescaped
};

// Collects the scalar values of the top-level members named in `names`
// (compared ignoring case). The pass stops, and parse() answers false, as
// soon as the document is not an object, a named member holds an object or
// an array, or a name matches twice: then only the DOM says what find_key
// would see.
template <std::size_t N>
class member_collector {
public:
  using string_t = json::string_t;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using binary_t = json::binary_t;

  explicit member_collector(const std::array<std::string_view, N>& names)
      : names_(names) {}

  bool parse(std::string_view text) {
    return json_reader<member_collector>{text, *this}.read() && object_;
  }
  scalar& operator[](std::size_t i) { return values_[i]; }

  bool null() { return set(scalar::kind::null); }
  bool boolean(bool) { return set(scalar::kind::other); }
  bool number_integer(number_integer_t v) {
    return set(scalar::kind::integer, [&](scalar& s) { s.integer = v; });
  }
  bool number_unsigned(number_unsigned_t v) {
    return set(scalar::kind::unsigned_integer,
               [&](scalar& s) { s.unsigned_integer = v; });
  }
  bool number_float(number_float_t, const string_t&) {
    return set(scalar::kind::other);
  }
  bool string(std::string_view v) {
    return set(scalar::kind::string, [&](scalar& s) { s.text.assign(v); });
  }
  bool binary(binary_t&) { return false; }
  bool start_object(std::size_t) {
    if (depth_ == 0)
      object_ = true;
    else if (depth_ == 1 && current_ >= 0)
      return false;
    ++depth_;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ == 0 || (depth_ == 1 && current_ >= 0))
      return false;
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool key(std::string_view name) {
    if (depth_ != 1)
      return true;
    current_ = -1;
    for (std::size_t i = 0; i < N; ++i)
      if (iequals(name, names_[i])) {
        if (values_[i].type != scalar::kind::absent)
          return false;
        current_ = static_cast<int>(i);
      }
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) {
    return false;
  }

private:
  template <class Fill = void (*)(scalar&)>
  bool set(
      scalar::kind type, Fill fill = [](scalar&) {}) {
    if (depth_ == 0)
      return false; // a document that is a bare value
    if (depth_ == 1 && current_ >= 0) {
      auto& value = values_[static_cast<std::size_t>(current_)];
      value.type = type;
      fill(value);
      current_ = -1;
    }
    return true;
  }

  const std::array<std::string_view, N>& names_;
  std::array<scalar, N> values_{};
  int depth_ = 0;
  int current_ = -1; // index of the named member whose value comes next
  bool object_ = false;
};

constexpr std::array<std::string_view, 5> envelope_members = {
    "EventName", "FrontOfficeTenantId", "CorrelationId", "ResourceModelType",
    "Resource"};

// The envelope when the SAX pass alone can tell it is valid.
std::optional<envelope> fast_envelope(std::string_view body) {
  member_collector<5> members{envelope_members};
  if (!members.parse(body))
    return std::nullopt;
  using kind = scalar::kind;
  auto& name = members[0];
  auto& correlation = members[2];
  auto& model = members[3];
  auto& resource = members[4];
  auto tenant_id = read_id(members[1]);
  bool valid = name.type == kind::string && !name.text.empty() && tenant_id &&
               *tenant_id > 0 && correlation.type == kind::string &&
               !correlation.text.empty() && correlation.text.size() <= 128 &&
               (model.type == kind::absent || model.type == kind::null ||
                model.type == kind::string) &&
               resource.type == kind::string;
  if (!valid)
    return std::nullopt;
  envelope result;
  result.event_name = std::move(name.text);
  result.front_office_tenant_id = *tenant_id;
  result.correlation_id = std::move(correlation.text);
  result.resource_model_type = std::move(model.text);
  result.resource_json = std::move(resource.text);
  return result;
}

constexpr std::array<std::string_view, 3> resource_members = {
    "PipelineId", "TalentId", "JobId"};

std::optional<pipeline_resource> fast_resource(std::string_view text) {
  member_collector<3> members{resource_members};
  if (!members.parse(text))
    return std::nullopt;
  auto pipeline_id = read_id(members[0]);
  if (!pipeline_id || *pipeline_id <= 0)
    return std::nullopt;
  pipeline_resource result;
  result.pipeline_id = *pipeline_id;
  if (auto id = read_id(members[1]); id && *id > 0)
    result.talent_id = id;
  if (auto id = read_id(members[2]); id && *id > 0)
    result.job_id = id;
  return result;
}

} // namespace

parse_result<envelope> parse_envelope(std::string_view body) {
  if (auto fast = fast_envelope(body))
    return std::move(*fast);
  return parse_envelope_document(body);
}

parse_result<pipeline_resource> parse_pipeline_resource(std::string_view text) {
  if (auto fast = fast_resource(text))
    return *fast;
  return parse_pipeline_resource_document(text);
}

bool is_subscribed_event(std::string_view event_name) {
  return iequals(event_name, talent_added) ||
         iequals(event_name, talent_updated);
}

std::string canonical_event_name(std::string_view event_name) {
  std::string lower(event_name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return ascii_lower(c); });
  return lower;
}

namespace {

std::uint64_t fnv1a(std::string_view body) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Eight bytes read little-endian whatever the machine, so that stored
// fingerprints stay valid.
std::uint64_t load_word(const unsigned char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  if constexpr (std::endian::native == std::endian::big)
    word = __builtin_bswap64(word);
  return word;
}

// The last 0 to 7 bytes, little-endian.
std::uint64_t load_tail(const unsigned char* p, std::size_t n) {
  std::uint64_t word = 0;
  for (std::size_t i = n; i-- > 0;)
    word = (word << 8) | p[i];
  return word;
}

std::uint64_t rotate_left(std::uint64_t v, int bits) {
  return (v << bits) | (v >> (64 - bits));
}

// Spreads every input bit over the whole result.
std::uint64_t avalanche(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::uint64_t word_hash(std::string_view body) {
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  std::size_t left = body.size();
  std::uint64_t hash = 0x9e3779b97f4a7c15ULL ^ left;
  for (; left >= 8; p += 8, left -= 8) {
    hash ^= rotate_left(load_word(p) * 0x87c37b91114253d5ULL, 31) *
            0x4cf5ad432745937fULL;
    hash = rotate_left(hash, 27) * 5 + 0x52dce729;
  }
  hash ^= load_tail(p, left) * 0x87c37b91114253d5ULL;
  return avalanche(hash);
}

} // namespace

std::uint64_t body_fingerprint(std::string_view body, std::uint8_t version) {
  return version == fnv1a_fingerprint ? fnv1a(body) : word_hash(body);
}

} // namespace introvy::domain
