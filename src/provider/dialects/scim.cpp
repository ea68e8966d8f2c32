// SCIM filters (RFC 7644 3.4.2.2): attr eq "value" joined by and, times quoted. PingOne writes
// the keywords in upper case; Okta in lower case ("and": "AND" in the definition).
#include "expression.hpp"

namespace auditfetch {

std::string scim_quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::unique_ptr<FilterDialect> make_scim_dialect(DefObject& options) {
  ExpressionSyntax syntax;
  syntax.name = "a SCIM expression";
  syntax.and_word = " " + options.string_or("and", "and") + " ";
  syntax.or_word = " " + options.string_or("or", "or") + " ";
  syntax.quote = scim_quote;
  syntax.quote_times = true;
  return make_expression_dialect(std::move(syntax), read_expression_options(options));
}

} // namespace auditfetch
