#include "apps/admin_api.hpp"

#include <caf/all.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

#include "actors/messages.hpp"
#include "domain/webhook_event.hpp"

namespace introvy::apps {
namespace {

using json = nlohmann::json;

// How long a retry waits for the ingress actor before answering 503.
constexpr std::chrono::seconds retry_timeout{5};

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

json parsed_or_text(const std::string& text) {
  auto doc = json::parse(text, nullptr, false);
  return doc.is_discarded() ? json(text) : doc;
}

net::http_response json_response(const json& doc, unsigned status = 200) {
  return net::json_ok(doc.dump(), status);
}

net::http_response unmapped_stages(storage::store& store) {
  json tenants = json::object();
  auto s = store.for_each_unmapped_stage(
      [&](std::int64_t tenant, const std::string& stage, std::uint64_t count) {
        tenants[std::to_string(tenant)].push_back(
            {{"stage", stage}, {"count", count}});
      });
  if (!s.ok())
    return net::json_error(503, "store_unavailable", s.message());
  return json_response({{"tenants", tenants}});
}

// "/admin/tenants/6/candidates/42" -> the candidate's summary and history.
net::http_response candidate(storage::store& store, std::string_view path) {
  constexpr std::string_view prefix = "/admin/tenants/";
  constexpr std::string_view middle = "/candidates/";
  path.remove_prefix(prefix.size());
  auto split = path.find(middle);
  if (split == std::string_view::npos)
    return net::json_error(404, "not_found",
                           "expected /admin/tenants/{tenant}/candidates/{id}");
  auto tenant = parse_int(path.substr(0, split));
  auto talent = parse_int(path.substr(split + middle.size()));
  if (!tenant || !talent)
    return net::json_error(400, "invalid_request",
                           "tenant and talent ids must be integers");

  auto key = domain::candidate_key(*talent);
  std::optional<std::string> summary;
  auto s = store.load_candidate(*tenant, key, summary);
  if (!s.ok())
    return net::json_error(503, "store_unavailable", s.message());
  if (!summary)
    return net::json_error(404, "not_found", "no such candidate");
  json history = json::array();
  s = store.for_each_history(*tenant, key, [&](const std::string& entry) {
    history.push_back(parsed_or_text(entry));
  });
  if (!s.ok())
    return net::json_error(503, "store_unavailable", s.message());
  return json_response({{"tenant", *tenant},
                        {"talent_id", *talent},
                        {"state", parsed_or_text(*summary)},
                        {"decisions", std::move(history)}});
}

net::http_response dead_letters(storage::store& store) {
  json letters = json::array();
  auto s = store.for_each_dead_letter([&](const std::string& record) {
    letters.push_back(parsed_or_text(record));
  });
  if (!s.ok())
    return net::json_error(503, "store_unavailable", s.message());
  return json_response({{"dead_letters", std::move(letters)}});
}

// "/admin/deadletter/17/retry": the ingress moves it back and hands it over.
void retry(caf::actor_system& system, const caf::actor& ingress,
           std::string_view path, net::responder respond) {
  constexpr std::string_view prefix = "/admin/deadletter/";
  constexpr std::string_view suffix = "/retry";
  path.remove_prefix(prefix.size());
  if (!path.ends_with(suffix))
    return respond(net::json_error(404, "not_found",
                                   "expected /admin/deadletter/{seq}/retry"));
  auto seq = parse_int(path.substr(0, path.size() - suffix.size()));
  if (!seq)
    return respond(net::json_error(400, "invalid_request",
                                   "the sequence must be an integer"));
  // A one-shot actor asks the ingress, so the HTTP thread never blocks.
  system.spawn([ingress, seq = static_cast<std::uint64_t>(*seq),
                respond](caf::event_based_actor* self) {
    self->request(ingress, retry_timeout, actors::retry_atom::value, seq)
        .then(
            [respond, seq](std::string& result) {
              if (result == "retried")
                return respond(
                    json_response({{"status", "retried"}, {"seq", seq}}, 202));
              if (result == "unknown")
                return respond(
                    net::json_error(404, "not_found", "no such dead letter"));
              respond(net::json_error(503, "store_unavailable",
                                      "the dead letter could not be moved"));
            },
            [respond](caf::error&) {
              respond(net::json_error(503, "unavailable",
                                      "the service is busy or stopping"));
            });
  });
}

// Wraps a handler so that only loopback clients reach it.
net::request_handler loopback_only(net::request_handler handler) {
  return [handler = std::move(handler)](net::http_request&& request,
                                        net::responder respond) {
    if (!is_loopback(request.remote_address))
      return respond(net::json_error(403, "forbidden",
                                     "admin routes answer loopback only"));
    handler(std::move(request), std::move(respond));
  };
}

} // namespace

bool is_loopback(std::string_view address) {
  constexpr std::string_view mapped = "::ffff:";
  if (address.starts_with(mapped))
    address.remove_prefix(mapped.size());
  return address == "::1" || address.starts_with("127.");
}

void add_admin_routes(net::router& routes, storage::store& store,
                      caf::actor_system& system, const caf::actor& ingress) {
  routes.add("GET", "/admin/unmapped-stages",
             loopback_only([&store](net::http_request&&, net::responder r) {
               r(unmapped_stages(store));
             }));
  routes.add("GET", "/admin/tenants/*",
             loopback_only([&store](net::http_request&& req, net::responder r) {
               r(candidate(store, req.path));
             }));
  routes.add("GET", "/admin/deadletter",
             loopback_only([&store](net::http_request&&, net::responder r) {
               r(dead_letters(store));
             }));
  routes.add("POST", "/admin/deadletter/*",
             loopback_only(
                 [&system, ingress](net::http_request&& req, net::responder r) {
                   retry(system, ingress, req.path, std::move(r));
                 }));
}

} // namespace introvy::apps
