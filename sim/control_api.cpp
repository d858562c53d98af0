// The control API under /_sim/: what tests, demos and benchmarks use to look
// at the data, move candidates, inject faults and read what happened.
#include <cstdio>

#include "sim/logger.hpp"
#include "sim/simulator.hpp"

namespace introvy::sim {
namespace {

using json = nlohmann::json;
using net::http_request;
using net::http_response;
using net::json_error;
using net::json_ok;

constexpr std::string_view pipelines_path = "/_sim/pipelines/";
constexpr unsigned max_duplicates = 10;

json pipeline_view(const pipeline_entry& p) {
  return {{"id", p.id},
          {"talentId", p.talent_id},
          {"jobId", p.job_id},
          {"recruiterId", p.representative_user_id},
          {"stage", p.stage}};
}

json tenant_view(const tenant_data& tenant) {
  json view = {{"FrontOfficeTenantId", tenant.id},
               {"tenant", tenant.code},
               {"stages", tenant.stages},
               {"users", json::array()},
               {"jobs", json::array()},
               {"talents", json::array()},
               {"pipelines", json::array()}};
  for (const auto& [id, u] : tenant.users)
    view["users"].push_back(to_json(u));
  for (const auto& [id, j] : tenant.jobs)
    view["jobs"].push_back({{"id", id}, {"title", j.title}});
  for (const auto& [id, t] : tenant.talents)
    view["talents"].push_back({{"id", id},
                               {"firstName", t.first_name},
                               {"lastName", t.last_name},
                               {"emailAddress", t.email}});
  for (const auto& [id, p] : tenant.pipelines)
    view["pipelines"].push_back(pipeline_view(p));
  return view;
}

/// A JSON object body (an empty body reads as {}), or nullopt.
std::optional<json> object_body(const http_request& request) {
  if (request.body.empty())
    return json::object();
  auto doc = json::parse(request.body, nullptr, false);
  if (!doc.is_object())
    return std::nullopt;
  return doc;
}

std::string iso_now_placeholder(std::mt19937_64& rng) {
  char text[40];
  std::snprintf(text, sizeof text, "2025-%02d-%02dT%02d:%02d:%02d.%03dZ",
                static_cast<int>(1 + rng() % 12),
                static_cast<int>(1 + rng() % 28), static_cast<int>(rng() % 24),
                static_cast<int>(rng() % 60), static_cast<int>(rng() % 60),
                static_cast<int>(rng() % 1000));
  return text;
}

} // namespace

void simulator::add_control_routes(net::router& routes) {
  auto add = [&](const char* method, std::string path,
                 std::function<http_response(const http_request&)> handler) {
    routes.add(method, std::move(path),
               [handler](http_request&& request, net::responder respond) {
                 respond(handler(request));
               });
  };
  add("GET", "/_sim/dataset", [this](const auto&) { return dataset_view(); });
  add("POST", "/_sim/pipelines",
      [this](const auto& r) { return add_pipeline(r); });
  add("POST", "/_sim/pipelines/*",
      [this](const auto& r) { return move_pipeline(r); });
  add("POST", "/_sim/stages", [this](const auto& r) { return set_stages(r); });
  add("GET", "/_sim/activities",
      [this](const auto& r) { return list_activities(r); });
  add("GET", "/_sim/deliveries",
      [this](const auto&) { return json_ok(sender_.attempts().dump()); });
  add("GET", "/_sim/requests",
      [this](const auto&) { return json_ok(limiter_.counts().dump()); });
  add("GET", "/_sim/faults",
      [this](const auto&) { return json_ok(faults_.rules().dump()); });
  add("POST", "/_sim/faults", [this](const auto& r) { return add_fault(r); });
  add("DELETE", "/_sim/faults", [this](const auto&) {
    faults_.clear();
    return json_ok(R"({"status":"cleared"})");
  });
  add("POST", "/_sim/reset", [this](const auto&) { return reset(); });
}

http_response simulator::dataset_view() {
  std::lock_guard lock{mutex_};
  json view = {{"seed", data_.seed},
               {"tenants", json::array()},
               {"canaries", data_.canaries}};
  for (const auto& tenant : data_.tenants)
    view["tenants"].push_back(tenant_view(tenant));
  return json_ok(view.dump());
}

std::string simulator::new_correlation_id() {
  auto a = rng_(), b = rng_();
  char text[40];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

// Options every event-producing call takes:
//   include_ids (bool): TalentId and JobId in Resource (default: --include-ids)
//   delay_ms: hold the first attempt back, so later events overtake it
//   duplicates (0-10): extra copies with the same CorrelationId
//   duplicate_delay_ms: when the copies go (after the original's delay)
void simulator::send_webhooks(const tenant_data& tenant,
                              const pipeline_entry& entry,
                              const std::string& event_name,
                              const std::string& correlation_id,
                              const json& options) {
  outgoing_webhook event{tenant.id, event_name, correlation_id, json::object(),
                         false};
  event.resource["PipelineId"] = entry.id;
  if (options.value("include_ids", options_.include_ids)) {
    event.resource["TalentId"] = entry.talent_id;
    event.resource["JobId"] = entry.job_id;
  }
  event.resource["CorrelationId"] = correlation_id;

  auto delay = std::chrono::milliseconds{options.value("delay_ms", 0u)};
  sender_.send(event, delay);
  auto copies = std::min(options.value("duplicates", 0u), max_duplicates);
  auto copy_delay = delay + std::chrono::milliseconds{
                                options.value("duplicate_delay_ms", 0u)};
  event.duplicate = true;
  for (unsigned i = 0; i < copies; ++i)
    sender_.send(event, copy_delay);
  logger()->info("event sent tenant={} correlation_id={} event={} pipeline={}",
                 tenant.id, correlation_id, event_name, entry.id);
}

http_response simulator::move_pipeline(const http_request& request) {
  // POST /_sim/pipelines/{id}/move {"stage": "...", options...}
  auto rest = std::string_view{request.path}.substr(pipelines_path.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash) != "/move")
    return json_error(404, "not_found", "POST /_sim/pipelines/{id}/move");
  std::int64_t id = 0;
  try {
    id = std::stoll(std::string{rest.substr(0, slash)});
  } catch (const std::exception&) {
    return json_error(404, "not_found", "no such pipeline");
  }
  auto body = object_body(request);
  if (!body || !body->contains("stage") || !(*body)["stage"].is_string())
    return json_error(400, "invalid_request", "{\"stage\": \"...\"} expected");

  // Find the entry in whichever tenant holds it and move it.
  std::lock_guard lock{mutex_};
  for (auto& tenant : data_.tenants) {
    auto it = tenant.pipelines.find(id);
    if (it == tenant.pipelines.end())
      continue;
    auto& entry = it->second;
    entry.stage = (*body)["stage"].get<std::string>();
    entry.job_activity_id = data_.next_id++;
    entry.job_activity_date = iso_now_placeholder(rng_);
    auto correlation_id = new_correlation_id();
    send_webhooks(tenant, entry, "job_pipeline_talent_updated", correlation_id,
                  *body);
    return json_ok(json{{"correlation_id", correlation_id},
                        {"tenant", tenant.id},
                        {"pipeline", to_json(entry)}}
                       .dump());
  }
  return json_error(404, "not_found", "no such pipeline");
}

http_response simulator::set_stages(const http_request& request) {
  // POST /_sim/stages [{"pipeline": id, "stage": "..."}, ...]: moves many
  // entries at once without sending webhooks, for a replayer that posts the
  // recorded webhooks itself.
  auto doc = json::parse(request.body, nullptr, false);
  if (!doc.is_array())
    return json_error(400, "invalid_request",
                      "[{\"pipeline\": id, \"stage\": \"...\"}] expected");
  std::size_t updated = 0;
  auto missing = json::array();
  std::lock_guard lock{mutex_};
  for (const auto& item : doc) {
    if (!item.is_object() || !item.contains("pipeline") ||
        !item["pipeline"].is_number_integer() || !item.contains("stage") ||
        !item["stage"].is_string())
      return json_error(400, "invalid_request",
                        "each item needs pipeline (integer) and stage");
    auto id = item["pipeline"].get<std::int64_t>();
    pipeline_entry* entry = nullptr;
    for (auto& tenant : data_.tenants)
      if (auto it = tenant.pipelines.find(id); it != tenant.pipelines.end())
        entry = &it->second;
    if (!entry) {
      missing.push_back(id);
      continue;
    }
    entry->stage = item["stage"].get<std::string>();
    entry->job_activity_id = data_.next_id++;
    ++updated;
  }
  return json_ok(json{{"updated", updated}, {"missing", missing}}.dump());
}

http_response simulator::add_pipeline(const http_request& request) {
  // POST /_sim/pipelines {"tenant": 6, "talent_id": .., "job_id": ..,
  //                       "stage": "Pipelined", options...}
  auto body = object_body(request);
  if (!body || !(*body)["tenant"].is_number_integer() ||
      !(*body)["talent_id"].is_number_integer() ||
      !(*body)["job_id"].is_number_integer())
    return json_error(400, "invalid_request",
                      "tenant, talent_id and job_id (integers) expected");
  std::lock_guard lock{mutex_};
  auto* tenant = data_.find_tenant((*body)["tenant"].get<std::int64_t>());
  if (!tenant)
    return json_error(404, "not_found", "no such tenant");
  auto talent_id = (*body)["talent_id"].get<std::int64_t>();
  auto job_id = (*body)["job_id"].get<std::int64_t>();
  if (!tenant->talents.count(talent_id) || !tenant->jobs.count(job_id))
    return json_error(404, "not_found", "no such talent or job in the tenant");

  pipeline_entry entry;
  entry.id = data_.next_id++;
  entry.talent_id = talent_id;
  entry.job_id = job_id;
  entry.job_activity_id = data_.next_id++;
  entry.stage = body->value("stage", "Pipelined");
  entry.stage_type = "Pipeline";
  entry.staged_date = entry.job_activity_date = iso_now_placeholder(rng_);
  entry.representative_user_id = tenant->jobs[job_id].owner_user_id;
  tenant->pipelines[entry.id] = entry;

  auto correlation_id = new_correlation_id();
  send_webhooks(*tenant, entry, "job_pipeline_talent_added", correlation_id,
                *body);
  return json_ok(json{{"correlation_id", correlation_id},
                      {"tenant", tenant->id},
                      {"pipeline", to_json(entry)}}
                     .dump(),
                 201);
}

http_response simulator::list_activities(const http_request& request) {
  auto tenant_filter = request.query("tenant");
  auto talent_filter = request.query("talent");
  std::lock_guard lock{mutex_};
  auto out = json::array();
  for (const auto& tenant : data_.tenants) {
    if (!tenant_filter.empty() && tenant_filter != std::to_string(tenant.id))
      continue;
    for (const auto& a : tenant.activities) {
      if (!talent_filter.empty() &&
          talent_filter != std::to_string(a.talent_id))
        continue;
      auto entry = to_json(a);
      entry["tenant"] = tenant.id;
      out.push_back(entry);
    }
  }
  return json_ok(out.dump());
}

http_response simulator::add_fault(const http_request& request) {
  auto doc = json::parse(request.body, nullptr, false);
  std::string error;
  auto rule = parse_fault_rule(doc, error);
  if (!rule)
    return json_error(400, "invalid_fault", error);

  // Early revocation happens now; the rest applies to the next calls.
  if (rule->revoke_tokens) {
    std::lock_guard lock{mutex_};
    for (const auto& tenant : data_.tenants)
      if (rule->tenant == 0 || rule->tenant == tenant.id)
        tokens_.revoke_all(tenant.id);
  }
  auto view = to_json(*rule);
  faults_.add(std::move(*rule));
  logger()->info("fault added: {}", view.dump());
  return json_ok(view.dump(), 201);
}

http_response simulator::reset() {
  {
    std::lock_guard lock{mutex_};
    data_ = generate_dataset(options_.seed, options_.data);
    rng_.seed(options_.seed ^ 0x5eedc0ffeeULL);
  }
  faults_.clear();
  tokens_.clear();
  limiter_.clear();
  sender_.clear();
  logger()->info("reset to seed {}", options_.seed);
  return json_ok(R"({"status":"reset"})");
}

} // namespace introvy::sim
