// The k-way merge of several sources: which head goes next, and the hub between the sources'
// threads and the one reader (bounded memory, "printed" only after a flush, closing).
#include "auditfetch/pipeline/merge.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace auditfetch;

namespace {

Timestamp at(long long seconds) { return Timestamp{std::chrono::seconds{seconds}}; }

} // namespace

TEST_CASE("next_source picks the newest head, or the oldest, ties to the source named first") {
  const std::vector<std::optional<Timestamp>> heads{at(5), std::nullopt, at(9), at(9), at(1)};
  CHECK(next_source(heads, true) == 2u);
  CHECK(next_source(heads, false) == 4u);
  CHECK(next_source({std::nullopt, std::nullopt}, true) == std::nullopt);
  CHECK(next_source({}, false) == std::nullopt);
}

TEST_CASE("the hub merges sources read in their own threads into one time order") {
  // Three sources, each newest first, interleaved in time.
  const std::vector<std::vector<long long>> sources{{90, 60, 30, 0}, {80, 50, 20}, {100, 70, 40, 10}};
  MergeHub hub(sources.size(), true, 64);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < sources.size(); ++i)
    threads.emplace_back([&, i] {
      for (const auto t : sources[i]) {
        hub.put(i, at(t), std::to_string(t));
        hub.wait_printed(i); // a page of one: delivered only once printed
      }
      hub.finish(i);
    });
  std::vector<std::string> out;
  std::size_t flushes = 0;
  const auto emitted = hub.drain(
      [&](std::size_t, std::string_view bytes) {
        out.emplace_back(bytes);
        return true;
      },
      [&] { ++flushes; }, [] { return false; });
  for (auto& thread : threads)
    thread.join();
  CHECK(emitted == 11u);
  CHECK(out == std::vector<std::string>{"100", "90", "80", "70", "60", "50", "40", "30", "20", "10", "0"});
  CHECK(flushes > 0);
}

TEST_CASE("a source is told its activities are printed only after the reader flushed them") {
  MergeHub hub(1, true, 1 << 20);
  std::atomic<bool> flushed{false};
  std::atomic<bool> told{false};
  std::thread source([&] {
    hub.put(0, at(1), "a");
    hub.put(0, at(0), "b");
    hub.wait_printed(0);
    CHECK(flushed.load());
    told = true;
    hub.finish(0);
  });
  hub.drain([](std::size_t, std::string_view) { return true; }, [&] { flushed = true; }, [] { return false; });
  source.join();
  CHECK(told.load());
}

TEST_CASE("a source over its memory waits for the reader; closing releases it") {
  MergeHub hub(2, true, 4);
  std::atomic<int> put{0};
  bool closed = false;
  std::thread source([&] {
    try {
      for (int i = 0; i < 100; ++i) {
        hub.put(0, at(100 - i), "1234");
        ++put;
      }
    } catch (const MergeClosed&) {
      closed = true;
    }
    hub.finish(0);
  });
  // Source 1 never puts anything: the reader has no head from it, and source 0 stops at its
  // bound: one item of four bytes.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(put.load() == 1);
  hub.close();
  source.join();
  CHECK(closed);
  CHECK_THROWS_AS(hub.put(1, at(0), "x"), MergeClosed);
  CHECK_THROWS_AS(hub.wait_printed(1), MergeClosed);
}

TEST_CASE("the reader stops when emit says so, and every item it emitted was flushed") {
  MergeHub hub(1, false, 1 << 20);
  std::thread source([&] {
    try {
      for (int i = 0; i < 10; ++i)
        hub.put(0, at(i), std::to_string(i));
      hub.wait_printed(0);
    } catch (const MergeClosed&) {
    }
    hub.finish(0);
  });
  std::vector<std::string> out;
  bool flushed_after_last = false;
  hub.drain(
      [&](std::size_t, std::string_view bytes) {
        out.emplace_back(bytes);
        flushed_after_last = false;
        return out.size() < 3;
      },
      [&] { flushed_after_last = true; }, [] { return false; });
  hub.close();
  source.join();
  CHECK(out == std::vector<std::string>{"0", "1", "2"});
  CHECK(flushed_after_last);
}

TEST_CASE("tail: an activity waits until every source has polled past its time, or max_delay") {
  using namespace std::chrono_literals;
  TailMerge merge(2, 1500ms);
  std::vector<std::string> out;
  std::mutex out_mutex;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    merge.drain(
        [&](std::size_t, std::string_view bytes) {
          std::lock_guard lock(out_mutex);
          out.emplace_back(bytes);
        },
        [] {}, [&] { return stop.load(); });
  });
  const auto printed = [&] {
    std::lock_guard lock(out_mutex);
    return out;
  };
  // What is printed once the reader had its chance (up to 10 s, for slow sanitizer runs).
  const auto printed_soon = [&](std::size_t n) {
    for (int i = 0; i < 1000 && printed().size() < n; ++i)
      std::this_thread::sleep_for(10ms);
    return printed();
  };
  merge.put(0, at(20), "a20");
  merge.polled(0, at(30));
  std::this_thread::sleep_for(100ms);
  CHECK(printed().empty()); // source 1 has not polled past 20 yet
  merge.put(1, at(10), "b10");
  merge.polled(1, at(25));
  CHECK(printed_soon(2) == std::vector<std::string>{"b10", "a20"}); // in time order across sources
  const auto put_at = std::chrono::steady_clock::now();
  merge.put(0, at(28), "a28");
  merge.polled(0, at(40));
  CHECK(printed_soon(3) == std::vector<std::string>{"b10", "a20", "a28"}); // max_delay passed
  CHECK(std::chrono::steady_clock::now() - put_at >= 1500ms); // not before: source 1 is at 25
  merge.finish(0);
  merge.put(1, at(50), "b50");
  merge.finish(1); // no source left to wait for: everything goes
  reader.join();
  CHECK(printed() == std::vector<std::string>{"b10", "a20", "a28", "b50"});
}

TEST_CASE("tail: wait_printed returns once the reader printed the source's activities; close releases it") {
  TailMerge merge(1, std::chrono::hours(1));
  std::thread source([&] {
    merge.put(0, at(1), "x");
    merge.polled(0, at(2));
    merge.wait_printed(0);
    merge.finish(0);
  });
  std::size_t flushes = 0;
  CHECK(merge.drain([](std::size_t, std::string_view) {}, [&] { ++flushes; }, [] { return false; }) == 1u);
  source.join();
  CHECK(flushes == 1u);
  TailMerge closed(1, std::chrono::hours(1));
  std::thread waiting([&] {
    closed.put(0, at(1), "y");
    CHECK_THROWS_AS(closed.wait_printed(0), MergeClosed);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  closed.close();
  waiting.join();
  CHECK_THROWS_AS(closed.put(0, at(2), "z"), MergeClosed);
}
