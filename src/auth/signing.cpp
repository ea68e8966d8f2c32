#include "auditfetch/auth/signing.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url.hpp>
#include <date/date.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace auditfetch {
namespace {

std::string percent_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

} // namespace

std::string jwt_signing_input(const boost::json::object& header, const boost::json::object& claims) {
  return base64url_encode(boost::json::serialize(header)) + "." +
         base64url_encode(boost::json::serialize(claims));
}

std::string rs256_signature(std::string_view pem, std::string_view input, std::string_view what) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (!key)
    throw Error(ErrorKind::usage, fmt::format("{}: the private key does not load (PEM expected)", what),
                "use the JSON key file the provider issued, unchanged");
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
    throw Error(ErrorKind::usage, fmt::format("{}: the private key is not an RSA key", what));
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSignUpdate(ctx.get(), input.data(), input.size()) != 1 ||
      EVP_DigestSignFinal(ctx.get(), nullptr, &length) != 1)
    throw Error(ErrorKind::usage, fmt::format("{}: signing with the private key failed", what));
  std::string signature(length, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length) != 1)
    throw Error(ErrorKind::usage, fmt::format("{}: signing with the private key failed", what));
  signature.resize(length);
  return signature;
}

std::string hmac_hex(std::string_view digest, std::string_view key, std::string_view data) {
  const EVP_MD* md = digest == "sha1" ? EVP_sha1() : digest == "sha256" ? EVP_sha256() : EVP_sha512();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += k_hex[out[i] >> 4];
    hex += k_hex[out[i] & 15];
  }
  return hex;
}

std::string canonical_request_v2(const HttpRequest& request, std::string_view date) {
  const auto parsed = boost::urls::parse_absolute_uri(request.url);
  if (!parsed)
    throw Error(ErrorKind::usage, "a signed request needs an absolute URL");
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& p : parsed->params())
    params.emplace_back(p.key, p.has_value ? p.value : std::string());
  if (request.header("Content-Type").value_or("").rfind("application/x-www-form-urlencoded", 0) == 0) {
    if (!boost::urls::parse_query(request.body))
      throw Error(ErrorKind::usage, "a signed request's form body is not valid percent-encoding");
    boost::urls::url body_params;
    body_params.set_encoded_query(request.body);
    for (const auto& p : body_params.params())
      params.emplace_back(p.key, p.has_value ? p.value : std::string());
  }
  // Encoded first, then sorted (as Duo's clients and OAuth 1.0 do): the order of the bytes
  // sent, not of the decoded text.
  for (auto& [name, value] : params) {
    name = percent_encode(name);
    value = percent_encode(value);
  }
  std::sort(params.begin(), params.end());
  std::string query;
  for (const auto& [name, value] : params)
    query += (query.empty() ? "" : "&") + name + "=" + value;
  std::string method = request.method;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string host = ascii_lower(parsed->encoded_host());
  if (parsed->has_port())
    host += ":" + std::string(parsed->port());
  const auto path = parsed->path();
  return fmt::format("{}\n{}\n{}\n{}\n{}", date, method, host, path.empty() ? "/" : path, query);
}

std::string rfc2822_date(std::chrono::sys_seconds when) {
  return date::format("%a, %d %b %Y %H:%M:%S -0000", when);
}

} // namespace auditfetch
