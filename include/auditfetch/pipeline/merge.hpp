#pragma once
// Several sources, one stream (list --profile A --profile B): each source reads its listing in
// its own thread, in the merged order, and puts its activities here; one reader takes them in
// time order across the sources, a k-way merge whose memory is bounded per source.
//
// A source learns when what it put has been printed (wait_printed), so that it moves its
// checkpoint only past activities that reached the output.

#include "auditfetch/time/time.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// Thrown to a source that puts or waits after the reader stopped (--limit reached, a signal,
// a failed output).
struct MergeClosed {};

// Which head goes next: the newest (newest first) or the oldest; ties go to the source named
// first. `heads[i]` is nullopt for a source with nothing left. Returns nullopt when no source
// has a head. Pure: the unit tests call it.
std::optional<std::size_t> next_source(const std::vector<std::optional<Timestamp>>& heads, bool newest_first);

class MergeHub {
public:
  // `memory` bytes per source: past it, a source's put waits until the reader takes some.
  MergeHub(std::size_t sources, bool newest_first, std::size_t memory);

  // Source side (one thread per source).
  void put(std::size_t source, Timestamp at, std::string bytes);
  // Wait until everything `source` put has been written and flushed by the reader.
  void wait_printed(std::size_t source);
  // The source has nothing more (listing read, or failed).
  void finish(std::size_t source);

  // Reader side. Hands each activity to `emit` in merged order until every source finished or
  // `stop` says so (checked at least every 100 ms while waiting). `flush` makes what was
  // emitted reach the output; it is called before waiting for a source and before telling a
  // source its activities are printed. Returns the number emitted.
  std::size_t drain(const std::function<bool(std::size_t source, std::string_view bytes)>& emit,
                    const std::function<void()>& flush, const std::function<bool()>& stop);
  // The reader stopped: every source waiting in put or wait_printed, and every later call,
  // throws MergeClosed.
  void close();

private:
  struct Item {
    Timestamp at;
    std::string bytes;
  };
  struct Feed {
    std::deque<Item> items;
    std::size_t bytes = 0;
    std::size_t put = 0;     // items put in all
    std::size_t printed = 0; // items written and flushed
    bool finished = false;
    bool waiting = false; // in wait_printed
  };

  std::mutex m_mutex;
  std::condition_variable m_changed; // to the reader
  std::condition_variable m_space;   // to the sources
  std::vector<Feed> m_feeds;
  bool m_newest_first;
  std::size_t m_memory;
  bool m_closed = false;
};

} // namespace auditfetch

namespace auditfetch {

// Several sources followed at once (tail --profile A --profile B): each source polls in its
// own thread, puts each poll's new activities here and then says how far it has polled. An
// activity is released, oldest first across every source, once every source still polling
// has polled past its time, or once it has waited `max_delay` (a source that is slow or
// failing holds the others back no longer than that).
class TailMerge {
public:
  TailMerge(std::size_t sources, std::chrono::milliseconds max_delay);

  // Source side.
  void put(std::size_t source, Timestamp at, std::string bytes);
  // The source has read everything up to `through`: its poll's time, or the newest activity
  // the poll found when that is later.
  void polled(std::size_t source, Timestamp through);
  // Wait until everything `source` put has been written and flushed by the reader.
  void wait_printed(std::size_t source);
  // The source stopped polling (a signal, or it failed for good): it holds nothing back.
  void finish(std::size_t source);

  // Reader side: until every source finished. Once `stop` says so, everything held is
  // released at once (the sources are stopping too). Returns the number emitted.
  std::size_t drain(const std::function<void(std::size_t source, std::string_view bytes)>& emit,
                    const std::function<void()>& flush, const std::function<bool()>& stop);
  // The reader stopped (its output failed): a source waiting in wait_printed, and every later
  // put or wait_printed, throws MergeClosed.
  void close();

private:
  struct Held {
    Timestamp at;
    std::uint64_t seq; // arrival order: ties keep it
    std::size_t source;
    std::chrono::steady_clock::time_point arrived;
    std::string bytes;
  };
  struct Source {
    std::optional<Timestamp> through;
    std::size_t put = 0;
    std::size_t printed = 0;
    bool finished = false;
  };

  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::condition_variable m_printed;
  std::vector<Source> m_sources;
  std::vector<Held> m_held; // unordered; the reader sorts what it releases
  std::chrono::milliseconds m_max_delay;
  std::uint64_t m_seq = 0;
  bool m_closed = false;
};

} // namespace auditfetch
