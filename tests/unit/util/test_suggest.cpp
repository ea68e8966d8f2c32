#include "auditfetch/util/suggest.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;

TEST_SUITE("util.suggest") {
  TEST_CASE("edit distance counts a swap of neighbours as one edit, case aside") {
    CHECK(edit_distance("lsit", "list") == 1);
    CHECK(edit_distance("lst", "list") == 1);
    CHECK(edit_distance("--sinc", "--since") == 1);
    CHECK(edit_distance("PingOne", "pingone") == 0);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
  }

  TEST_CASE("the nearest names: close typos first, then names the word begins") {
    const std::vector<std::string> commands{"list", "get", "tail", "verify", "providers", "config"};
    CHECK(nearest_names("lsit", commands) == std::vector<std::string>{"list"});
    CHECK(nearest_names("provider", commands) == std::vector<std::string>{"providers"});
    CHECK(nearest_names("conf", commands) == std::vector<std::string>{"config"});
    CHECK(nearest_names("xyzzy", commands).empty());
    CHECK(nearest_names("login_faild", {"login", "login_failed", "logout"}) ==
          std::vector<std::string>{"login_failed"});
    CHECK(nearest_names("logn", {"login", "login_failed", "logout"}, 2) ==
          std::vector<std::string>{"login"});
  }

  TEST_CASE("did you mean: quoted names, bare flags, nothing when nothing is near") {
    CHECK(did_you_mean("lsit", {"list", "get"}) == " (did you mean \"list\"?)");
    CHECK(did_you_mean("--sinc", {"--since", "--until"}, false) == " (did you mean --since?)");
    CHECK(did_you_mean("zzz", {"list", "get"}).empty());
  }
}
