// The simulator's data: tenants with their recruiters (users), jobs,
// talents, pipeline entries and written activities, generated from a seed so
// that the same seed always gives the same records and ids.
//
// Talent records carry every sensitive field Avionté returns, filled with
// canary values (listed in dataset::canaries) that tests look for in places
// where they must never appear.
//
// Plain values: not thread-safe; the simulator guards its copy.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace introvy::sim {

struct address {
  std::string street1, street2, city, state_province, postal_code, country;
};

struct user {
  std::int64_t id = 0;
  std::string first_name, last_name, email, office_name;
};

struct job {
  std::int64_t id = 0;
  std::string title;
  std::int64_t company_id = 0;
  std::string company_name;
  std::int64_t owner_user_id = 0;
  std::vector<std::int64_t> representative_users;
  std::int64_t entered_by_user_id = 0;
  std::string notes; // HTML
  std::string status;
  std::string start_date;
  address worksite;
  double pay_rate = 0, bill_rate = 0;
};

struct talent {
  std::int64_t id = 0;
  std::string first_name, last_name, email;
  std::int64_t representative_user = 0;
  // Sensitive: never to be kept by a client.
  std::string tax_id_number, birthday, gender, race, disability, veteran_status,
      filing_status, i9_validated_date, home_phone, mobile_phone, work_phone,
      resume;
  int federal_allowances = 0, state_allowances = 0;
  double additional_federal_withholding = 0;
  address resident, mailing, payroll;
};

struct pipeline_entry {
  std::int64_t id = 0;
  std::int64_t talent_id = 0, job_id = 0;
  std::int64_t job_activity_id = 0;
  std::string stage; // jobActivityName
  std::string stage_type;
  std::string staged_date, job_activity_date;
  std::int64_t representative_user_id = 0;
};

struct activity {
  std::int64_t id = 0;
  std::int64_t talent_id = 0;
  int type_id = 0;
  std::string notes, activity_date;
  std::int64_t user_id = 0;
};

struct activity_type {
  int type_id = 0; // negative: a system type
  std::string name, show_in;
};

struct tenant_data {
  std::int64_t id = 0; // FrontOfficeTenantId
  std::string code;    // the `Tenant` header's short code
  std::map<std::int64_t, user> users;
  std::map<std::int64_t, job> jobs;
  std::map<std::int64_t, talent> talents;
  std::map<std::int64_t, pipeline_entry> pipelines;
  std::vector<activity> activities;
  std::vector<std::string> stages; // names this tenant's pipelines use
};

struct dataset_options {
  unsigned tenants = 3; // ids 6, 7, 8...; at most 6
  unsigned users_per_tenant = 3;
  unsigned jobs_per_tenant = 4;
  unsigned talents_per_tenant = 12;
  unsigned pipelines_per_tenant = 16;
};

struct dataset {
  std::uint64_t seed = 0;
  std::vector<tenant_data> tenants;
  std::vector<std::string> canaries; // every sensitive string value
  std::int64_t next_id = 0;          // for records added later

  tenant_data* find_tenant(std::int64_t id);
  tenant_data* find_tenant(std::string_view code);
};

/// The same seed and options always give the same dataset.
dataset generate_dataset(std::uint64_t seed, const dataset_options& options);

/// The default stage map's names, as Avionté's sandbox spells them.
const std::vector<std::string>& default_stage_names();

/// The activity types every tenant offers.
const std::vector<activity_type>& activity_types();

// Avionté's JSON shapes.
nlohmann::json to_json(const user& u);
nlohmann::json to_json(const job& j, const tenant_data& tenant);
nlohmann::json to_json(const talent& t, const tenant_data& tenant);
nlohmann::json to_json(const pipeline_entry& p);
nlohmann::json to_json(const activity& a);
nlohmann::json to_json(const activity_type& t);
nlohmann::json to_json(const address& a);

} // namespace introvy::sim
