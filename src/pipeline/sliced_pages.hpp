#pragma once
// list --parallel: the pages of a listing's time slices, fetched at once over several
// connections, handed out in reading order: every page of the first slice, then the second's.
// A slice whose first page shows it dense is cut again (pipeline/slices.hpp, split_dense), so
// one busy hour does not leave the other connections idle. Pages of later slices wait in
// memory up to a bound; past it their connections wait too, except the one reading the slice
// being handed out, so the run always goes on.

#include "auditfetch/paging/page.hpp"
#include "auditfetch/pipeline/slices.hpp"
#include "auditfetch/pipeline/stages.hpp"
#include "auditfetch/provider/plan.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace auditfetch {

class SlicedPages {
public:
  // Read `slices` (in reading order, `plans` their plans) over `connections` connections
  // opened with stages.connect. Pages of slices not yet handed out are held up to `memory`
  // bytes (their bodies' size).
  SlicedPages(Stages& stages, const std::vector<TimeSlice>& slices, const std::vector<ListPlan>& plans,
              const Query& query, Timestamp now, std::size_t connections, std::size_t memory);
  // Stops the connections, cutting short the requests under way, and joins them.
  ~SlicedPages();
  SlicedPages(const SlicedPages&) = delete;
  SlicedPages& operator=(const SlicedPages&) = delete;

  struct Next {
    Page page;
    const LocalFilter* filter; // its slice's window and filters; lives as long as this object
  };
  // The next page in reading order; nullopt at the end, or early when `interrupted()` turns
  // true. Rethrows a slice's error once the pages before it were handed out.
  std::optional<Next> next(const std::function<bool()>& interrupted);

  // Cut every connection's request short (a signal).
  void cancel();

private:
  struct Slice {
    TimeSlice window;
    ListPlan plan;
    Slice* next = nullptr; // in reading order
    std::deque<std::pair<Page, std::size_t>> pages; // with each body's size
    bool started = false;
    bool first_page = false; // read: it will not be cut any more
    bool done = false;
    std::exception_ptr error;
  };
  void work(Connection& connection);
  Slice* take(); // the first slice not started, in reading order, before any that failed
  std::size_t waiting_slices(); // not started yet
  ListPlan plan_for(const TimeSlice& window) const;

  Stages& m_stages;
  const Query& m_query;
  Timestamp m_now;
  std::size_t m_memory;
  std::size_t m_width; // connections
  std::vector<std::unique_ptr<Connection>> m_connections;
  std::vector<std::thread> m_threads;

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<Slice> m_slices;   // never moved: slices point to each other
  Slice* m_reading = nullptr;   // the slice handed out now; null at the end
  std::size_t m_held = 0;       // bytes of pages waiting
  bool m_stop = false;
};

} // namespace auditfetch
