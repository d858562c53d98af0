#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

using namespace introvy::config;
namespace fs = std::filesystem;

namespace {

constexpr const char* webhook_secret_value = "s3cr3t-webhook-value";
constexpr const char* api_key_value = "s3cr3t-api-key-value";
constexpr const char* client_secret_value = "s3cr3t-client-value";

// Every test sees the same variables, whatever order the cases run in.
void set_test_environment() {
  setenv("INTROVY_TEST_WEBHOOK_SECRET", webhook_secret_value, 1);
  setenv("INTROVY_TEST_API_KEY", api_key_value, 1);
  setenv("INTROVY_TEST_CLIENT_SECRET", client_secret_value, 1);
  unsetenv("INTROVY_TEST_UNSET");
}

// The smallest valid file: only webhook.secrets is required.
const std::string minimal = R"([webhook]
secrets = ["env:INTROVY_TEST_WEBHOOK_SECRET"]
)";

service_config load(const std::string& text) {
  set_test_environment();
  return load_string(text, "test.toml");
}

// The message of the config_error that loading `text` throws.
std::string error_of(const std::string& text) {
  try {
    load(text);
  } catch (const config_error& e) {
    return e.what();
  }
  FAIL("expected a config_error for:\n" << text);
  return {};
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// A folder under the system's temporary folder, removed with its contents.
class temp_dir {
public:
  temp_dir() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("introvy-config-test-" + std::to_string(random()));
    fs::create_directories(path_);
  }

  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  fs::path write(const std::string& name, const std::string& text) const {
    auto path = path_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

fs::path example_path() {
  return fs::path(__FILE__).parent_path() / ".." / ".." / "examples" /
         "introvy.toml";
}

} // namespace

TEST_CASE("a file that sets every key is read back key for key") {
  auto config = load(R"(
[log]
level = "debug"

[server]
listen = "0.0.0.0:9090"
public_url = "https://introvy.example.com"
max_body_bytes = 131072
header_timeout_ms = 1000
body_timeout_ms = 2000
keep_alive_timeout_ms = 3000
io_threads = 4

[storage]
path = "/srv/introvy"
fsync = false
dedup_retention_days = 7

[webhook]
auth = "hmac-sha256-base64"
secrets = ["env:INTROVY_TEST_WEBHOOK_SECRET", "env:INTROVY_TEST_API_KEY"]
max_pending_acks = 500

[avionte]
base_url = "http://127.0.0.1:8090"
api_key = "env:INTROVY_TEST_API_KEY"
client_id = "partner.api.introvy"
client_secret = "env:INTROVY_TEST_CLIENT_SECRET"

[actors]
scheduler_threads = 3
candidate_idle_timeout_ms = 15000

[[tenant]]
front_office_tenant_id = 6
org = "acme-staffing"
tenant = "apitest"
requests_per_second = 2.5

[tenant.stages]
"Phone Interview Scheduled" = ["research_brief", "practice_audio"]
"Screening" = []

[[tenant]]
front_office_tenant_id = 7
org = "brightpath-talent"
tenant = "brightpath"
requests_per_second = 5
)");

  CHECK(config.source == "test.toml");
  CHECK(config.log_level == "debug");

  CHECK(config.server.listen.host == "0.0.0.0");
  CHECK(config.server.listen.port == 9090);
  CHECK(config.server.public_url == "https://introvy.example.com");
  CHECK(config.server.max_body_bytes == 131072);
  CHECK(config.server.header_timeout == std::chrono::milliseconds(1000));
  CHECK(config.server.body_timeout == std::chrono::milliseconds(2000));
  CHECK(config.server.keep_alive_timeout == std::chrono::milliseconds(3000));
  CHECK(config.server.io_threads == 4);

  CHECK(config.storage.path == "/srv/introvy");
  CHECK_FALSE(config.storage.fsync);
  CHECK(config.storage.dedup_retention == std::chrono::hours(7 * 24));

  CHECK(config.webhook.auth == webhook_auth::hmac_sha256_base64);
  REQUIRE(config.webhook.secrets.size() == 2);
  CHECK(config.webhook.secrets[0].reference ==
        "env:INTROVY_TEST_WEBHOOK_SECRET");
  CHECK(config.webhook.secrets[0].value == webhook_secret_value);
  CHECK(config.webhook.secrets[1].value == api_key_value);
  CHECK(config.webhook.max_pending_acks == 500);

  CHECK(config.avionte.base_url == "http://127.0.0.1:8090");
  REQUIRE(config.avionte.api_key);
  CHECK(config.avionte.api_key->reference == "env:INTROVY_TEST_API_KEY");
  CHECK(config.avionte.api_key->value == api_key_value);
  CHECK(config.avionte.client_id == "partner.api.introvy");
  REQUIRE(config.avionte.client_secret);
  CHECK(config.avionte.client_secret->value == client_secret_value);

  CHECK(config.actors.scheduler_threads == 3);
  CHECK(config.actors.candidate_idle_timeout ==
        std::chrono::milliseconds(15000));

  REQUIRE(config.tenants.size() == 2);
  const auto& acme = config.tenants[0];
  CHECK(acme.front_office_tenant_id == 6);
  CHECK(acme.org == "acme-staffing");
  CHECK(acme.tenant == "apitest");
  CHECK(acme.requests_per_second == 2.5);
  REQUIRE(acme.stages.size() == 2);
  CHECK(acme.stages.at("Phone Interview Scheduled") ==
        std::vector<std::string>{"research_brief", "practice_audio"});
  CHECK(acme.stages.at("Screening").empty());

  const auto& brightpath = config.tenants[1];
  CHECK(brightpath.front_office_tenant_id == 7);
  CHECK(brightpath.org == "brightpath-talent");
  CHECK(brightpath.tenant == "brightpath");
  CHECK(brightpath.requests_per_second == 5.0);
  CHECK(brightpath.stages.empty());
}

TEST_CASE("absent keys take the documented defaults") {
  auto config = load(minimal);
  service_config defaults;

  CHECK(config.log_level == "info");
  CHECK(config.server.listen.host == defaults.server.listen.host);
  CHECK(config.server.listen.port == defaults.server.listen.port);
  CHECK(config.server.public_url == defaults.server.public_url);
  CHECK(config.server.max_body_bytes == default_max_body_bytes);
  CHECK(config.server.header_timeout == default_header_timeout);
  CHECK(config.server.body_timeout == default_body_timeout);
  CHECK(config.server.keep_alive_timeout == default_keep_alive_timeout);
  CHECK(config.server.io_threads == defaults.server.io_threads);

  CHECK(config.storage.path == defaults.storage.path);
  CHECK(config.storage.fsync);
  CHECK(config.storage.dedup_retention == default_dedup_retention);

  CHECK(config.webhook.auth == webhook_auth::shared_secret);
  CHECK(config.webhook.max_pending_acks == default_max_pending_acks);

  CHECK(config.avionte.base_url == defaults.avionte.base_url);
  CHECK_FALSE(config.avionte.api_key);
  CHECK(config.avionte.client_id.empty());
  CHECK_FALSE(config.avionte.client_secret);

  CHECK(config.actors.scheduler_threads == defaults.actors.scheduler_threads);
  CHECK(config.actors.candidate_idle_timeout == default_candidate_idle);
  CHECK(config.tenants.empty());
}

TEST_CASE("a tenant without requests_per_second or stages takes defaults") {
  auto config = load(minimal + R"(
[[tenant]]
front_office_tenant_id = 9
org = "o"
tenant = "t"
)");
  REQUIRE(config.tenants.size() == 1);
  CHECK(config.tenants[0].requests_per_second == 4.0);
  CHECK(config.tenants[0].stages.empty());
}

TEST_CASE("a TOML syntax error names the file, line and column") {
  auto error = error_of(minimal + "[server]\nlisten = \n");
  CHECK(starts_with(error, "test.toml:4:"));
}

TEST_CASE("an unknown key is rejected with its file, line and dotted path") {
  SECTION("in a known table") {
    auto error = error_of(minimal + "[server]\nlisen = \"127.0.0.1:1\"\n");
    CHECK(error == "test.toml:4:1: server.lisen: unknown key");
  }
  SECTION("at the top level") {
    auto error = error_of(minimal + "[servr]\n");
    CHECK(starts_with(error, "test.toml:3:"));
    CHECK(error.find(": servr: unknown key") != std::string::npos);
  }
  SECTION("inside a tenant") {
    auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
request_per_second = 3
)");
    CHECK(error == "test.toml:7:1: tenant[0].request_per_second: unknown key");
  }
}

TEST_CASE("a value of the wrong type names the expected type") {
  SECTION("a string where an integer belongs") {
    auto error = error_of(minimal + "[server]\nio_threads = \"two\"\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("server.io_threads: expected an integer, got a string") !=
          std::string::npos);
  }
  SECTION("an integer where a boolean belongs") {
    auto error = error_of(minimal + "[storage]\nfsync = 1\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("storage.fsync: expected a boolean") != std::string::npos);
  }
  SECTION("a value where a table belongs") {
    auto error = error_of("server = 3\n" + minimal);
    CHECK(starts_with(error, "test.toml:1:"));
    CHECK(error.find("server: expected a table") != std::string::npos);
  }
  SECTION("a string where requests_per_second's number belongs") {
    auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
requests_per_second = "fast"
)");
    CHECK(starts_with(error, "test.toml:7:"));
    CHECK(error.find("tenant[0].requests_per_second: expected a number") !=
          std::string::npos);
  }
}

TEST_CASE("a value out of its range names its file, line and key") {
  SECTION("max_body_bytes above 16 MiB") {
    auto error = error_of(minimal + "[server]\nmax_body_bytes = 16777217\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("server.max_body_bytes: must be between 1 and") !=
          std::string::npos);
  }
  SECTION("io_threads above 64") {
    auto error = error_of(minimal + "[server]\nio_threads = 65\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("server.io_threads:") != std::string::npos);
  }
  SECTION("scheduler_threads of 0") {
    auto error = error_of(minimal + "[actors]\nscheduler_threads = 0\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("actors.scheduler_threads:") != std::string::npos);
  }
  SECTION("dedup_retention_days of 0") {
    auto error = error_of(minimal + "[storage]\ndedup_retention_days = 0\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("storage.dedup_retention_days: must be") !=
          std::string::npos);
  }
  SECTION("a listen address without a port") {
    auto error = error_of(minimal + "[server]\nlisten = \"localhost\"\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("server.listen: ") != std::string::npos);
  }
  SECTION("requests_per_second of 0") {
    auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
requests_per_second = 0
)");
    CHECK(starts_with(error, "test.toml:7:"));
    CHECK(error.find("tenant[0].requests_per_second: must be") !=
          std::string::npos);
  }
  SECTION("an unknown log level") {
    auto error = error_of(minimal + "[log]\nlevel = \"loud\"\n");
    CHECK(starts_with(error, "test.toml:4:"));
    CHECK(error.find("log.level: unknown level \"loud\"") != std::string::npos);
  }
}

TEST_CASE("an unknown webhook auth mode lists the accepted modes") {
  auto error = error_of(R"([webhook]
auth = "sha1"
secrets = ["env:INTROVY_TEST_WEBHOOK_SECRET"]
)");
  CHECK(error == "test.toml:2:8: webhook.auth: unknown mode \"sha1\" "
                 "(expected shared-secret, hmac-sha256-hex, "
                 "hmac-sha256-base64, api-key)");
}

TEST_CASE("a missing required key names the line of its table") {
  SECTION("webhook.secrets in a [webhook] table") {
    auto error = error_of("[log]\nlevel = \"info\"\n[webhook]\nauth = "
                          "\"api-key\"\n");
    CHECK(error == "test.toml:3:1: webhook.secrets: required key is missing");
  }
  SECTION("webhook.secrets with no [webhook] table at all") {
    auto error = error_of("[log]\nlevel = \"info\"\n");
    CHECK(error == "test.toml:1:1: webhook.secrets: required key is missing");
  }
  SECTION("an empty webhook.secrets") {
    auto error = error_of("[webhook]\nsecrets = []\n");
    CHECK(starts_with(error, "test.toml:2:"));
    CHECK(error.find("webhook.secrets: must list at least one secret") !=
          std::string::npos);
  }
  SECTION("a tenant's org") {
    auto error = error_of(minimal + R"(
[[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"

[[tenant]]
front_office_tenant_id = 2
tenant = "u"
)");
    CHECK(error == "test.toml:9:1: tenant[1].org: required key is missing");
  }
  SECTION("a tenant's front_office_tenant_id") {
    auto error =
        error_of(minimal + "[[tenant]]\norg = \"o\"\ntenant = \"t\"\n");
    CHECK(error == "test.toml:3:1: tenant[0].front_office_tenant_id: "
                   "required key is missing");
  }
  SECTION("an empty tenant code") {
    auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = ""
)");
    CHECK(starts_with(error, "test.toml:6:"));
    CHECK(error.find("tenant[0].tenant: must not be empty") !=
          std::string::npos);
  }
}

TEST_CASE("two tenants with the same front office id are rejected") {
  auto error = error_of(minimal + R"(
[[tenant]]
front_office_tenant_id = 6
org = "acme-staffing"
tenant = "apitest"

[[tenant]]
front_office_tenant_id = 6
org = "brightpath-talent"
tenant = "brightpath"
)");
  CHECK(starts_with(error, "test.toml:10:"));
  CHECK(error.find("tenant[1].front_office_tenant_id: duplicate id 6") !=
        std::string::npos);
}

TEST_CASE("a front office id that is not positive is rejected") {
  auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 0
org = "o"
tenant = "t"
)");
  CHECK(starts_with(error, "test.toml:4:"));
  CHECK(error.find("tenant[0].front_office_tenant_id: must be at least 1") !=
        std::string::npos);
}

TEST_CASE("an unknown workflow name in a stage is rejected with its position") {
  auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
[tenant.stages]
"Screening" = []
"Phone Interview Scheduled" = ["research_brief", "research-brief"]
)");
  CHECK(starts_with(error, "test.toml:9:"));
  CHECK(error.find("tenant[0].stages.\"Phone Interview Scheduled\"[1]: "
                   "unknown workflow \"research-brief\" (expected "
                   "video_submission, research_brief, practice_audio, "
                   "practice_video, thank_you)") != std::string::npos);
}

TEST_CASE("a stage whose value is not a list of names is rejected") {
  auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
[tenant.stages]
Screening = "thank_you"
)");
  CHECK(starts_with(error, "test.toml:8:"));
  CHECK(error.find("tenant[0].stages.Screening: expected an array") !=
        std::string::npos);
}

TEST_CASE("two stage keys of a tenant that normalise alike are rejected") {
  auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
[tenant.stages]
"On Hold" = []
"Phone Interview Scheduled" = ["research_brief"]
"ON HOLD " = ["thank_you"]
)");
  CHECK(error == "test.toml:10:1: tenant[0].stages.\"ON HOLD \": the same "
                 "stage as \"On Hold\" (line 8) once spaces and case are "
                 "ignored");
}

TEST_CASE("a workflow listed twice for one stage is rejected") {
  auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
[tenant.stages]
Selected = ["thank_you", "research_brief", "thank_you"]
)");
  CHECK(starts_with(error, "test.toml:8:"));
  CHECK(error.find("tenant[0].stages.Selected[2]: workflow \"thank_you\" is "
                   "listed twice") != std::string::npos);
}

TEST_CASE("remove_stages and replace_default_stages are read from a tenant") {
  auto config = load(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
remove_stages = ["On Hold", "no show"]

[[tenant]]
front_office_tenant_id = 2
org = "p"
tenant = "u"
replace_default_stages = true
)");
  REQUIRE(config.tenants.size() == 2);
  CHECK(config.tenants[0].remove_stages ==
        std::vector<std::string>{"On Hold", "no show"});
  CHECK_FALSE(config.tenants[0].replace_default_stages);
  CHECK(config.tenants[1].remove_stages.empty());
  CHECK(config.tenants[1].replace_default_stages);
}

TEST_CASE("removing a stage the default map does not have is rejected") {
  auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
remove_stages = ["On Hold", "Offer Extended"]
)");
  CHECK(error == "test.toml:7:29: tenant[0].remove_stages[1]: \"Offer "
                 "Extended\" is not a stage of the default map");
}

TEST_CASE("a stage removed twice or removed and set is rejected") {
  SECTION("removed twice, spelt differently") {
    auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
remove_stages = ["On Hold", "on hold"]
)");
    CHECK(error == "test.toml:7:29: tenant[0].remove_stages[1]: \"on hold\" "
                   "is listed twice");
  }
  SECTION("removed and set in [tenant.stages]") {
    auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
remove_stages = ["Selected"]
[tenant.stages]
selected = ["research_brief"]
)");
    CHECK(error == "test.toml:7:18: tenant[0].remove_stages[0]: "
                   "\"Selected\" is also set in [tenant.stages]");
  }
  SECTION("removed from a tenant that replaces the default map") {
    auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
replace_default_stages = true
remove_stages = ["Selected"]
)");
    CHECK(error == "test.toml:8:17: tenant[0].remove_stages: has nothing to "
                   "remove when replace_default_stages = true");
  }
}

TEST_CASE("remove_stages and replace_default_stages of the wrong type are "
          "rejected") {
  auto error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
remove_stages = "On Hold"
)");
  CHECK(error == "test.toml:7:17: tenant[0].remove_stages: expected an array "
                 "of stage names, got a string");

  error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
remove_stages = [1]
)");
  CHECK(error == "test.toml:7:18: tenant[0].remove_stages[0]: expected a "
                 "string, got an integer");

  error = error_of(minimal + R"([[tenant]]
front_office_tenant_id = 1
org = "o"
tenant = "t"
replace_default_stages = "yes"
)");
  CHECK(error == "test.toml:7:26: tenant[0].replace_default_stages: expected "
                 "a boolean, got a string");
}

TEST_CASE("env: secrets are resolved from the environment") {
  auto config = load(minimal + R"([avionte]
api_key = "env:INTROVY_TEST_API_KEY"
)");
  REQUIRE(config.webhook.secrets.size() == 1);
  CHECK(config.webhook.secrets[0].value == webhook_secret_value);
  REQUIRE(config.avionte.api_key);
  CHECK(config.avionte.api_key->value == api_key_value);
  CHECK_FALSE(config.avionte.client_secret);
}

TEST_CASE("file: secrets are read relative to the configuration's folder") {
  temp_dir dir;
  fs::create_directories(dir.path() / "secrets");
  dir.write("secrets/webhook", "from-a-file\n\n");
  auto absolute = dir.write("client", "client-from-a-file\r\n");
  auto path = dir.write("introvy.toml", R"([webhook]
secrets = ["file:secrets/webhook"]
[avionte]
client_secret = "file:)" + absolute.string() +
                                            R"("
)");

  auto config = load_file(path.string());
  CHECK(config.source == path.string());
  REQUIRE(config.webhook.secrets.size() == 1);
  CHECK(config.webhook.secrets[0].reference == "file:secrets/webhook");
  CHECK(config.webhook.secrets[0].value == "from-a-file");
  REQUIRE(config.avionte.client_secret);
  CHECK(config.avionte.client_secret->value == "client-from-a-file");
}

TEST_CASE("a missing or empty file: secret names the key and the file") {
  temp_dir dir;
  dir.write("empty", "\n");
  SECTION("missing") {
    auto path = dir.write("introvy.toml", R"([webhook]
secrets = ["file:absent"]
)");
    try {
      load_file(path.string());
      FAIL("expected a config_error");
    } catch (const config_error& e) {
      std::string error = e.what();
      CHECK(starts_with(error, path.string() + ":2:"));
      CHECK(error.find("webhook.secrets[0]: cannot read file") !=
            std::string::npos);
    }
  }
  SECTION("empty") {
    auto path = dir.write("introvy.toml", R"([webhook]
secrets = ["file:empty"]
)");
    try {
      load_file(path.string());
      FAIL("expected a config_error");
    } catch (const config_error& e) {
      std::string error = e.what();
      CHECK(starts_with(error, path.string() + ":2:"));
      CHECK(error.find("webhook.secrets[0]: file ") != std::string::npos);
      CHECK(error.find("is empty") != std::string::npos);
    }
  }
}

TEST_CASE("a missing env variable is named, and no secret value is printed") {
  auto error = error_of(R"([webhook]
secrets = ["env:INTROVY_TEST_WEBHOOK_SECRET", "env:INTROVY_TEST_UNSET"]
[avionte]
api_key = "env:INTROVY_TEST_API_KEY"
)");
  CHECK(starts_with(error, "test.toml:2:"));
  CHECK(error.find("webhook.secrets[1]") != std::string::npos);
  CHECK(error.find("INTROVY_TEST_UNSET") != std::string::npos);
  CHECK(error.find(webhook_secret_value) == std::string::npos);
  CHECK(error.find(api_key_value) == std::string::npos);
  CHECK(error.find(client_secret_value) == std::string::npos);
}

TEST_CASE("an empty env variable is treated as missing") {
  setenv("INTROVY_TEST_EMPTY", "", 1);
  auto error = error_of(minimal + R"([avionte]
client_secret = "env:INTROVY_TEST_EMPTY"
)");
  CHECK(starts_with(error, "test.toml:4:"));
  CHECK(error.find("avionte.client_secret: environment variable "
                   "INTROVY_TEST_EMPTY") != std::string::npos);
}

TEST_CASE("a secret written in clear is rejected without being printed") {
  auto error = error_of(R"([webhook]
secrets = ["hunter2-in-clear"]
)");
  CHECK(error == "test.toml:2:12: webhook.secrets[0]: must be a reference "
                 "env:NAME or file:PATH");
}

TEST_CASE("find_tenant finds a tenant by its front office id") {
  auto config = load(minimal + R"(
[[tenant]]
front_office_tenant_id = 6
org = "acme-staffing"
tenant = "apitest"

[[tenant]]
front_office_tenant_id = 7
org = "brightpath-talent"
tenant = "brightpath"
)");
  REQUIRE(config.find_tenant(7) != nullptr);
  CHECK(config.find_tenant(7)->tenant == "brightpath");
  REQUIRE(config.find_tenant(6) != nullptr);
  CHECK(config.find_tenant(6)->org == "acme-staffing");
  CHECK(config.find_tenant(8) == nullptr);
}

TEST_CASE("load_file reports a file it cannot read") {
  temp_dir dir;
  auto path = (dir.path() / "absent.toml").string();
  try {
    load_file(path);
    FAIL("expected a config_error");
  } catch (const config_error& e) {
    CHECK(std::string(e.what()) == path + ": cannot read");
  }
}

TEST_CASE("the example configuration loads with its variables set") {
  setenv("INTROVY_WEBHOOK_SECRET", "demo-webhook", 1);
  setenv("AVIONTE_API_KEY", "demo-key", 1);
  setenv("AVIONTE_CLIENT_SECRET", "demo-client", 1);

  auto config = load_file(example_path().string());
  CHECK(config.server.listen.host == "127.0.0.1");
  CHECK(config.server.listen.port == 8080);
  CHECK(config.storage.path == "var/introvy");
  CHECK(config.webhook.auth == webhook_auth::shared_secret);
  REQUIRE(config.webhook.secrets.size() == 1);
  CHECK(config.webhook.secrets[0].value == "demo-webhook");
  CHECK(config.avionte.base_url == "http://127.0.0.1:8090");
  CHECK(config.avionte.client_id == "partner.api.introvy");
  REQUIRE(config.tenants.size() == 2);
  CHECK(config.tenants[0].front_office_tenant_id == 6);
  CHECK(config.tenants[0].stages.size() == 2);
  CHECK(config.tenants[0].remove_stages == std::vector<std::string>{"On Hold"});
  CHECK(config.tenants[1].tenant == "brightpath");
  CHECK(config.tenants[1].requests_per_second == 5.0);
}

TEST_CASE("parse_endpoint splits a host from a port") {
  auto local = parse_endpoint("127.0.0.1:8080");
  CHECK(local.host == "127.0.0.1");
  CHECK(local.port == 8080);

  CHECK(parse_endpoint("localhost:0").port == 0);
  CHECK(parse_endpoint("0.0.0.0:65535").port == 65535);
  CHECK(parse_endpoint("[::1]:443").host == "::1");
}

TEST_CASE("parse_endpoint rejects text that is not HOST:PORT") {
  CHECK_THROWS_AS(parse_endpoint("127.0.0.1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint(":8080"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("127.0.0.1:"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("127.0.0.1:65536"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("127.0.0.1:-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("127.0.0.1:80x"), std::invalid_argument);
  CHECK_THROWS_AS(parse_endpoint("127.0.0.1:99999999999999999999"),
                  std::invalid_argument);
}

TEST_CASE("parse_webhook_auth knows the four modes") {
  CHECK(parse_webhook_auth("shared-secret") == webhook_auth::shared_secret);
  CHECK(parse_webhook_auth("hmac-sha256-hex") == webhook_auth::hmac_sha256_hex);
  CHECK(parse_webhook_auth("hmac-sha256-base64") ==
        webhook_auth::hmac_sha256_base64);
  CHECK(parse_webhook_auth("api-key") == webhook_auth::api_key);
  CHECK_FALSE(parse_webhook_auth("sha1"));
}
