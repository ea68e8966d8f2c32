// Reading a profile's credential sources, only when a secret is needed.
#include "auditfetch/config/config.hpp"

#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/util/text.hpp"
#include "auditfetch/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace auditfetch {
std::string read_credential(const CredentialSpec& spec, const std::string& profile,
                            const std::string& key, const SecretReaders& readers) {
  const auto what = fmt::format("{}: {} of profile {}", spec.where, key, profile);
  switch (spec.kind) {
  case CredentialSpec::Kind::literal:
    return spec.value;
  case CredentialSpec::Kind::env: {
    auto value = readers.env(spec.value);
    if (!value || trim(*value).empty())
      throw Error(ErrorKind::usage, fmt::format("{}: {} is not set", what, spec.value),
                  "set it, or give the profile another source");
    return trim(*value);
  }
  case CredentialSpec::Kind::file:
    if (readers.warn)
      if (auto warning = exposure_warning(spec.value, "token file"))
        readers.warn(*warning);
    return read_secret_file(spec.value, what);
  case CredentialSpec::Kind::command: {
    auto secret = trim(readers.run_command(spec, what));
    if (secret.empty())
      throw Error(ErrorKind::usage,
                  fmt::format("{}: command '{}' printed nothing", what, spec.argv.at(0)),
                  "it must print the secret on stdout");
    return secret;
  }
  }
  return {};
}

} // namespace auditfetch
