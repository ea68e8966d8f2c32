// Where a run's credentials come from: flags, the environment and the config profile, in
// that order, for the first of the definition's schemes they fit.
#include "auditfetch/auth/scheme.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

namespace auditfetch {
namespace {

using Kind = CredentialNeeds::Kind;
using Schemes = std::vector<std::unique_ptr<AuthScheme>>;

const std::string k_token_var = "AUDITFETCH_TOKEN";
const std::pair<std::string, std::string> k_pair_vars = {"AUDITFETCH_CLIENT_ID",
                                                         "AUDITFETCH_CLIENT_SECRET"};

std::optional<std::size_t> first_of_kind(const Schemes& schemes, Kind kind) {
  for (std::size_t i = 0; i < schemes.size(); ++i)
    if (schemes[i]->needs().kind == kind)
      return i;
  return std::nullopt;
}

void set_token_url(Credentials& c, const AuthScheme& scheme, const CredentialFlags& flags,
                   const Vars& vars, const EnvLookup& env) {
  if (!scheme.needs().token_url)
    return;
  if (flags.token_url) {
    c.token_url = *flags.token_url;
    c.token_url_source = "--token-url";
  } else if (auto url = env("AUDITFETCH_TOKEN_URL")) {
    c.token_url = *url;
    c.token_url_source = "AUDITFETCH_TOKEN_URL";
  } else if (flags.profile && flags.profile->token_url) {
    c.token_url = *flags.profile->token_url;
    c.token_url_source = "token-url in " + flags.profile->source_of("token-url");
  } else {
    c.token_url = expand_template(scheme.token_url_template(), vars, Encoding::path_segment);
    c.token_url_source = "definition";
  }
  origin_of(c.token_url, c.token_url_source);
}

// A token from a variable: AUDITFETCH_TOKEN for the first token scheme (unless `generic` is
// false), then each token scheme's own variables.
std::optional<ResolvedCredentials> token_from_env(const Schemes& schemes, const EnvLookup& env,
                                                  bool read, bool generic) {
  std::vector<std::pair<std::size_t, std::string>> candidates;
  if (const auto first = first_of_kind(schemes, Kind::token); first && generic)
    candidates.emplace_back(*first, k_token_var);
  for (std::size_t i = 0; i < schemes.size(); ++i)
    for (const auto& var : schemes[i]->needs().token_env)
      candidates.emplace_back(i, var);
  for (const auto& [index, var] : candidates)
    if (auto value = env(var)) {
      ResolvedCredentials r{index, {}, {}};
      r.credentials.source = var;
      if (read)
        r.credentials.token = trim(*value);
      return r;
    }
  return std::nullopt;
}

std::optional<ResolvedCredentials> pair_from_env(const std::string& provider, const Schemes& schemes,
                                                 const CredentialFlags& flags, const Vars& vars,
                                                 const EnvLookup& env, bool read, bool generic) {
  std::vector<std::pair<std::size_t, std::pair<std::string, std::string>>> candidates;
  if (const auto first = first_of_kind(schemes, Kind::client_pair); first && generic)
    candidates.emplace_back(*first, k_pair_vars);
  for (std::size_t i = 0; i < schemes.size(); ++i)
    for (const auto& pair : schemes[i]->needs().pair_env)
      candidates.emplace_back(i, pair);
  for (const auto& [index, names] : candidates) {
    const auto& [id_var, secret_var] = names;
    auto id = env(id_var);
    auto secret = env(secret_var);
    if (!id && !secret)
      continue;
    if (!id || !secret)
      throw Error(ErrorKind::usage,
                  fmt::format("{}: {} is set but {} is not", provider, id ? id_var : secret_var,
                              id ? secret_var : id_var),
                  "a client id and its secret go together");
    ResolvedCredentials r{index, {}, {}};
    r.credentials.kind = Kind::client_pair;
    r.credentials.source = id_var + "/" + secret_var;
    if (read) {
      r.credentials.client_id = trim(*id);
      r.credentials.client_secret = trim(*secret);
    }
    set_token_url(r.credentials, *schemes[index], flags, vars, env);
    return r;
  }
  return std::nullopt;
}

// Whether the profile gives credentials this provider can use: then they come as a unit before
// the generic variables, which are meant for whichever provider a run names.
bool profile_gives_credentials(const Schemes& schemes, const ProfileLayer* profile) {
  if (!profile)
    return false;
  return (profile->token && first_of_kind(schemes, Kind::token)) ||
         (profile->client_id && profile->client_secret && first_of_kind(schemes, Kind::client_pair));
}

// The generic variables that are set and would apply, but are passed over for the profile's
// credentials: for a -v line.
std::vector<std::string> generic_passed_over(const Schemes& schemes, const EnvLookup& env) {
  std::vector<std::string> names;
  if (first_of_kind(schemes, Kind::token) && env(k_token_var))
    names.push_back(k_token_var);
  if (first_of_kind(schemes, Kind::client_pair))
    for (const auto& name : {k_pair_vars.first, k_pair_vars.second})
      if (env(name))
        names.push_back(name);
  return names;
}

// The profile's credentials: its token, else its client id and secret.
std::optional<ResolvedCredentials> from_profile(const std::string& provider, const Schemes& schemes,
                                                const CredentialFlags& flags, const Vars& vars,
                                                const EnvLookup& env, bool read) {
  const auto* profile = flags.profile;
  if (!profile)
    return std::nullopt;
  if (profile->token) {
    const auto index = first_of_kind(schemes, Kind::token);
    if (!index)
      throw Error(ErrorKind::usage,
                  fmt::format("{}: profile {} sets a token, but {} does not take one", provider,
                              profile->name, provider),
                  "give the profile client-id and client-secret sources instead");
    ResolvedCredentials r{*index, {}, {}};
    r.credentials.source = profile->token->description;
    if (read)
      r.credentials.token = trim(profile->token->read());
    return r;
  }
  if (!profile->client_id || !profile->client_secret)
    return std::nullopt;
  const auto index = first_of_kind(schemes, Kind::client_pair);
  if (!index)
    throw Error(ErrorKind::usage,
                fmt::format("{}: profile {} sets client-id and client-secret, but {} does not use a "
                            "client id and secret",
                            provider, profile->name, provider),
                "give the profile a token source instead");
  ResolvedCredentials r{*index, {}, {}};
  r.credentials.kind = Kind::client_pair;
  r.credentials.source =
      profile->client_id->description + " and " + profile->client_secret->description;
  set_token_url(r.credentials, *schemes[*index], flags, vars, env);
  if (read) {
    r.credentials.client_id = trim(profile->client_id->read());
    r.credentials.client_secret = trim(profile->client_secret->read());
  }
  return r;
}

} // namespace

std::string read_secret_file(const std::string& path, std::string_view what) {
  std::ostringstream content;
  if (path == "-") {
    // Typed at a terminal, the token would echo on the screen and into the scrollback.
    if (::isatty(STDIN_FILENO) == 1)
      throw Error(ErrorKind::usage, fmt::format("{} -: standard input is a terminal", what),
                  "pipe the token in, e.g. pass show audit/token | auditfetch ... --token-file -");
    content << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw Error(ErrorKind::usage, fmt::format("{}: cannot read '{}'", what, path),
                  "check the path and its permissions");
    content << in.rdbuf();
  }
  auto secret = trim(content.str());
  if (secret.empty())
    throw Error(ErrorKind::usage,
                fmt::format("{}: '{}' is empty", what, path == "-" ? "standard input" : path));
  return secret;
}

std::string credential_help(const Schemes& schemes) {
  std::vector<std::string> ways;
  bool token = false, pair = false;
  for (const auto& scheme : schemes) {
    const auto& needs = scheme->needs();
    if (needs.kind == Kind::token) {
      if (!token)
        ways.insert(ways.end(), {"set " + k_token_var, "pass --token-file FILE"});
      token = true;
      if (!needs.token_env.empty())
        ways.push_back(fmt::format("set {}", fmt::join(needs.token_env, " or ")));
    } else if (needs.kind == Kind::client_pair) {
      if (!pair)
        ways.push_back(fmt::format("set {} and {}", k_pair_vars.first, k_pair_vars.second));
      pair = true;
      for (const auto& [id, secret] : needs.pair_env)
        ways.push_back(fmt::format("set {} and {}", id, secret));
    }
  }
  for (const auto& scheme : schemes)
    if (scheme->needs().kind == Kind::none && !scheme->needs().settings.empty()) {
      std::vector<std::string> flags;
      for (const auto& setting : scheme->needs().settings)
        flags.push_back("--" + setting);
      ways.push_back(fmt::format("pass {} (or their environment variables)", fmt::join(flags, " and ")));
    }
  if (token || pair)
    ways.push_back(token && pair ? "give a config profile a token or client-id and client-secret source"
                   : token       ? "give a config profile a token source"
                                 : "give a config profile client-id and client-secret sources");
  return fmt::format("{}", fmt::join(ways, ", or "));
}

ResolvedCredentials resolve_credentials(const std::string& provider, const Schemes& schemes,
                                        const CredentialFlags& flags, const Vars& vars,
                                        const EnvLookup& env, bool read) {
  if (flags.token_file) {
    const auto index = first_of_kind(schemes, Kind::token);
    if (!index)
      throw Error(ErrorKind::usage,
                  fmt::format("--token-file: {} does not take a token", provider),
                  credential_help(schemes));
    ResolvedCredentials r{*index, {}, {}};
    r.credentials.source = "--token-file " + *flags.token_file;
    if (read)
      r.credentials.token = read_secret_file(*flags.token_file, "--token-file");
    return r;
  }
  // A profile's credentials come after the provider's own variables but before the generic
  // AUDITFETCH_TOKEN and AUDITFETCH_CLIENT_ID/SECRET, which are passed over.
  const bool generic = !profile_gives_credentials(schemes, flags.profile);
  if (auto r = token_from_env(schemes, env, read, generic))
    return *r;
  if (auto r = pair_from_env(provider, schemes, flags, vars, env, read, generic))
    return *r;
  if (auto r = from_profile(provider, schemes, flags, vars, env, read)) {
    if (!generic)
      r->passed_over = generic_passed_over(schemes, env);
    return *r;
  }
  // A scheme that reads its credentials from settings (a key file): when they are given.
  for (std::size_t i = 0; i < schemes.size(); ++i) {
    const auto& needs = schemes[i]->needs();
    if (needs.kind != Kind::none ||
        !std::all_of(needs.settings.begin(), needs.settings.end(), [&](const auto& s) { return vars.count(s); }))
      continue;
    ResolvedCredentials r{i, {}, {}};
    r.credentials.kind = Kind::none;
    std::vector<std::string> given;
    for (const auto& setting : needs.settings)
      given.push_back(fmt::format("--{} {}", setting, vars.at(setting)));
    r.credentials.source = fmt::format("{}", fmt::join(given, " and "));
    return r;
  }
  std::string hint = credential_help(schemes);
  if (!first_of_kind(schemes, Kind::client_pair) && (env(k_pair_vars.first) || env(k_pair_vars.second)))
    hint = fmt::format("{} is set, but {} does not use a client id and secret; {}", k_pair_vars.first,
                       provider, hint);
  throw Error(ErrorKind::usage, fmt::format("{}: no credentials", provider), hint);
}

} // namespace auditfetch
