#!/usr/bin/env bash
# What a user would write instead of auditfetch: PingOne audit activities as unified NDJSON,
# one page at a time with curl, mapped with jq, following _links.next.href.
#   pingone_curl_jq.sh BASE_URL ENV_ID SINCE UNTIL   (token in PINGONE_ACCESS_TOKEN)
# MAX_PAGES=n stops after n pages (bench/run uses it to time a part of a long listing).
set -euo pipefail
base=$1 env=$2 since=$3 until=$4
filter=$(jq -rn --arg s "$since" --arg u "$until" \
  '"recordedat ge \"\($s)\" AND recordedat lt \"\($u)\"" | @uri')
url="$base/environments/$env/activities?limit=1000&filter=$filter"
origin=$(printf '%s' "$base" | sed -E 's#^(https?://[^/]+).*#\1#')
page=$(mktemp)
trap 'rm -f "$page"' EXIT

# The unified schema, as auditfetch's providers/pingone.json maps it.
# shellcheck disable=SC2016  # jq variables, not shell ones
map='
def unified($t):
  if $t == "USER.ACCESS_ALLOWED" then "login"
  elif $t == "USER.ACCESS_DENIED" or $t == "PASSWORD.CHECK_FAILED" then "login_failed"
  elif $t == "USER.CREATED" then "user_created"
  elif $t == "USER.DELETED" then "user_deleted"
  elif $t == "USER.UPDATED" then "user_updated"
  elif ($t | startswith("PASSWORD.") or startswith("FLOW.") or startswith("AUTHENTICATION."))
       or $t == "SECRET.READ" then $t
  elif ($t | endswith(".CREATED")) then "create"
  elif ($t | endswith(".DELETED")) then "destroy"
  elif ($t | endswith(".UPDATED")) then "updated"
  else $t end;
._embedded.activities[] |
# the user who acted; for a password or access check without one, the user checked (a resource)
(.actors.user // (if ((.action.type // "") | test("^(PASSWORD\\.CHECK_|USER\\.ACCESS_)"))
                  then ([.resources[]? | select(.type == "USER")] | first) else null end)) as $user | {
  id,
  actor: {
    type: (if $user then "user" elif .actors.client then "system"
           elif (.action.type | test("^(PASSWORD\\.CHECK_|AUTHENTICATION\\.|USER\\.ACCESS_)"))
           then "anonymous" else "system" end),
    user: {id: $user.id}},
  organization: $env,
  group: $user.population.id,
  description: (.result.description // .action.description),
  action: unified(.action.type),
  entity: .resources[0].id,
  entity_type: .resources[0].type,
  context: {ip_address: null, user_agent: null, authentication_method: null},
  created_at: .recordedAt,
  remote_data: null,
  provider: "pingone"}'

pages=0
while [ -n "$url" ]; do
  curl -sS --fail -H "Authorization: Bearer ${PINGONE_ACCESS_TOKEN:-}" -o "$page" "$url"
  jq -c --arg env "$env" "$map" "$page"
  next=$(jq -r '._links.next.href // empty' "$page")
  case $next in
    /*) url="$origin$next" ;;
    *) url=$next ;;
  esac
  pages=$((pages + 1))
  if [ -n "${MAX_PAGES:-}" ] && [ "$pages" -ge "$MAX_PAGES" ]; then break; fi
done
