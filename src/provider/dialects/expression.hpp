#pragma once
// What SCIM, SailPoint's `filters` and OData's $filter share: "attribute op value" terms
// joined by "and", in one query parameter. Each dialect file supplies its syntax.

#include "auditfetch/provider/dialect.hpp"
#include "auditfetch/time/format.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace auditfetch {

struct ExpressionSyntax {
  std::string name;        // "a SCIM expression"
  std::string and_word;    // " and "
  std::string or_word;     // " or "
  std::function<std::string(std::string_view)> quote; // a string literal
  bool quote_times = false;
  bool in_list = false;      // several values as "attr in (a,b)", not an OR group
  std::string upper_operator = "lt";
};

struct ExpressionOptions {
  std::string param;      // the query parameter carrying the expression
  std::string time_field; // native time attribute; empty: times are not in the expression
  const TimeFormat* time_format = nullptr;
  std::map<std::string, std::string> fields; // unified filter → native attribute
};

// Read the options every expression dialect takes: param, time_field, time_format, fields.
ExpressionOptions read_expression_options(DefObject& options);

std::unique_ptr<FilterDialect> make_expression_dialect(ExpressionSyntax syntax,
                                                       ExpressionOptions options);

} // namespace auditfetch
