#include "sim/dataset.hpp"

#include <array>
#include <cstdio>
#include <random>

namespace introvy::sim {
namespace {

using json = nlohmann::json;

constexpr std::array tenant_codes{"apitest",   "brightpath", "northwind",
                                  "summitpro", "lakeshore",  "redwood"};
constexpr std::array first_names{"Avery", "Jordan", "Morgan", "Riley",
                                 "Casey", "Quinn",  "Taylor", "Skyler"};
constexpr std::array last_names{"Lindqvist", "Okafor",   "Brennan", "Tanaka",
                                "Moreau",    "Castillo", "Novak",   "Haddad"};
constexpr std::array job_titles{"Forklift Operator", "Warehouse Associate",
                                "CNC Machinist",     "Medical Assistant",
                                "Payroll Clerk",     "Line Cook"};
constexpr std::array companies{"Acme Logistics", "Globex Foods",
                               "Initech Health", "Umbrella Parts"};
constexpr std::array offices{"Chicago", "Dallas", "Denver"};

// Spellings a real tenant's pipeline shows: the default names with other
// case or spacing, and names the default map does not know.
constexpr std::array odd_stage_names{
    "  selected", "PIPELINED", "Onsite  Interview Scheduled ", "phone screen"};
constexpr std::array unknown_stage_names{"Offer Extended", "Reference Check",
                                         "Awaiting Paperwork"};

// Three of the date forms Avionté mixes, plus its "empty" date.
std::string avionte_date(std::mt19937_64& rng, int form) {
  int month = 1 + static_cast<int>(rng() % 12);
  int day = 1 + static_cast<int>(rng() % 28);
  int hour = static_cast<int>(rng() % 24),
      minute = static_cast<int>(rng() % 60);
  char text[64];
  switch (form % 4) {
  case 0:
    std::snprintf(text, sizeof text, "2024-%02d-%02dT%02d:%02d:52.033Z", month,
                  day, hour, minute);
    break;
  case 1:
    std::snprintf(text, sizeof text, "2023-%02d-%02dT%02d:%02d:14.8", month,
                  day, hour, minute);
    break;
  case 2:
    std::snprintf(text, sizeof text, "2024-%02d-%02dT%02d:%02d:51.193+00:00",
                  month, day, hour, minute);
    break;
  default:
    return "0001-01-01T00:00:00Z";
  }
  return text;
}

template <class Array>
std::string pick(std::mt19937_64& rng, const Array& values) {
  return values[rng() % values.size()];
}

std::string digits(std::int64_t value, int width) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*lld", width,
                static_cast<long long>(value));
  return text;
}

address canary_address(std::string_view kind, std::int64_t n,
                       std::vector<std::string>& canaries) {
  address a;
  a.street1 = "CANARY-" + std::string{kind} + "-" + digits(n, 6) + " Elm St";
  a.street2 = "Apt CANARY-" + std::string{kind} + "-" + digits(n, 6);
  a.city = "Springfield";
  a.state_province = "IL";
  a.postal_code = "6" + digits(n % 10000, 4);
  a.country = "US";
  canaries.push_back(a.street1);
  canaries.push_back(a.street2);
  return a;
}

// `n` numbers talents across all tenants, so every canary is unique.
talent make_talent(std::int64_t id, std::int64_t n, std::int64_t recruiter,
                   std::mt19937_64& rng, std::vector<std::string>& canaries) {
  talent t;
  t.id = id;
  t.first_name = pick(rng, first_names);
  t.last_name = pick(rng, last_names);
  t.email = "talent" + std::to_string(id) + "@example.test";
  t.representative_user = recruiter;

  auto tag = digits(n, 6);
  t.tax_id_number = "900" + tag;
  t.birthday = "1901-" + digits(1 + n % 12, 2) + "-" + digits(1 + n % 28, 2) +
               "T00:00:00";
  t.gender = n % 2 ? "F" : "M";
  t.race = "CanaryRace" + tag;
  t.disability = "CanaryDisability" + tag;
  t.veteran_status = "CanaryVeteran" + tag;
  t.filing_status = "CanaryFiling" + tag;
  t.i9_validated_date = "1902-03-04T05:06:" + digits(n % 60, 2);
  t.home_phone = "555-901-" + digits(n % 10000, 4);
  t.mobile_phone = "555-902-" + digits(n % 10000, 4);
  t.work_phone = "555-903-" + digits(n % 10000, 4);
  t.resume = "CANARY-RESUME-" + tag + ": ten years of forklift operation.";
  t.federal_allowances = static_cast<int>(n % 5);
  t.state_allowances = static_cast<int>(n % 3);
  t.additional_federal_withholding = 12.5 + static_cast<double>(n % 7);
  for (auto* value : {&t.tax_id_number, &t.birthday, &t.race, &t.disability,
                      &t.veteran_status, &t.filing_status, &t.i9_validated_date,
                      &t.home_phone, &t.mobile_phone, &t.work_phone, &t.resume})
    canaries.push_back(*value);
  t.resident = canary_address("RESIDENT", n, canaries);
  t.mailing = canary_address("MAILING", n, canaries);
  t.payroll = canary_address("PAYROLL", n, canaries);
  return t;
}

std::vector<std::string> tenant_stages() {
  std::vector<std::string> stages = default_stage_names();
  stages.insert(stages.end(), odd_stage_names.begin(), odd_stage_names.end());
  stages.insert(stages.end(), unknown_stage_names.begin(),
                unknown_stage_names.end());
  return stages;
}

void fill_tenant(tenant_data& tenant, const dataset_options& options,
                 std::mt19937_64& rng, std::int64_t& talent_counter,
                 std::vector<std::string>& canaries) {
  auto base = tenant.id * 100'000;
  tenant.stages = tenant_stages();

  // Recruiters.
  for (unsigned i = 1; i <= options.users_per_tenant; ++i) {
    user u{base + 100 + i, pick(rng, first_names), pick(rng, last_names), "",
           pick(rng, offices)};
    u.email = "recruiter" + std::to_string(u.id) + "@" + tenant.code + ".test";
    tenant.users[u.id] = u;
  }
  auto recruiter = [&](std::int64_t i) {
    return base + 101 + i % options.users_per_tenant;
  };

  // Jobs.
  for (unsigned i = 1; i <= options.jobs_per_tenant; ++i) {
    job j;
    j.id = base + 1000 + i;
    j.title = pick(rng, job_titles);
    j.company_id = base + 50 + i % companies.size();
    j.company_name = companies[i % companies.size()];
    j.owner_user_id = recruiter(i);
    j.representative_users = {recruiter(i), recruiter(i + 1)};
    j.entered_by_user_id = recruiter(i + 2);
    j.notes = "<p>Steel-toe boots <b>required</b>.</p>";
    j.status = i % 3 ? "Open" : "Filled";
    j.start_date = avionte_date(rng, static_cast<int>(i));
    j.worksite = {std::to_string(100 + i) + " Industrial Pkwy",
                  "",
                  "Joliet",
                  "IL",
                  "60431",
                  "US"};
    j.pay_rate = 18 + static_cast<double>(rng() % 10);
    j.bill_rate = j.pay_rate * 1.4;
    tenant.jobs[j.id] = j;
  }

  // Talents.
  for (unsigned i = 1; i <= options.talents_per_tenant; ++i)
    tenant.talents[base + 10'000 + i] = make_talent(
        base + 10'000 + i, ++talent_counter, recruiter(i), rng, canaries);

  // Pipeline entries: every stage kind appears once the list is long enough.
  for (unsigned i = 1; i <= options.pipelines_per_tenant; ++i) {
    pipeline_entry p;
    p.id = base + 50'000 + i;
    p.talent_id = base + 10'000 + 1 + (i - 1) % options.talents_per_tenant;
    p.job_id = base + 1000 + 1 + (i - 1) % options.jobs_per_tenant;
    p.job_activity_id = base + 70'000 + i;
    p.stage = tenant.stages[(i * 7 + rng() % 3) % tenant.stages.size()];
    p.stage_type = "Pipeline";
    p.staged_date = avionte_date(rng, static_cast<int>(i));
    p.job_activity_date = avionte_date(rng, static_cast<int>(i + 1));
    p.representative_user_id = recruiter(i);
    tenant.pipelines[p.id] = p;
  }
}

} // namespace

tenant_data* dataset::find_tenant(std::int64_t id) {
  for (auto& t : tenants)
    if (t.id == id)
      return &t;
  return nullptr;
}

tenant_data* dataset::find_tenant(std::string_view code) {
  for (auto& t : tenants)
    if (t.code == code)
      return &t;
  return nullptr;
}

dataset generate_dataset(std::uint64_t seed, const dataset_options& options) {
  dataset data;
  data.seed = seed;
  std::mt19937_64 rng{seed};
  std::int64_t talent_counter = 0;
  auto count = std::min<std::size_t>(options.tenants, tenant_codes.size());
  for (std::size_t i = 0; i < count; ++i) {
    tenant_data tenant;
    tenant.id = 6 + static_cast<std::int64_t>(i);
    tenant.code = tenant_codes[i];
    fill_tenant(tenant, options, rng, talent_counter, data.canaries);
    data.tenants.push_back(std::move(tenant));
  }
  data.next_id = 9'000'000;
  return data;
}

const std::vector<std::string>& default_stage_names() {
  static const std::vector<std::string> names{"Pipelined",
                                              "Online Interview Scheduled",
                                              "Onsite Interview Scheduled",
                                              "Pre-screen Interview Scheduled",
                                              "Selected",
                                              "Pre-screen Interview Completed",
                                              "AI Interview Completed",
                                              "Rejected",
                                              "Declined",
                                              "Not Selected",
                                              "Disqualified",
                                              "Withdrawn",
                                              "Candidate Withdrew",
                                              "On Hold",
                                              "No Show",
                                              "Rescheduled",
                                              "Hired",
                                              "Placed",
                                              "Started",
                                              "Closed",
                                              "Filled",
                                              "Background Check",
                                              "Drug Screen",
                                              "Safety Test",
                                              "Possible Hire Test",
                                              "Applicant",
                                              "Candidate",
                                              "Sourced",
                                              "Screening",
                                              "Phone Screen"};
  return names;
}

const std::vector<activity_type>& activity_types() {
  static const std::vector<activity_type> types{
      {-95, "Pipeline Status Change", "Talent"},
      {-90, "Resume Parsed", "Talent"},
      {1, "General Note", "Talent"},
      {2, "Phone Call", "Talent"},
      {3, "E-mail", "Talent"},
      {4, "Interview Note", "Talent"}};
  return types;
}

json to_json(const address& a) {
  return {{"street1", a.street1},
          {"street2", a.street2},
          {"city", a.city},
          {"state_Province", a.state_province},
          {"postalCode", a.postal_code},
          {"country", a.country}};
}

json to_json(const user& u) {
  return {{"userId", u.id},
          {"firstName", u.first_name},
          {"lastName", u.last_name},
          {"emailAddress", u.email},
          {"officeName", u.office_name},
          {"userName", u.email},
          {"isArchived", false}};
}

json to_json(const job& j, const tenant_data& tenant) {
  return {{"id", j.id},
          {"title", j.title},
          {"companyId", j.company_id},
          {"companyName", j.company_name},
          {"ownerUserId", j.owner_user_id},
          {"representativeUsers", j.representative_users},
          {"enteredByUserId", j.entered_by_user_id},
          {"description", nullptr},
          {"notes", j.notes},
          {"status", j.status},
          {"startDate", j.start_date},
          {"worksiteAddress", to_json(j.worksite)},
          {"payRates", json::array({{{"payRate", j.pay_rate},
                                     {"billRate", j.bill_rate},
                                     {"type", "Regular"}}})},
          {"link", "https://" + tenant.code + ".myavionte.com/app/#/job/" +
                       std::to_string(j.id)}};
}

json to_json(const talent& t, const tenant_data& tenant) {
  return {{"id", t.id},
          {"firstName", t.first_name},
          {"lastName", t.last_name},
          {"emailAddress", t.email},
          {"representativeUser", t.representative_user},
          {"link", "https://" + tenant.code +
                       ".myavionte.com/app/#/applicant/" +
                       std::to_string(t.id)},
          {"taxIdNumber", t.tax_id_number},
          {"birthday", t.birthday},
          {"gender", t.gender},
          {"race", t.race},
          {"disability", t.disability},
          {"veteranStatus", t.veteran_status},
          {"residentAddress", to_json(t.resident)},
          {"mailingAddress", to_json(t.mailing)},
          {"payrollAddress", to_json(t.payroll)},
          {"addresses", json::array({to_json(t.resident), to_json(t.mailing)})},
          {"filingStatus", t.filing_status},
          {"federalAllowances", t.federal_allowances},
          {"stateAllowances", t.state_allowances},
          {"additionalFederalWithholding", t.additional_federal_withholding},
          {"i9ValidatedDate", t.i9_validated_date},
          {"homePhone", t.home_phone},
          {"mobilePhone", t.mobile_phone},
          {"workPhone", t.work_phone},
          {"talentResume", t.resume},
          {"createdDate", "2023-01-24T15:27:14.8"},
          {"lastUpdatedDate", "0001-01-01T00:00:00Z"}};
}

json to_json(const pipeline_entry& p) {
  return {{"id", p.id},
          {"talentId", p.talent_id},
          {"jobId", p.job_id},
          {"jobActivityId", p.job_activity_id},
          {"jobActivityName", p.stage},
          {"stageType", p.stage_type},
          {"stagedDate", p.staged_date},
          {"jobActivityDate", p.job_activity_date},
          {"representativeUserId", p.representative_user_id}};
}

json to_json(const activity& a) {
  return {{"id", a.id},
          {"talentId", a.talent_id},
          {"typeId", a.type_id},
          {"notes", a.notes},
          {"activityDate", a.activity_date},
          {"userId", a.user_id}};
}

json to_json(const activity_type& t) {
  return {{"typeId", t.type_id}, {"name", t.name}, {"show_in", t.show_in}};
}

} // namespace introvy::sim
