#!/usr/bin/env python3
"""What a user would write instead of auditfetch: PingOne audit activities as unified NDJSON
with the Python 3 standard library (one keep-alive connection, json, following _links.next.href).

    pingone_stdlib.py BASE_URL ENV_ID SINCE UNTIL   (token in PINGONE_ACCESS_TOKEN)
"""

import http.client
import json
import os
import sys
import urllib.parse

EXACT = {"USER.ACCESS_ALLOWED": "login", "USER.ACCESS_DENIED": "login_failed",
         "PASSWORD.CHECK_FAILED": "login_failed", "USER.CREATED": "user_created",
         "USER.DELETED": "user_deleted", "USER.UPDATED": "user_updated", "SECRET.READ": None}
RAW_PREFIXES = ("PASSWORD.", "FLOW.", "AUTHENTICATION.")
SUFFIXES = ((".CREATED", "create"), (".DELETED", "destroy"), (".UPDATED", "updated"))
ANONYMOUS = ("PASSWORD.CHECK_", "AUTHENTICATION.", "USER.ACCESS_")
LOGIN_CHECKS = ("PASSWORD.CHECK_", "USER.ACCESS_")


def unified_action(native):
    if native in EXACT:
        return EXACT[native] or native
    if native.startswith(RAW_PREFIXES):
        return native
    for suffix, unified in SUFFIXES:
        if native.endswith(suffix):
            return unified
    return native


def unify(rec, env):
    actors = rec.get("actors") or {}
    user = actors.get("user")
    action = rec.get("action") or {}
    native = action.get("type")
    if not user and native and native.startswith(LOGIN_CHECKS):
        # a password or access check without a user actor: the user checked, named as a resource
        user = next((r for r in rec.get("resources") or [] if r.get("type") == "USER"), None)
    if user:
        actor_type = "user"
    elif actors.get("client"):
        actor_type = "system"
    elif native and native.startswith(ANONYMOUS):
        actor_type = "anonymous"
    else:
        actor_type = "system"
    resource = (rec.get("resources") or [{}])[0]
    description = (rec.get("result") or {}).get("description")
    if description is None:
        description = action.get("description")
    return {"id": rec.get("id"),
            "actor": {"type": actor_type, "user": {"id": user.get("id") if user else None}},
            "organization": env,
            "group": ((user or {}).get("population") or {}).get("id"),
            "description": description,
            "action": unified_action(native) if native else None,
            "entity": resource.get("id"), "entity_type": resource.get("type"),
            "context": {"ip_address": None, "user_agent": None, "authentication_method": None},
            "created_at": rec.get("recordedAt"), "remote_data": None, "provider": "pingone"}


def main():
    base, env, since, until = sys.argv[1:5]
    token = os.environ.get("PINGONE_ACCESS_TOKEN", "")
    query = urllib.parse.urlencode({"limit": 1000, "filter": f'recordedat ge "{since}" AND recordedat lt "{until}"'},
                                   quote_via=urllib.parse.quote)
    url = f"{base}/environments/{env}/activities?{query}"
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc) if parts.scheme == "http" else http.client.HTTPSConnection(parts.netloc)
    out = sys.stdout
    while url:
        parts = urllib.parse.urlsplit(url)
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""),
                     headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            sys.exit(f"pingone: HTTP {resp.status} for {url}")
        page = json.loads(body)
        out.write("".join(json.dumps(unify(r, env), separators=(",", ":"), ensure_ascii=False) + "\n"
                          for r in page.get("_embedded", {}).get("activities", [])))
        nxt = ((page.get("_links") or {}).get("next") or {}).get("href")
        url = urllib.parse.urljoin(url, nxt) if nxt else None
    out.flush()


if __name__ == "__main__":
    main()
