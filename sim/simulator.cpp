#include "sim/simulator.hpp"

#include <charconv>
#include <variant>

#include "net/signature.hpp"
#include "sim/logger.hpp"

namespace introvy::sim {
namespace {

using json = nlohmann::json;
using net::http_request;
using net::http_response;
using net::json_error;
using net::json_ok;

constexpr const char* api_base = "/front-office/v1/";

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string form_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() + 0 &&
               hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 +
                               hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

/// application/x-www-form-urlencoded -> the value of `name`, or nullopt.
std::optional<std::string> form_field(std::string_view body,
                                      std::string_view name) {
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    auto eq = pair.find('=');
    if (form_decode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? ""
                                          : form_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    body.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

/// No answer at all: the server closes the connection.
http_response dropped() {
  http_response response;
  response.drop_connection = true;
  return response;
}

http_response oauth_error(std::string_view code) {
  return json_ok(json{{"error", code}}.dump(), 400);
}

/// The ids of a multi-query body, or a 400 saying what is wrong.
std::variant<std::vector<std::int64_t>, http_response>
read_ids(const http_request& request) {
  auto doc = json::parse(request.body, nullptr, false);
  if (!doc.is_array())
    return json_error(400, "invalid_request", "the body must be an id array");
  if (doc.size() > max_ids_per_request)
    return json_error(400, "too_many_ids",
                      "at most " + std::to_string(max_ids_per_request) +
                          " ids per request");
  std::vector<std::int64_t> ids;
  for (const auto& id : doc) {
    if (!id.is_number_integer())
      return json_error(400, "invalid_request", "ids must be integers");
    ids.push_back(id.get<std::int64_t>());
  }
  return ids;
}

template <class Map, class Render>
http_response multi_query(const http_request& request, const Map& records,
                          Render render) {
  auto ids = read_ids(request);
  if (auto* refusal = std::get_if<http_response>(&ids))
    return *refusal;
  auto out = json::array();
  for (auto id : std::get<std::vector<std::int64_t>>(ids))
    if (auto it = records.find(id); it != records.end())
      out.push_back(render(it->second));
  return json_ok(out.dump());
}

/// The record named by the path's last segment, or 404.
template <class Map, class Render>
http_response get_one(const http_request& request, std::string_view prefix,
                      const Map& records, Render render) {
  auto id = parse_id(std::string_view{request.path}.substr(prefix.size()));
  auto it = id ? records.find(*id) : records.end();
  if (it == records.end())
    return json_error(404, "not_found", "no such record");
  return json_ok(render(it->second).dump());
}

http_response add_activity(tenant_data& tenant, std::int64_t talent_id,
                           const http_request& request, std::int64_t id) {
  auto doc = json::parse(request.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("typeId") ||
      !doc["typeId"].is_number_integer() ||
      (doc.contains("notes") && !doc["notes"].is_string()))
    return json_error(400, "invalid_request",
                      "typeId (integer) and notes (string) expected");
  activity a;
  a.id = id;
  a.talent_id = talent_id;
  a.type_id = doc["typeId"].get<int>();
  a.notes = doc.value("notes", "");
  a.activity_date = doc.value("activityDate", "0001-01-01T00:00:00Z");
  a.user_id = doc.contains("userId") && doc["userId"].is_number_integer()
                  ? doc["userId"].get<std::int64_t>()
                  : 0;
  tenant.activities.push_back(a);
  return json_ok(to_json(a).dump(), 201);
}

} // namespace

simulator::simulator(simulator_options options, const clock& clock)
    : options_(std::move(options))
    , clock_(clock)
    , data_(generate_dataset(options_.seed, options_.data))
    , rng_(options_.seed ^ 0x5eedc0ffeeULL)
    , tokens_(clock, options_.token_lifetime, options_.seed)
    , limiter_(clock, options_.requests_per_second)
    , faults_(options_.seed)
    , sender_(options_.webhook)
    , delayed_(1) {}

simulator::~simulator() {
  stop();
}

void simulator::stop() {
  delayed_.stop();
  sender_.stop();
}

net::router simulator::routes() {
  net::router routes;
  add_api_routes(routes);
  add_control_routes(routes);
  routes.add("GET", "/healthz", [](http_request&&, net::responder respond) {
    respond(json_ok(R"({"status":"ok"})"));
  });
  return routes;
}

void simulator::add_api_routes(net::router& routes) {
  std::string base = api_base;
  routes.add("POST", "/authorize/token",
             [this](http_request&& request, net::responder respond) {
               token(std::move(request), std::move(respond));
             });

  // Each route: the endpoint's name (for limits, faults and counts) and
  // what it answers for an authorised tenant.
  auto add = [&](const char* method, std::string path, std::string endpoint,
                 tenant_handler handler) {
    routes.add(method, std::move(path),
               [this, endpoint, handler](http_request&& request,
                                         net::responder respond) {
                 serve_api(std::move(request), std::move(respond), endpoint,
                           handler);
               });
  };
  add("POST", base + "pipeline/multi-query", "pipeline",
      [](tenant_data& t, const http_request& r) {
        return multi_query(r, t.pipelines,
                           [](const pipeline_entry& p) { return to_json(p); });
      });
  add("POST", base + "talents/multi-query", "talents",
      [](tenant_data& t, const http_request& r) {
        return multi_query(r, t.talents,
                           [&t](const talent& x) { return to_json(x, t); });
      });
  add("GET", base + "job/*", "job",
      [base](tenant_data& t, const http_request& r) {
        return get_one(r, base + "job/", t.jobs,
                       [&t](const job& j) { return to_json(j, t); });
      });
  add("GET", base + "user/*", "user",
      [base](tenant_data& t, const http_request& r) {
        return get_one(r, base + "user/", t.users,
                       [](const user& u) { return to_json(u); });
      });
  // talent/{id}, talent/activity-types and talent/{id}/activity share a
  // prefix; talent_route() tells them apart.
  for (const char* method : {"GET", "POST"})
    routes.add(method, base + "talent/*",
               [this](http_request&& request, net::responder respond) {
                 auto endpoint = request.path.ends_with("/activity-types")
                                     ? "activity_types"
                                 : request.path.ends_with("/activity")
                                     ? "activity"
                                     : "talent";
                 serve_api(std::move(request), std::move(respond), endpoint,
                           [this](tenant_data& t, const http_request& r) {
                             return talent_route(t, r);
                           });
               });
}

http_response simulator::talent_route(tenant_data& tenant,
                                      const http_request& request) {
  auto rest = std::string_view{request.path}.substr(
      std::string_view{api_base}.size() + 7); // after "talent/"
  if (rest == "activity-types" && request.method == "GET") {
    auto out = json::array();
    for (const auto& type : activity_types())
      out.push_back(to_json(type));
    return json_ok(out.dump());
  }
  auto slash = rest.find('/');
  auto id = parse_id(rest.substr(0, slash));
  auto it = id ? tenant.talents.find(*id) : tenant.talents.end();
  auto tail = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (tail.empty() && request.method == "GET") {
    if (it == tenant.talents.end())
      return json_error(404, "not_found", "no such talent");
    return json_ok(to_json(it->second, tenant).dump());
  }
  if (tail == "/activity" && request.method == "POST") {
    if (it == tenant.talents.end())
      return json_error(404, "not_found", "no such talent");
    return add_activity(tenant, *id, request, data_.next_id++);
  }
  if (tail.empty() || tail == "/activity")
    return json_error(405, "method_not_allowed", "not allowed here");
  return json_error(404, "not_found", "no such endpoint");
}

void simulator::token(http_request&& request, net::responder respond) {
  auto decision = faults_.decide(0, "token");
  if (decision.drop)
    return answer(std::move(respond), dropped(), decision.latency);
  if (decision.status)
    return answer(std::move(respond),
                  json_error(decision.status, "fault", "injected fault"),
                  decision.latency);

  // X-api-key first, then the form's fields, as the gateway checks them.
  http_response response;
  auto field = [&](std::string_view name) {
    return form_field(request.body, name).value_or("");
  };
  if (request.header("X-api-key") != options_.creds.api_key)
    response = json_error(401, "unauthorized", "missing or wrong X-api-key");
  else if (field("grant_type") != "client_credentials")
    response = oauth_error("unsupported_grant_type");
  else if (field("client_id") != options_.creds.client_id ||
           field("client_secret") != options_.creds.client_secret)
    response = oauth_error("invalid_client");
  else if (field("scope") != token_scope)
    response = oauth_error("invalid_scope");
  else
    response = json_ok(json{
        {"access_token", tokens_.issue()},
        {"expires_in", tokens_.lifetime().count()},
        {"token_type",
         "Bearer"}}.dump());
  answer(std::move(respond), std::move(response), decision.latency);
}

std::optional<http_response>
simulator::check_access(const http_request& request,
                        const std::string& endpoint, std::int64_t& tenant_id) {
  if (request.header("X-api-key") != options_.creds.api_key)
    return json_error(401, "unauthorized", "missing or wrong X-api-key");

  // The tenant, by id or by code; unknown ones are refused.
  {
    std::lock_guard lock{mutex_};
    auto by_id = parse_id(request.header("FrontOfficeTenantId"));
    auto code = request.header("Tenant");
    tenant_data* tenant = by_id          ? data_.find_tenant(*by_id)
                          : code.empty() ? nullptr
                                         : data_.find_tenant(code);
    if (!by_id && code.empty())
      return json_error(400, "tenant_required",
                        "send FrontOfficeTenantId or Tenant");
    if (!tenant)
      return json_error(403, "forbidden", "unknown tenant");
    tenant_id = tenant->id;
  }

  auto authorization = request.header("Authorization");
  constexpr std::string_view bearer = "Bearer ";
  if (!authorization.starts_with(bearer) ||
      !tokens_.valid(std::string{authorization.substr(bearer.size())},
                     tenant_id))
    return json_error(401, "unauthorized", "missing, wrong or expired token");

  if (!limiter_.admit(tenant_id, endpoint)) {
    auto refusal = json_error(429, "too_many_requests", "rate limit exceeded");
    refusal.headers.emplace_back("Retry-After", "1");
    return refusal;
  }
  return std::nullopt;
}

void simulator::serve_api(http_request&& request, net::responder respond,
                          const std::string& endpoint,
                          const tenant_handler& handler) {
  // Access rules first: a refused call never reaches the faults.
  std::int64_t tenant_id = 0;
  if (auto refusal = check_access(request, endpoint, tenant_id))
    return respond(std::move(*refusal));

  // Injected faults.
  auto decision = faults_.decide(tenant_id, endpoint);
  if (decision.drop)
    return answer(std::move(respond), dropped(), decision.latency);
  if (decision.status) {
    auto fault = json_error(decision.status, "fault", "injected fault");
    if (decision.retry_after)
      fault.headers.emplace_back("Retry-After",
                                 std::to_string(*decision.retry_after));
    return answer(std::move(respond), std::move(fault), decision.latency);
  }

  // The answer itself, over this tenant's records only.
  http_response response;
  {
    std::lock_guard lock{mutex_};
    response = handler(*data_.find_tenant(tenant_id), request);
  }
  answer(std::move(respond), std::move(response), decision.latency);
}

void simulator::answer(net::responder respond, http_response response,
                       std::chrono::milliseconds latency) {
  if (latency.count() <= 0)
    return respond(std::move(response));
  // The timer thread answers later; the responder keeps the connection.
  delayed_.after(latency,
                 [respond = std::move(respond),
                  response = std::move(response)] { respond(response); });
}

} // namespace introvy::sim
