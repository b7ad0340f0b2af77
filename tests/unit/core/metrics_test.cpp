#include "core/metrics/prometheus_text.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "core/metrics/restart_reason.hpp"
#include "core/metrics/shm_region.hpp"

using namespace gpp::core::metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace

TEST_CASE("durations land in Prometheus buckets (upper bound inclusive)", "[metrics]") {
  CHECK(bucket_for(0) == 0);
  CHECK(bucket_for(5'000) == 0);
  CHECK(bucket_for(5'001) == 1);
  CHECK(bucket_for(1'000'000) == 7);
  CHECK(bucket_for(10'000'000) == 10);
  CHECK(bucket_for(10'000'001) == kBuckets - 1);
  CHECK(status_index(100) == 1);
  CHECK(status_index(599) == kStatusCounters - 1);
  CHECK(status_index(0) == 0);
  CHECK(status_index(600) == 0);
}

TEST_CASE("slots fold into the retired totals and are reused", "[metrics]") {
  ShmRegion region = ShmRegion::create();
  auto a = region.acquire();
  auto b = region.acquire();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
  region.assign(*a, 101);
  region.assign(*b, 102);
  WorkerSlot& sa = region.area().slots[*a];
  WorkerSlot& sb = region.area().slots[*b];
  record_request(sa, 200, 1'000);
  record_request(sa, 200, 30'000);
  record_request(sb, 404, 2'000'000);
  record_request(sb, 500, 20'000'000);

  Snapshot before = take_snapshot(region.area(), 0);
  CHECK(before.by_status[status_index(200)] == 2);
  CHECK(before.workers.size() == 2);

  sa.exit_reason.store(static_cast<std::uint32_t>(ExitReason::MaxRequests));
  CHECK(region.release(*a) == ExitReason::MaxRequests);
  CHECK(sa.used.load() == 0);
  CHECK(sa.counters.by_status[status_index(200)].load() == 0);
  Snapshot after = take_snapshot(region.area(), 0);
  // Counters never go backwards: the reaped worker's counts are in the totals.
  CHECK(after.by_status == before.by_status);
  CHECK(after.buckets == before.buckets);
  CHECK(after.duration_sum_us == 1'000 + 30'000 + 2'000'000 + 20'000'000);
  CHECK(after.workers.size() == 1);
  CHECK(after.workers[0].pid == 102);

  auto c = region.acquire();
  REQUIRE(c);
  CHECK(*c == *a);  // the freed slot is reused, zeroed
  CHECK(region.area().slots[*c].exit_reason.load() == 0);
  CHECK(region.area().high_water.load() == 2);
}

TEST_CASE("the snapshot reports in-flight requests and the oldest one's age", "[metrics]") {
  ShmRegion region = ShmRegion::create();
  auto a = region.acquire();
  auto b = region.acquire();
  auto c = region.acquire();
  region.assign(*a, 1);
  region.assign(*b, 2);
  region.assign(*c, 3);
  region.area().slots[*a].in_flight = 3;
  region.area().slots[*a].oldest_start_ns = 5'000'000'000;
  region.area().slots[*b].in_flight = 1;
  region.area().slots[*b].oldest_start_ns = 2'000'000'000;
  Snapshot snap = take_snapshot(region.area(), 4'500'000'000);
  CHECK(snap.in_flight == 4);
  CHECK(snap.oldest_age_s == Approx(2.5));
  REQUIRE(snap.workers.size() == 3);
  CHECK(snap.workers[0].busy);
  CHECK(snap.workers[1].busy);
  CHECK_FALSE(snap.workers[2].busy);
}

TEST_CASE("render: text format 0.0.4 with cumulative buckets", "[metrics]") {
  Snapshot snap;
  snap.by_status[status_index(200)] = 7;
  snap.by_status[status_index(500)] = 2;
  snap.buckets[0] = 5;
  snap.buckets[3] = 3;
  snap.buckets[kBuckets - 1] = 1;
  snap.duration_sum_us = 12'500'000;
  snap.in_flight = 2;
  snap.oldest_age_s = 1.25;
  snap.restarts[static_cast<std::size_t>(ExitReason::Crash)] = 4;
  snap.workers = {{10, true, 4096}, {11, false, 0}};
  std::string text = render_prometheus(snap);
  INFO(text);
  CHECK(has_line(text, "# TYPE gunicornpp_requests_total counter"));
  CHECK(has_line(text, "gunicornpp_requests_total{status=\"200\"} 7"));
  CHECK(has_line(text, "gunicornpp_requests_total{status=\"500\"} 2"));
  CHECK(text.find("status=\"404\"") == std::string::npos);
  CHECK(has_line(text, "# TYPE gunicornpp_request_duration_seconds histogram"));
  CHECK(has_line(text, "gunicornpp_request_duration_seconds_bucket{le=\"0.005\"} 5"));
  CHECK(has_line(text, "gunicornpp_request_duration_seconds_bucket{le=\"0.025\"} 5"));
  CHECK(has_line(text, "gunicornpp_request_duration_seconds_bucket{le=\"0.05\"} 8"));
  CHECK(has_line(text, "gunicornpp_request_duration_seconds_bucket{le=\"10\"} 8"));
  CHECK(has_line(text, "gunicornpp_request_duration_seconds_bucket{le=\"+Inf\"} 9"));
  CHECK(has_line(text, "gunicornpp_request_duration_seconds_count 9"));
  CHECK(has_line(text, "gunicornpp_request_duration_seconds_sum 12.500000"));
  CHECK(has_line(text, "gunicornpp_requests_in_flight 2"));
  CHECK(has_line(text, "gunicornpp_oldest_request_age_seconds 1.250000"));
  CHECK(has_line(text, "gunicornpp_workers{state=\"busy\"} 1"));
  CHECK(has_line(text, "gunicornpp_workers{state=\"idle\"} 1"));
  CHECK(has_line(text, "gunicornpp_worker_restarts_total{reason=\"crash\"} 4"));
  CHECK(has_line(text, "gunicornpp_worker_restarts_total{reason=\"oom\"} 0"));
  CHECK(has_line(text, "gunicornpp_worker_rss_bytes{pid=\"10\"} 4096"));
  CHECK(text.find("pid=\"11\"") == std::string::npos);
  CHECK(text.back() == '\n');
  // Every sample belongs to a family announced by HELP and TYPE before it.
  std::size_t pos = 0;
  std::string family;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
    } else if (line[0] != '#') {
      INFO(line);
      CHECK(line.rfind(family, 0) == 0);
    }
  }
}

TEST_CASE("restart reasons", "[metrics]") {
  ExitFacts f;
  f.exit_code = 0;
  f.marked = ExitReason::MaxRequests;
  CHECK(restart_reason(f) == ExitReason::MaxRequests);
  f.stopping = true;
  CHECK(restart_reason(f) == ExitReason::None);

  ExitFacts kill9;
  kill9.term_signal = SIGKILL;
  CHECK(restart_reason(kill9) == ExitReason::Crash);
  kill9.oom_kills_rose = true;
  CHECK(restart_reason(kill9) == ExitReason::Oom);
  kill9.arbiter_sent_kill = true;
  kill9.timed_out = true;
  CHECK(restart_reason(kill9) == ExitReason::Timeout);

  ExitFacts aborted;
  aborted.exit_code = 1;
  aborted.timed_out = true;
  CHECK(restart_reason(aborted) == ExitReason::Timeout);

  ExitFacts segv;
  segv.term_signal = SIGSEGV;
  CHECK(restart_reason(segv) == ExitReason::Crash);
  ExitFacts code1;
  code1.exit_code = 1;
  code1.marked = ExitReason::MaxRequests;
  CHECK(restart_reason(code1) == ExitReason::Crash);

  ExitFacts hup;
  hup.exit_code = 0;
  hup.retired = ExitReason::Reload;
  CHECK(restart_reason(hup) == ExitReason::Reload);
  hup.retired = ExitReason::ScaleDown;
  CHECK(restart_reason(hup) == ExitReason::ScaleDown);

  // Surge-first: the worker that reached max_requests is TERMed by the arbiter.
  ExitFacts surge;
  surge.exit_code = 0;
  surge.marked = ExitReason::MaxRequests;
  surge.retired = ExitReason::Reload;
  CHECK(restart_reason(surge) == ExitReason::MaxRequests);

  ExitFacts clean;
  clean.exit_code = 0;
  CHECK(restart_reason(clean) == ExitReason::Other);
}
