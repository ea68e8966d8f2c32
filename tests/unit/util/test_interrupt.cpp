#include "auditfetch/util/interrupt.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <thread>

using namespace auditfetch;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_SUITE("interrupt") {
  TEST_CASE("a wait sleeps its whole duration, and a signal ends it at once") {
    prepare_interrupt_wakeup();
    auto start = Clock::now();
    CHECK(wait_interruptible(120ms));
    CHECK(Clock::now() - start >= 120ms);

    start = Clock::now();
    std::thread signal([] {
      std::this_thread::sleep_for(100ms);
      request_interrupt(SIGINT);
    });
    CHECK_FALSE(wait_interruptible(30s));
    signal.join();
    CHECK(Clock::now() - start < 10s);
    CHECK_FALSE(wait_interruptible(30s)); // still interrupted: returns at once

    request_interrupt(0); // cleared: waits sleep again
    start = Clock::now();
    CHECK(wait_interruptible(50ms));
    CHECK(Clock::now() - start >= 50ms);
  }
}
