#include "auditfetch/util/error.hpp"
#include "auditfetch/util/spill_stack.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace auditfetch;

namespace {

std::vector<std::string> items(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(std::string(i % 7, 'x') + std::to_string(i) + (i % 3 == 0 ? std::string("\0\n\xff", 3) : ""));
  out.emplace_back(); // an empty item too
  return out;
}

std::vector<std::string> popped(SpillStack& stack) {
  std::vector<std::string> out;
  std::string item;
  while (stack.pop(item))
    out.push_back(item);
  return out;
}

std::vector<std::string> reversed(std::vector<std::string> v) {
  return {v.rbegin(), v.rend()};
}

} // namespace

TEST_SUITE("spill stack") {
  TEST_CASE("in memory below the threshold, last in first out") {
    SpillStack stack(100, 1 << 20, std::filesystem::temp_directory_path().string());
    const auto in = items(50);
    for (const auto& item : in)
      stack.push(item);
    CHECK_FALSE(stack.spilled());
    CHECK(stack.size() == in.size());
    CHECK(popped(stack) == reversed(in));
    CHECK(stack.size() == 0);
  }

  TEST_CASE("past the item or byte threshold, the same bytes from a temporary file") {
    // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
    for (const auto& limits : {std::pair<std::size_t, std::size_t>{0, 1 << 20}, {10, 1 << 20}, {1000, 64}}) {
      const std::size_t max_items = limits.first, max_bytes = limits.second;
      CAPTURE(max_items);
      SpillStack stack(max_items, max_bytes, std::filesystem::temp_directory_path().string());
      const auto in = items(20000); // several write chunks
      for (const auto& item : in)
        stack.push(item);
      CHECK(stack.spilled());
      CHECK(popped(stack) == reversed(in));
    }
  }

  TEST_CASE("pushes after pops continue the file") {
    SpillStack stack(2, 1 << 20, std::filesystem::temp_directory_path().string());
    for (const char* item : {"a", "b", "c", "d"})
      stack.push(item);
    std::string item;
    CHECK(stack.pop(item));
    CHECK(item == "d");
    stack.push("e");
    CHECK(popped(stack) == std::vector<std::string>{"e", "c", "b", "a"});
  }

  TEST_CASE("a directory that cannot hold the file is an error naming it") {
    SpillStack stack(0, 1 << 20, "/nonexistent/auditfetch");
    try {
      stack.push("a");
      FAIL("pushed without a file");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("/nonexistent/auditfetch") != std::string::npos);
    }
  }
}
