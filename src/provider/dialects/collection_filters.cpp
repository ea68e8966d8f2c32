// A standard collection `filters` expression (SailPoint's V3 APIs): attr eq "value" joined
// by and, date-times unquoted, several values as attr in ("a","b").
#include "expression.hpp"

namespace auditfetch {

std::string scim_quote(std::string_view value);

std::unique_ptr<FilterDialect> make_collection_filters_dialect(DefObject& options) {
  ExpressionSyntax syntax;
  syntax.name = "a collection filters expression";
  syntax.and_word = " and ";
  syntax.or_word = " or ";
  syntax.quote = scim_quote; // the same string literal as SCIM
  syntax.in_list = true;
  return make_expression_dialect(std::move(syntax), read_expression_options(options));
}

} // namespace auditfetch
