#include "core/metrics/prometheus_text.hpp"

#include <algorithm>
#include <cstdio>

namespace gpp::core::metrics {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

void add(Snapshot& snap, const RequestCounters& c) {
  for (std::size_t i = 0; i < kStatusCounters; ++i) snap.by_status[i] += c.by_status[i].load(kRelaxed);
  for (std::size_t i = 0; i < kBuckets; ++i) snap.buckets[i] += c.buckets[i].load(kRelaxed);
  snap.duration_sum_us += c.duration_sum_us.load(kRelaxed);
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name_and_labels, std::uint64_t value) {
  out += name_and_labels;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", s);
  return buf;
}

std::string bound_label(std::uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(us) / 1e6);
  return buf;
}

}  // namespace

Snapshot take_snapshot(const MetricsArea& area, std::int64_t now_ns) {
  Snapshot snap;
  add(snap, area.retired.counters);
  for (std::size_t i = 0; i < kExitReasons; ++i) snap.restarts[i] = area.retired.restarts[i].load(kRelaxed);
  std::int64_t oldest = 0;
  std::size_t high = std::min<std::size_t>(area.high_water.load(kRelaxed), kMaxSlots);
  for (std::size_t i = 0; i < high; ++i) {
    const WorkerSlot& slot = area.slots[i];
    if (slot.used.load(kRelaxed) == 0) continue;
    add(snap, slot.counters);
    std::uint32_t in_flight = slot.in_flight.load(kRelaxed);
    snap.in_flight += in_flight;
    std::int64_t start = slot.oldest_start_ns.load(kRelaxed);
    if (in_flight > 0 && start > 0 && (oldest == 0 || start < oldest)) oldest = start;
    pid_t pid = slot.pid.load(kRelaxed);
    if (pid > 0) snap.workers.push_back({pid, in_flight > 0, 0});
  }
  if (oldest > 0 && now_ns > oldest) snap.oldest_age_s = static_cast<double>(now_ns - oldest) / 1e9;
  return snap;
}

std::string render_prometheus(const Snapshot& snap) {
  std::string out;
  out.reserve(4096);

  header(out, "gunicornpp_requests_total", "counter", "Requests answered, by HTTP status code.");
  for (std::size_t i = 0; i < kStatusCounters; ++i) {
    if (snap.by_status[i] == 0) continue;
    std::string status = i == 0 ? "other" : std::to_string(kMinStatus + static_cast<int>(i) - 1);
    sample(out, "gunicornpp_requests_total{status=\"" + status + "\"}", snap.by_status[i]);
  }

  header(out, "gunicornpp_request_duration_seconds", "histogram",
         "Time from handing the request to the app to the end of the response.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    cumulative += snap.buckets[i];
    std::string le = i < kBucketBoundsUs.size() ? bound_label(kBucketBoundsUs[i]) : "+Inf";
    sample(out, "gunicornpp_request_duration_seconds_bucket{le=\"" + le + "\"}", cumulative);
  }
  out += "gunicornpp_request_duration_seconds_sum " + seconds(static_cast<double>(snap.duration_sum_us) / 1e6) + "\n";
  sample(out, "gunicornpp_request_duration_seconds_count", cumulative);

  header(out, "gunicornpp_requests_in_flight", "gauge", "Requests inside the app right now.");
  sample(out, "gunicornpp_requests_in_flight", snap.in_flight);

  header(out, "gunicornpp_oldest_request_age_seconds", "gauge",
         "Age of the oldest request inside the app (0 when none).");
  out += "gunicornpp_oldest_request_age_seconds " + seconds(snap.oldest_age_s) + "\n";

  std::uint64_t busy = 0;
  for (const auto& w : snap.workers) busy += w.busy ? 1 : 0;
  header(out, "gunicornpp_workers", "gauge", "Live workers, busy (running a request) or idle.");
  sample(out, "gunicornpp_workers{state=\"busy\"}", busy);
  sample(out, "gunicornpp_workers{state=\"idle\"}", snap.workers.size() - busy);

  header(out, "gunicornpp_worker_restarts_total", "counter", "Workers that exited, by reason.");
  for (std::size_t i = 1; i < kExitReasons; ++i) {
    sample(out, std::string("gunicornpp_worker_restarts_total{reason=\"") + reason_label(static_cast<ExitReason>(i)) +
                    "\"}",
           snap.restarts[i]);
  }

  header(out, "gunicornpp_worker_rss_bytes", "gauge", "Resident set size of each live worker.");
  for (const auto& w : snap.workers) {
    if (w.rss_bytes == 0) continue;
    sample(out, "gunicornpp_worker_rss_bytes{pid=\"" + std::to_string(w.pid) + "\"}", w.rss_bytes);
  }
  return out;
}

}  // namespace gpp::core::metrics
