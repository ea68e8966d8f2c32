"""Deterministic synthetic records for volume tests (--generate N).

Record i of N is about i minutes before ANCHOR (a fixed time, so runs are reproducible);
every seventh record repeats the previous timestamp to exercise tie ordering. Lists are newest
first, except Okta's, which is oldest first: its store order is the persistence order.
"""

from __future__ import annotations

import base64
import functools
import gc
import random
from typing import Any, Callable

from common import (GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID, GITHUB_ORG, GITHUB_ORG_ID, GITHUB_OTHER_ORG,
                    GITHUB_OTHER_ORG_ID, PINGONE_ENV_ID, TE_AID, parse_time)
from common import format_time as _format_time
import onepassword

ANCHOR = "2024-07-01T00:00:00Z"
SEED = 20240701

PINGONE_ACTIONS = [
    ("USER.ACCESS_ALLOWED", "User Access Allowed", "Passed role access control"),
    ("USER.ACCESS_DENIED", "User Access Denied", "Failed role access control"),
    ("PASSWORD.CHECK_FAILED", "Password Check Failed", "Password check failed"),
    ("PASSWORD.CHECK_SUCCEEDED", "Password Check Succeeded", "Password check succeeded"),
    ("USER.CREATED", "User Created", "Created User"),
    ("USER.UPDATED", "User Updated", "Updated User"),
    ("USER.DELETED", "User Deleted", "Deleted User"),
    ("APPLICATION.UPDATED", "Application Updated", "Updated Application"),
    ("GROUP.CREATED", "Group Created", "Created Group"),
    ("FLOW.UPDATED", "Flow Updated", "Updated Flow"),
]
TRUTO_ACTIONS = [
    ("user.session.start", "login", "User login to Okta"),
    ("user.session.end", "logout", "User logout from Okta"),
    ("user.authentication.sso", "login", "User single sign on to app"),
    ("user.lifecycle.create", "user_created", "Create okta user"),
    ("user.lifecycle.deactivate", "user_deactivated", "Deactivate Okta user"),
    ("user.account.update_profile", "user_updated", "Update user profile for Okta"),
    ("group.user_membership.add", "group.user_membership.add", "Add user to group membership"),
]
TE_EVENTS = [("Logged in.", None), ("Login failed.", None), ("Logged out.", None),
             ("Test created.", "testName"), ("Test updated.", "testName"), ("Report created.", "reportTitle"),
             ("Alert rule deleted.", "alertRuleName"), ("User created.", "userDisplayName")]
OKTA_EVENTS = [
    ("user.session.start", "User login to Okta", "core.user_auth.login_success", "SUCCESS", None),
    ("user.session.start", "User login to Okta", "core.user_auth.login_failed", "FAILURE", "INVALID_CREDENTIALS"),
    ("user.session.end", "User logout from Okta", "core.user_auth.logout_success", "SUCCESS", None),
    ("user.authentication.sso", "User single sign on to app", "app.auth.sso", "SUCCESS", None),
    ("user.lifecycle.create", "Create Okta user", "core.user.config.user_creation.success", "SUCCESS", None),
    ("user.account.update_profile", "Update user profile for Okta", "core.user.config.profile_update.success", "SUCCESS", None),
    ("user.lifecycle.delete.initiated", "Delete Okta user", None, "SUCCESS", None),
    ("group.user_membership.add", "Add user to group membership", "core.user_group_member.user_add", "SUCCESS", None),
    ("app.oauth2.token.grant.access_token", "OAuth2 access token is granted", None, "SUCCESS", None),
]
SAIL_TYPES = ["Identity Refresh", "appRequest", "LifecycleStateChange", "AccountAttributeUpdate",
              "CloudPasswordRequest", "Certification", "AccountStateUpdate"]
SAIL_OPS = ["ADD", "CREATE", "MODIFY", "DELETE", "DISABLE", "ENABLE", "REMOVE", "SET"]
GITHUB_ACTIONS = [("org.add_member", "create"), ("org.update_member", "modify"), ("repo.create", "create"),
                  ("team.add_member", "modify"), ("org.invite_member", "create"), ("repo.destroy", "remove"),
                  ("git.clone", "access"), ("org.remove_member", "remove"), ("team.create", "create"),
                  ("business.sso_response", "authentication"), ("oauth_application.create", "create")]
GITHUB_COUNTRIES = ["US", "DE", "JP", "BR", "IN", "GB"]
ENTRA_AUDITS = [  # activityDisplayName, category, operationType, target type
    ("Add user", "UserManagement", "Add", "User"), ("Update user", "UserManagement", "Update", "User"),
    ("Delete user", "UserManagement", "Delete", "User"), ("Hard Delete user", "UserManagement", "Delete", "User"),
    ("Add member to group", "GroupManagement", "Assign", "Group"),
    ("Remove member from group", "GroupManagement", "Unassign", "Group"),
    ("Reset user password", "UserManagement", "Update", "User"),
    ("Update application", "ApplicationManagement", "Update", "Application"),
]
ENTRA_APPS = [("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
              ("00000006-0000-0ff1-ce00-000000000000", "Microsoft Office 365 Portal"),
              ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams")]
ENTRA_FAILURES = [(0, None), (0, None), (0, None), (50126, "Error validating credentials due to invalid username or password."),
                  (0, None), (50074, "Strong Authentication is required."), (0, None)]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


@functools.lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return _format_time(days * 86400 * 1_000_000_000)[:11]


def format_time(ns: int, millis: bool = False, digits: int = 3) -> str:
    """common.format_time, faster for the many timestamps of one run (digits: fraction width)."""
    seconds, rest = divmod(ns, 1_000_000_000)
    days, second = divmod(seconds, 86400)
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    fraction = f".{rest // 10 ** (9 - digits):0{digits}d}" if millis else ""
    return f"{_day(days)}{hour:02d}:{minute:02d}:{second:02d}{fraction}Z"


def _times(rng: random.Random, n: int) -> list[int]:
    anchor = parse_time(ANCHOR)
    out: list[int] = []
    for i in range(n):
        if i % 7 == 6:
            out.append(out[-1])
        else:
            out.append(anchor - (i + 1) * 60_000_000_000 + rng.randrange(60_000) * 1_000_000)
    return out


class _Pools:
    """Recurring actors, so that actor filters match several generated records."""

    def __init__(self, rng: random.Random):
        self.populations = [_uuid(rng) for _ in range(4)]
        self.users = [(_uuid(rng), f"user{k:04d}", self.populations[k % 4]) for k in range(250)]
        self.okta_users = [f"00u{_hex(rng)[:17]}" for _ in range(250)]
        self.identities = [{"id": _hex(rng), "name": f"identity.{k:04d}", "identityId": _hex(rng), "completed": True}
                           for k in range(250)]
        self.sources = [_hex(rng) for _ in range(5)]


def _pingone(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    kind, action_desc, result_desc = PINGONE_ACTIONS[i % len(PINGONE_ACTIONS)]
    user_id, user_name, population = pools.users[rng.randrange(len(pools.users))]
    rec: dict[str, Any] = {
        "id": _uuid(rng), "recordedAt": format_time(ts, millis=True),
        "createdAt": format_time(ts - rng.randrange(50) * 1_000_000, millis=True),
        "correlationId": _uuid(rng).upper(),
    }
    if i % 5 != 4:
        rec["actors"] = {"user": {"id": user_id, "name": user_name, "type": "USER",
                                  "environment": {"id": PINGONE_ENV_ID}, "population": {"id": population},
                                  "href": f"https://api.pingone.com/v1/environments/{PINGONE_ENV_ID}/users/{user_id}"}}
    else:
        rec["actors"] = {"client": {"id": "adminui", "name": "PingOne Admin Console", "type": "CLIENT",
                                    "environment": {"id": PINGONE_ENV_ID}}}
    rec["action"] = {"type": kind, "description": action_desc}
    resource_type = kind.split(".")[0] if not kind.startswith("PASSWORD") else "USER"
    rec["resources"] = [{"type": resource_type, "id": _uuid(rng), "name": f"{resource_type.lower()}-{i}",
                         "environment": {"id": PINGONE_ENV_ID}, "population": {"id": population}}]
    rec["result"] = {"status": "FAILED" if kind == "USER.ACCESS_DENIED" else "SUCCESS",
                     "description": f"{result_desc} {i}"}
    return rec


def _truto(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    event, action, message = TRUTO_ACTIONS[i % len(TRUTO_ACTIONS)]
    uid, target = rng.choice(pools.okta_users), rng.choice(pools.okta_users)
    ip = f"198.51.100.{i % 250 + 1}"
    created = format_time(ts, millis=True)
    return {
        "id": _uuid(rng), "actor": {"type": "user", "user": {"id": uid}}, "description": message,
        "action": action, "entity": target, "entity_type": "User",
        "context": {"ip_address": ip, "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "authentication_method": "PASSWORD"},
        "created_at": created,
        "remote_data": {"uuid": _uuid(rng), "published": created, "eventType": event, "displayMessage": message,
                        "actor": {"id": uid, "type": "User", "alternateId": f"user{i}@example.com"},
                        "client": {"ipAddress": ip}, "outcome": {"result": "SUCCESS"},
                        "target": [{"id": target, "type": "User"}]},
    }


def _thousandeyes(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    event, resource_type = TE_EVENTS[i % len(TE_EVENTS)]
    rec: dict[str, Any] = {"accountGroupName": "API Sandbox", "aid": TE_AID, "date": format_time(ts),
                           "event": event, "ipAddress": f"203.0.113.{i % 250 + 1}", "uid": str(1000 + i % 97),
                           "user": f"User {i % 97} (user{i % 97}@example.com)"}
    if resource_type:
        rec["resources"] = [{"name": f"{resource_type} {i}", "type": resource_type}]
    return rec


def _sailpoint(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    kind = SAIL_TYPES[i % len(SAIL_TYPES)]
    rid = _hex(rng)
    rec: dict[str, Any] = {
        "id": rid, "name": rid, "created": format_time(ts, millis=True),
        "modified": format_time(ts + 2_000_000_000, millis=True), "completed": format_time(ts + 3_000_000_000, millis=True),
        "completionStatus": "SUCCESS", "type": kind,
        "requesterIdentitySummary": rng.choice(pools.identities) if i % 4 else None,
        "targetIdentitySummary": rng.choice(pools.identities),
        "errors": [], "warnings": [], "executionStatus": "COMPLETED",
    }
    if i % 3 != 2:
        rec["items"] = [{"id": _hex(rng), "name": f"item-{i}", "requested": rec["created"], "approvalStatus": "FINISHED",
                         "provisioningStatus": "FINISHED", "operation": SAIL_OPS[i % len(SAIL_OPS)],
                         "attribute": "memberOf", "value": f"CN=Group {i % 17},OU=Groups,DC=acme,DC=com",
                         "nativeIdentity": f"CN=User {i},OU=People,DC=acme,DC=com",
                         "sourceId": rng.choice(pools.sources)}]
    return rec


def _okta(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    event, message, legacy, result, reason = OKTA_EVENTS[i % len(OKTA_EVENTS)]
    k = rng.randrange(len(pools.okta_users))
    uid, target = pools.okta_users[k], rng.choice(pools.okta_users)
    ip = f"198.51.100.{i % 250 + 1}"
    if event.startswith("user.lifecycle.") or event.startswith("group."):
        actor = {"id": pools.okta_users[0], "type": "User", "alternateId": "user0000@example.com", "displayName": "User 0000"}
    elif event.startswith("app.oauth2."):
        actor = {"id": "0oa5ynth3t1cC1ient07", "type": "PublicClientApp", "alternateId": "0oa5ynth3t1cC1ient07",
                 "displayName": "Synthetic Service"}
    else:
        actor = {"id": uid, "type": "User", "alternateId": f"user{k:04d}@example.com", "displayName": f"User {k:04d}"}
    rec: dict[str, Any] = {
        "actor": actor,
        "client": {"userAgent": {"rawUserAgent": "Mozilla/5.0 (X11; Linux x86_64)", "os": "Linux", "browser": "FIREFOX"},
                   "zone": "null", "device": "Computer", "id": None, "ipAddress": ip,
                   "geographicalContext": {"city": "Springfield", "state": "Illinois", "country": "United States",
                                           "postalCode": "62701", "geolocation": {"lat": 39.78, "lon": -89.65}}},
        "device": None,
        "authenticationContext": {"authenticationProvider": None, "credentialProvider": None,
                                  "credentialType": "PASSWORD" if event == "user.session.start" else None,
                                  "issuer": None, "interface": None, "authenticationStep": 0,
                                  "externalSessionId": f"idx{_hex(rng)[:22]}"},
        "displayMessage": message, "eventType": event,
        "outcome": {"result": result, "reason": reason},
        "published": format_time(ts, millis=True),
        "securityContext": {"asNumber": None, "asOrg": None, "isp": None, "domain": None, "isProxy": None},
        "severity": "WARN" if result == "FAILURE" else "INFO",
        "debugContext": {"debugData": {"requestId": _hex(rng)[:27], "requestUri": "/api/v1/authn"}},
        "legacyEventType": legacy,
        "transaction": {"type": "WEB", "id": _hex(rng)[:27], "detail": {}},
        "uuid": _uuid(rng), "version": "0",
        "request": {"ipChain": [{"ip": ip, "geographicalContext": None, "version": "V4", "source": None}]},
        "target": [] if event in ("user.session.start", "user.session.end") else
                  [{"id": target, "type": "User", "alternateId": f"{target}@example.com", "displayName": target,
                    "detailEntry": None}],
    }
    return rec


def _github(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    """Audit-log events of the two orgs and the enterprise (uses only this provider's rng draws)."""
    action, operation = GITHUB_ACTIONS[i % len(GITHUB_ACTIONS)]
    ms = ts // 1_000_000
    actor_k, user_k = rng.randrange(250), rng.randrange(250)
    doc_id = base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode()
    rec: dict[str, Any] = {"@timestamp": ms, "_document_id": doc_id, "action": action,
                           "actor": f"user{actor_k:04d}", "actor_id": 7_000_000 + actor_k,
                           "actor_location": {"country_code": GITHUB_COUNTRIES[actor_k % len(GITHUB_COUNTRIES)]},
                           "business": GITHUB_ENTERPRISE, "business_id": GITHUB_ENTERPRISE_ID, "created_at": ms,
                           "operation_type": operation}
    if action != "business.sso_response":
        org, org_id = (GITHUB_OTHER_ORG, GITHUB_OTHER_ORG_ID) if i % 3 == 2 else (GITHUB_ORG, GITHUB_ORG_ID)
        rec.update({"org": org, "org_id": org_id})
    if i % 4 == 0:
        rec["actor_ip"] = f"198.51.100.{i % 250 + 1}"
    if action.startswith(("org.", "team.add_member", "business.")):
        rec.update({"user": f"user{user_k:04d}", "user_id": 7_000_000 + user_k})
    if action.startswith(("repo.", "git.")):
        repo = f"{rec.get('org', GITHUB_ORG)}/service-{i % 40:02d}"
        rec.update({"repo": repo, "repo_id": 600_000_000 + i % 40, "repository": repo, "visibility": "private"})
    if action.startswith("team."):
        rec["team"] = f"{rec['org']}/team-{i % 12:02d}"
    if action == "git.clone":
        rec.update({"transport_protocol": 1, "transport_protocol_name": "http", "repository_public": False,
                    "programmatic_access_type": "Personal access token (classic)"})
    if action == "oauth_application.create":
        rec.update({"oauth_application": f"Tool {i}", "oauth_application_id": 3_000_000 + i})
    rec["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64)" if i % 5 else "git/2.45.1"
    return rec


def _ticks(ts: int) -> str:
    """A 7-digit fraction, as Graph sends; the sub-millisecond digits derive from ts so ties stay ties."""
    return format_time(ts + (ts // 1_000_000 * 7919 % 10000) * 100, millis=True, digits=7)


def _entra_audit(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    activity, category, operation, target_type = ENTRA_AUDITS[i % len(ENTRA_AUDITS)]
    correlation = _uuid(rng)
    user_id, user_name, _ = pools.users[rng.randrange(len(pools.users))]
    target_id, target_name, _ = pools.users[rng.randrange(len(pools.users))]
    if i % 6 == 5:
        initiated = {"app": {"appId": None, "displayName": "Microsoft Azure AD Group-Based Licensing",
                             "servicePrincipalId": "c2a3d56f-7b1e-4a0c-9d8e-5f6a7b8c9d01", "servicePrincipalName": None},
                     "user": None}
    else:
        initiated = {"app": None, "user": {"id": user_id, "displayName": user_name.title(),
                                           "userPrincipalName": f"{user_name}@contoso.onmicrosoft.com",
                                           "ipAddress": f"198.51.100.{i % 250 + 1}", "userType": None,
                                           "homeTenantId": None, "homeTenantName": None}}
    return {
        "id": f"Directory_{correlation}_{_hex(rng)[:5].upper()}_{rng.randrange(10**9)}", "category": category,
        "correlationId": correlation, "result": "success", "resultReason": "",
        "activityDisplayName": activity, "activityDateTime": _ticks(ts),
        "loggedByService": "Core Directory", "operationType": operation, "initiatedBy": initiated,
        "targetResources": [{"id": target_id, "displayName": None if target_type == "User" else f"{target_type} {i}",
                             "type": target_type, "userPrincipalName": f"{target_name}@contoso.onmicrosoft.com"
                             if target_type == "User" else None, "groupType": None, "modifiedProperties": []}],
        "additionalDetails": [{"key": "User-Agent", "value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}],
    }


def _entra_signin(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    user_id, user_name, _ = pools.users[rng.randrange(len(pools.users))]
    app_id, app_name = ENTRA_APPS[i % len(ENTRA_APPS)]
    code, reason = ENTRA_FAILURES[i % len(ENTRA_FAILURES)]
    return {
        "id": _uuid(rng), "createdDateTime": _ticks(ts),
        "userDisplayName": user_name.title(), "userPrincipalName": f"{user_name}@contoso.onmicrosoft.com",
        "userId": user_id, "appId": app_id, "appDisplayName": app_name, "ipAddress": f"203.0.113.{i % 250 + 1}",
        "clientAppUsed": "Browser", "correlationId": _uuid(rng),
        "conditionalAccessStatus": "notApplied" if code else "success", "isInteractive": True,
        "riskDetail": "none", "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
        "riskEventTypes": [], "riskEventTypes_v2": [], "resourceDisplayName": "Windows Azure Active Directory",
        "resourceId": "00000002-0000-0000-c000-000000000000",
        "status": {"errorCode": code, "failureReason": reason, "additionalDetails": None},
        "deviceDetail": {"deviceId": "", "displayName": None, "operatingSystem": "Windows 10", "browser": "Edge 124.0.0",
                         "isCompliant": None, "isManaged": None, "trustType": None},
        "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US",
                     "geoCoordinates": {"altitude": None, "latitude": 47.68, "longitude": -122.12}},
        "appliedConditionalAccessPolicies": [],
    }


MAKERS: dict[str, Callable[[random.Random, _Pools, int, int], dict[str, Any]]] = {
    "pingone": _pingone, "truto": _truto, "thousandeyes": _thousandeyes, "sailpoint": _sailpoint, "okta": _okta,
    "github": _github, "entra-audits": _entra_audit, "entra-signins": _entra_signin,
    "keyed": lambda rng, pools, i, ts: {"event_id": f"evt-{i:09d}", "ts": ts // 1_000_000_000,
                                        "kind": ("signin", "signout", "user.add")[i % 3], "user": f"u{i % 50}"}}
MAKERS.update(onepassword.SYNTH_MAKERS)  # 1Password: its modules sort records themselves
OLDEST_FIRST = {"okta"}


def generate(provider: str, n: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{SEED}-{provider}")
    pools = _Pools(rng)
    make = MAKERS[provider]
    gc.disable()  # millions of small dicts: collection passes would dominate the run time
    try:
        records = [make(rng, pools, i, ts) for i, ts in enumerate(_times(rng, n))]
        if provider in OLDEST_FIRST:
            records.reverse()
        return records
    finally:
        gc.enable()
