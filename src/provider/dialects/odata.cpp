// OData $filter (Microsoft Graph): attr eq 'value' with '' for a quote, paths with '/',
// DateTimeOffset literals unquoted. The upper time bound is `le`, which every Graph log
// resource supports (`lt` not always); the local filter trims the bound itself.
#include "expression.hpp"

namespace auditfetch {
namespace {

std::string odata_quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += '\'';
    out += c;
  }
  return out + "'";
}

} // namespace

std::unique_ptr<FilterDialect> make_odata_dialect(DefObject& options) {
  ExpressionSyntax syntax;
  syntax.name = "an OData $filter expression";
  syntax.and_word = " and ";
  syntax.or_word = " or ";
  syntax.quote = odata_quote;
  syntax.upper_operator = "le";
  return make_expression_dialect(std::move(syntax), read_expression_options(options));
}

} // namespace auditfetch
