#include <catch2/catch.hpp>
#include <random>

#include "domain/envelope.hpp"

using namespace introvy::domain;

namespace {

const char* sample =
    R"({"EventName":"job_pipeline_talent_updated","FrontOfficeTenantId":6,)"
    R"("Resource":"{\"PipelineId\":555001,\"CorrelationId\":\"7d4f\"}",)"
    R"("ResourceModelType":"Avionte.JobPipelineResourceModel",)"
    R"("CorrelationId":"7d4f2a10-1111-4c2b-9a77-2f5e0b7c9d01"})";

template <class T>
const envelope_error& error_of(const parse_result<T>& r) {
  REQUIRE(std::holds_alternative<envelope_error>(r));
  return std::get<envelope_error>(r);
}

} // namespace

TEST_CASE("a well-formed envelope is parsed with its Resource as text") {
  auto result = parse_envelope(sample);
  REQUIRE(std::holds_alternative<envelope>(result));
  auto& e = std::get<envelope>(result);
  CHECK(e.event_name == "job_pipeline_talent_updated");
  CHECK(e.front_office_tenant_id == 6);
  CHECK(e.correlation_id == "7d4f2a10-1111-4c2b-9a77-2f5e0b7c9d01");
  auto resource = parse_pipeline_resource(e.resource_json);
  REQUIRE(std::holds_alternative<pipeline_resource>(resource));
  CHECK(std::get<pipeline_resource>(resource).pipeline_id == 555001);
  CHECK_FALSE(std::get<pipeline_resource>(resource).talent_id);
}

TEST_CASE("envelope keys are read whatever their case") {
  auto result = parse_envelope(
      R"({"eventname":"X","frontofficetenantid":"7","resource":{"PIPELINEID":1},)"
      R"("correlationid":"c"})");
  REQUIRE(std::holds_alternative<envelope>(result));
  auto& e = std::get<envelope>(result);
  CHECK(e.front_office_tenant_id == 7);
  auto resource = parse_pipeline_resource(e.resource_json);
  CHECK(std::get<pipeline_resource>(resource).pipeline_id == 1);
}

TEST_CASE("a Resource may carry TalentId and JobId, spelled either way") {
  auto r = parse_pipeline_resource(
      R"({"PipelineID":"12","TalentId":34,"JobID":56})");
  auto& p = std::get<pipeline_resource>(r);
  CHECK(p.pipeline_id == 12);
  CHECK(p.talent_id == 34);
  CHECK(p.job_id == 56);
}

TEST_CASE("each missing or mistyped field is named in the error") {
  CHECK(error_of(parse_envelope("not json")).field == "body");
  CHECK(error_of(parse_envelope("[1]")).field == "body");
  CHECK(error_of(parse_envelope(R"({"FrontOfficeTenantId":6})")).field ==
        "EventName");
  CHECK(error_of(parse_envelope(R"({"EventName":"x"})")).field ==
        "FrontOfficeTenantId");
  CHECK(error_of(
            parse_envelope(R"({"EventName":"x","FrontOfficeTenantId":"six"})"))
            .field == "FrontOfficeTenantId");
  CHECK(error_of(
            parse_envelope(
                R"({"EventName":"x","FrontOfficeTenantId":6,"Resource":"{}"})"))
            .field == "CorrelationId");
  CHECK(error_of(parse_envelope(R"({"EventName":"x","FrontOfficeTenantId":6,)"
                                R"("CorrelationId":"c","Resource":5})"))
            .field == "Resource");
  auto& message = error_of(parse_envelope(R"({"EventName":5})")).message;
  CHECK(message.find("EventName") != std::string::npos);
}

TEST_CASE("a Resource that is not JSON or lacks PipelineId is refused") {
  CHECK(error_of(parse_pipeline_resource("{nope")).field == "Resource");
  CHECK(error_of(parse_pipeline_resource(R"({"TalentId":1})")).field ==
        "Resource.PipelineId");
  CHECK(error_of(parse_pipeline_resource(R"({"PipelineId":-3})")).field ==
        "Resource.PipelineId");
}

TEST_CASE("unusual envelopes are read as a JSON document would read them") {
  // A member present twice in different cases: the document's first key.
  auto twice = parse_envelope(
      R"({"eventname":"second","EventName":"first","FrontOfficeTenantId":6,)"
      R"("CorrelationId":"c","Resource":"{}"})");
  REQUIRE(std::holds_alternative<envelope>(twice));
  CHECK(std::get<envelope>(twice).event_name == "first");

  // The same key twice: the last one.
  auto same = parse_envelope(
      R"({"EventName":"a","EventName":"b","FrontOfficeTenantId":6,)"
      R"("CorrelationId":"c","Resource":"{}"})");
  REQUIRE(std::holds_alternative<envelope>(same));
  CHECK(std::get<envelope>(same).event_name == "b");

  // A Resource object is kept as its JSON text.
  auto object = parse_envelope(
      R"({"EventName":"x","FrontOfficeTenantId":6,"CorrelationId":"c",)"
      R"("Resource":{"PipelineId":5}})");
  REQUIRE(std::holds_alternative<envelope>(object));
  CHECK(std::get<envelope>(object).resource_json == R"({"PipelineId":5})");

  const char* rest = R"(,"CorrelationId":"c","Resource":"{}"})";
  auto with_tenant = [&](const char* tenant) {
    return parse_envelope(std::string{R"({"EventName":"x",)"
                                      R"("FrontOfficeTenantId":)"} +
                          tenant + rest);
  };
  CHECK(std::get<envelope>(with_tenant("\"42\"")).front_office_tenant_id == 42);
  CHECK(error_of(with_tenant("18446744073709551615")).field ==
        "FrontOfficeTenantId");
  CHECK(error_of(with_tenant("6.5")).field == "FrontOfficeTenantId");
  CHECK(error_of(with_tenant("[6]")).field == "FrontOfficeTenantId");
  CHECK(error_of(parse_envelope(R"({"EventName":"x","FrontOfficeTenantId":6,)"
                                R"("ResourceModelType":1,"CorrelationId":"c",)"
                                R"("Resource":"{}"})"))
            .field == "ResourceModelType");
  CHECK(error_of(parse_envelope(R"({"EventName":"x","FrontOfficeTenantId":6,)"
                                R"("CorrelationId":"c","Resource":"{}"} x)"))
            .field == "body");
}

TEST_CASE("malformed optional Resource ids are ignored") {
  auto r = parse_pipeline_resource(
      R"({"PipelineId":7,"TalentId":"abc","JobId":[1],"x":{"TalentId":2}})");
  REQUIRE(std::holds_alternative<pipeline_resource>(r));
  auto& p = std::get<pipeline_resource>(r);
  CHECK(p.pipeline_id == 7);
  CHECK_FALSE(p.talent_id);
  CHECK_FALSE(p.job_id);
}

namespace {

bool same(const parse_result<envelope>& a, const parse_result<envelope>& b) {
  if (a.index() != b.index())
    return false;
  if (auto* x = std::get_if<envelope_error>(&a)) {
    auto& y = std::get<envelope_error>(b);
    return x->field == y.field && x->message == y.message;
  }
  auto& x = std::get<envelope>(a);
  auto& y = std::get<envelope>(b);
  return x.event_name == y.event_name &&
         x.front_office_tenant_id == y.front_office_tenant_id &&
         x.correlation_id == y.correlation_id &&
         x.resource_model_type == y.resource_model_type &&
         x.resource_json == y.resource_json;
}

bool same(const parse_result<pipeline_resource>& a,
          const parse_result<pipeline_resource>& b) {
  if (a.index() != b.index())
    return false;
  if (auto* x = std::get_if<envelope_error>(&a)) {
    auto& y = std::get<envelope_error>(b);
    return x->field == y.field && x->message == y.message;
  }
  auto& x = std::get<pipeline_resource>(a);
  auto& y = std::get<pipeline_resource>(b);
  return x.pipeline_id == y.pipeline_id && x.talent_id == y.talent_id &&
         x.job_id == y.job_id;
}

// `text` with one to three random edits drawn from JSON's own characters.
std::string mutate(std::string text, std::mt19937& random) {
  static const std::string alphabet = "{}[]:,\"\\ 0123456789-+.eEtrufalsn"
                                      "\x01\x7f\xc3\xa9/bu";
  auto edits = 1 + random() % 3;
  for (unsigned i = 0; i < edits && !text.empty(); ++i) {
    auto at = random() % text.size();
    char c = alphabet[random() % alphabet.size()];
    switch (random() % 4) {
    case 0:
      text.erase(at, 1);
      break;
    case 1:
      text.insert(text.begin() + at, c);
      break;
    case 2:
      text[at] = c;
      break;
    default:
      text.insert(at, text.substr(at, random() % 12));
      break;
    }
  }
  return text;
}

} // namespace

TEST_CASE("the one-pass reading answers as the document reading does") {
  const std::vector<std::string> envelopes = {
      sample,
      R"({"eventname":"X","frontofficetenantid":"7","resource":{"P":1},)"
      R"("correlationid":"c","ResourceModelType":null})",
      R"( { "EventName" : "a" , "FrontOfficeTenantId" : 18446744073709551615 ,)"
      R"( "CorrelationId" : "\u0041\/\n" , "Resource" : "{\"PipelineId\":1}",)"
      R"( "x" : [ 1 , -2.5e+3 , true , false , null , { } , [ ] ] } )",
      // Escapes in a key and in the values around it: each string is read
      // into the same scratch space, one after the other.
      R"({"x\/y":"a\"b","EventName":"job\/pipeline","FrontOfficeTenantId":7,)"
      R"("CorrelationId":"c\td","Resource":"{\"PipelineId\":2}"})"};
  const std::vector<std::string> resources = {
      R"({"PipelineId":555001,"CorrelationId":"7d4f"})",
      R"({"PipelineID":"12","TalentId":34,"JobID":-56,"x":[{"TalentId":1}]})",
      R"({"pipelineid":9223372036854775807,"talentid":1e3,"jobid":"0"})"};
  std::mt19937 random{20261203};
  for (int i = 0; i < 20000; ++i) {
    auto body = mutate(envelopes[i % envelopes.size()], random);
    INFO(body);
    REQUIRE(same(parse_envelope(body), parse_envelope_document(body)));
    auto resource = mutate(resources[i % resources.size()], random);
    INFO(resource);
    REQUIRE(same(parse_pipeline_resource(resource),
                 parse_pipeline_resource_document(resource)));
  }
}

TEST_CASE("strings are read alike whatever byte stands where in a long run") {
  // The one-pass reader skips plain bytes sixteen at a time: a byte it must
  // stop at, at every position around those blocks, changes nothing.
  const std::vector<std::string> stops = {"\\\"",     "\\n",     "\x01", "\x1f",
                                          "\xc3\xa9", "\\u0041", "\x7f"};
  for (const auto& stop : stops)
    for (std::size_t at = 0; at <= 40; ++at) {
      std::string id(40, 'a');
      id.insert(at, stop);
      auto body = R"({"EventName":"job_pipeline_talent_added",)"
                  R"("FrontOfficeTenantId":6,"CorrelationId":")" +
                  id + R"(","Resource":"{\"PipelineId\":1}"})";
      INFO(body);
      REQUIRE(same(parse_envelope(body), parse_envelope_document(body)));
    }
}

TEST_CASE("subscribed event names compare without regard to case") {
  CHECK(is_subscribed_event("job_pipeline_talent_added"));
  CHECK(is_subscribed_event("Job_Pipeline_Talent_Updated"));
  CHECK_FALSE(is_subscribed_event("talent_updated"));
  CHECK(canonical_event_name("JOB_PIPELINE_TALENT_ADDED") ==
        "job_pipeline_talent_added");
}

TEST_CASE("a body's fingerprint changes with any byte, at any length") {
  // Lengths around the eight-byte words, so the tail is covered too.
  std::string body = "{\"CorrelationId\":\"a\"}";
  for (std::size_t length = 0; length <= body.size(); ++length) {
    auto text = body.substr(0, length);
    CHECK(body_fingerprint(text) == body_fingerprint(text));
    for (std::size_t i = 0; i < length; ++i) {
      auto changed = text;
      changed[i] ^= 1;
      CHECK(body_fingerprint(changed) != body_fingerprint(text));
    }
  }
  CHECK(body_fingerprint("abc") != body_fingerprint("abc "));
}

TEST_CASE("fingerprints are stable: stored ones are compared later") {
  // Version 1 is FNV-1a, as stores written before version 2 hold.
  CHECK(body_fingerprint("a", fnv1a_fingerprint) == 0xaf63dc4c8601ec8cULL);
  CHECK(body_fingerprint("", fnv1a_fingerprint) == 0xcbf29ce484222325ULL);
  // Version 2's values must not change either once records hold them.
  CHECK(body_fingerprint("{\"EventName\":\"job_pipeline_talent_added\"}",
                         word_fingerprint) == 0xa059be7575187043ULL);
  CHECK(body_fingerprint("x") == body_fingerprint("x", word_fingerprint));
}
