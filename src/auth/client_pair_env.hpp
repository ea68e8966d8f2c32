#pragma once
// The variables a definition names for a client id and secret (client_id_env,
// client_secret_env: one name or several, in pairs), read by the schemes that sign with a pair.

#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/json/definition.hpp"

namespace auditfetch {

void read_client_pair_env(DefObject& config, CredentialNeeds& needs);

} // namespace auditfetch
