// `videocall-server token create`: an operator mints a room token (docs/PROTOCOL.md §13) with the
// deployment's API key, or with the server's own token secret when no API key is configured.
#pragma once

#include <string>

#include "server/auth/api_keyring.hpp"

namespace vc::app {

// The keys of --api-key-file, plus --api-key with its secret from VIDEOCALL_API_SECRET. Throws
// std::runtime_error with a message that never contains a secret.
auth::ApiKeyring load_api_keys(const std::string& key_file, const std::string& key_name);

// argv[0] is "token". Prints the token (or the meeting link with it) on stdout and returns 0;
// wrong arguments print why on stderr and return 2.
int run_token_command(int argc, char** argv);

}  // namespace vc::app
