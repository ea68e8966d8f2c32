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

from common import (AUTH0_AUDIENCE, AUTH0_DOMAIN, GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID, GITHUB_ORG, GITHUB_ORG_ID, GITHUB_OTHER_ORG, GITHUB_OTHER_ORG_ID, GOOGLE_CUSTOMER_ID, GOOGLE_DOMAIN, PINGONE_ENV_ID, SLACK_ENTERPRISE_ID, TE_AID, ZENDESK_ACCOUNT_ID, ZENDESK_ADMIN_ID, ZENDESK_SUBDOMAIN, parse_time)
import google
from common import format_time as _format_time

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
ZENDESK_EVENTS = [  # action, source_type, change_description
    ("login", "user", "Successful sign-in using Zendesk password from https://acme.zendesk.com/access/login"),
    ("create", "user", "Created user with role End user"), ("update", "user", "Role changed from End user to Agent"),
    ("update", "account_setting", "Session expiration changed from 8 hours to 2 hours"),
    ("create", "rule", "Created trigger"), ("login", "user", "Successful sign-in using Google"),
    ("update", "rule", "Conditions changed"), ("destroy", "user", "Deleted user"), ("destroy", "rule", "Deleted automation"),
    ("exported", "account", "Full JSON export"), ("create", "apitoken", "API token created"),
]
ZENDESK_LABELS = {"create": "Created", "update": "Updated", "destroy": "Deleted", "login": "Signed in",
                  "exported": "Exported"}
AUTH0_EVENTS = [  # type, description, user-facing (else a Management API operation)
    ("s", "Successful login", True), ("fp", "Wrong email or password.", True), ("slo", "", True),
    ("sapi", "Create a User", False), ("seacft", "Authorization Code for Access Token", True),
    ("fu", "Wrong email or password.", True), ("sapi", "Update a User", False), ("ss", "", True),
    ("f", "Callback URL mismatch.", True), ("fsa", "Login required", True), ("sapi", "Delete a User", False),
    ("sdu", "User successfully deleted", True), ("seccft", "Client Credentials for Access Token", False),
]
ENTRA_FAILURES = [(0, None), (0, None), (0, None), (50126, "Error validating credentials due to invalid username or password."),
                  (0, None), (50074, "Strong Authentication is required."), (0, None)]

SLACK_ACTIONS = [  # action, entity type
    ("user_login", "user"), ("user_login_failed", "user"), ("user_logout", "user"), ("user_created", "user"),
    ("user_profile_updated", "user"), ("user_deactivated", "user"), ("file_downloaded", "file"),
    ("public_channel_created", "channel"), ("app_installed", "app"), ("emoji_added", "workspace"),
]
SLACK_WORKSPACES = [("T01ENGINE", "Acme Engineering", "acme-eng"), ("T02SALES", "Acme Sales", "acme-sales")]


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


def _slack_user(n: int) -> dict[str, Any]:
    return {"id": f"U{n:04d}SYNTH", "name": f"User {n:04d}", "email": f"user{n:04d}@acme.example",
            "team": SLACK_ENTERPRISE_ID}


def _slack(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    """Audit entries of the Enterprise org; user 0000 administers it (creations, installs)."""
    action, entity_type = SLACK_ACTIONS[i % len(SLACK_ACTIONS)]
    k, t = rng.randrange(250), rng.randrange(250)
    ws_id, ws_name, ws_domain = SLACK_WORKSPACES[i % 2]
    workspace = {"id": ws_id, "name": ws_name, "domain": ws_domain}
    self_acting = action in ("user_login", "user_login_failed", "user_logout", "user_profile_updated")
    actor = k if self_acting or action == "file_downloaded" else 0
    if entity_type == "user":
        entity = _slack_user(k if self_acting else t)
    elif entity_type == "file":
        entity = {"id": f"F{i % 500:04d}SYNTH", "name": f"report-{i % 500}.pdf", "filetype": "pdf",
                  "title": f"Report {i % 500}"}
    elif entity_type == "channel":
        entity = {"id": f"C{i:06d}SYNTH", "privacy": "public", "name": f"project-{i}", "is_shared": False,
                  "is_org_shared": False}
    elif entity_type == "app":
        entity = {"id": f"A{i % 40:04d}SYNTH", "name": f"App {i % 40}", "is_distributed": True,
                  "is_directory_approved": True, "is_workflow_app": False, "scopes": ["chat:write"]}
    else:
        entity = workspace
    location = ({"type": "enterprise", "id": SLACK_ENTERPRISE_ID, "name": "Acme Corp", "domain": "acme-corp"}
                if entity_type == "user" else {"type": "workspace", **workspace})
    rec: dict[str, Any] = {
        "id": _uuid(rng), "date_create": ts // 1_000_000_000, "action": action,
        "actor": {"type": "user", "user": _slack_user(actor)}, "entity": {"type": entity_type, entity_type: entity},
        "context": {"location": location, "ua": "Mozilla/5.0 (X11; Linux x86_64)",
                    "ip_address": f"198.51.100.{i % 250 + 1}", "session_id": str(rng.randrange(10**11, 10**12))}}
    if action == "emoji_added":
        rec["details"] = {"name": f"emoji-{i}"}
    return rec
def _zendesk(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    """Audit logs of the acme account; ids grow with time (record i is older than record i - 1)."""
    action, source_type, description = ZENDESK_EVENTS[i % len(ZENDESK_EVENTS)]
    rid = 40_000_000_000_000 - i
    k = rng.randrange(40)
    actor_id, actor_name = (-1, "Zendesk") if i % 13 == 12 else (ZENDESK_ADMIN_ID + k, f"User {k:04d}")
    if source_type == "user":
        target = actor_id if action == "login" and actor_id > 0 else 10_500_000_000 + rng.randrange(250)
        source_id, label = target, actor_name if target == actor_id else f"User {target % 10_000:04d}"
    elif source_type in ("account_setting", "account"):
        source_id, label = ZENDESK_ACCOUNT_ID, "Sessions" if source_type == "account_setting" else ZENDESK_SUBDOMAIN
    else:
        source_id, label = 360_000_000_000 + rng.randrange(10_000), f"{source_type.title()} {i % 97}"
    return {"action": action, "action_label": ZENDESK_LABELS[action], "actor_id": actor_id, "actor_name": actor_name,
            "change_description": description, "created_at": format_time(ts), "id": rid,
            "ip_address": None if actor_id == -1 else f"198.51.100.{k + 1}", "source_id": source_id,
            "source_label": label, "source_type": source_type,
            "url": f"https://{ZENDESK_SUBDOMAIN}.zendesk.com/api/v2/audit_logs/{rid}.json"}
GOOGLE_APPS = ("login", "admin", "login", "drive", "login", "token", "saml", "groups")  # login-heavy, as in life
GOOGLE_LOGIN = ("login_success", "login_failure", "logout", "login_success")
GOOGLE_ADMIN_EVENTS = (("USER_SETTINGS", "CREATE_USER"), ("USER_SETTINGS", "CHANGE_FIRST_NAME"),
                       ("USER_SETTINGS", "CHANGE_PASSWORD"), ("USER_SETTINGS", "SUSPEND_USER"),
                       ("USER_SETTINGS", "DELETE_USER"), ("GROUP_SETTINGS", "ADD_GROUP_MEMBER"))
GOOGLE_OTHER = {"drive": ("access", ("view", "edit", "download")), "token": ("auth", ("authorize", "revoke")),
                "saml": ("login", ("login_success", "login_failure")), "groups": ("user_action", ("join", "request_to_join"))}


def _google(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    """Reports API activities; two consecutive records share an application, so ties occur within one."""
    app = GOOGLE_APPS[(i // 2) % len(GOOGLE_APPS)]
    users = [u for u in google.USERS if not u.deleted]
    user = users[rng.randrange(len(users))]
    target = f"user{rng.randrange(250):04d}@{GOOGLE_DOMAIN}"
    if app == "login":
        name = GOOGLE_LOGIN[(i // 16) % len(GOOGLE_LOGIN)]
        params: list[dict[str, Any]] = [{"name": "login_type", "value": "google_password"}]
        if name != "logout":
            params += [{"name": "login_challenge_method", "multiValue": ["password"]},
                       {"name": "is_suspicious", "boolValue": name == "login_failure" and i % 5 == 0}]
        if name == "login_failure":
            params.append({"name": "login_failure_type", "value": "login_failure_invalid_password"})
        events = [{"type": "login", "name": name, "parameters": params}]
    elif app == "admin":
        user = users[i % 2]  # the super admin or secops
        kind, name = GOOGLE_ADMIN_EVENTS[(i // 16) % len(GOOGLE_ADMIN_EVENTS)]
        params = [{"name": "USER_EMAIL", "value": target}]
        if name == "ADD_GROUP_MEMBER":
            params.append({"name": "GROUP_EMAIL", "value": f"team-{i % 12:02d}@{GOOGLE_DOMAIN}"})
        events = [{"type": kind, "name": name, "parameters": params}]
    else:
        kind, names = GOOGLE_OTHER[app]
        events = [{"type": kind, "name": names[(i // 16) % len(names)],
                   "parameters": [{"name": "doc_id" if app == "drive" else "group_email" if app == "groups"
                                   else "application_name" if app == "saml" else "client_id",
                                   "value": f"{app}-{i % 40:02d}"}]}]
    qualifier = rng.getrandbits(64) - 2 ** 63
    return {"kind": "admin#reports#activity",
            "id": {"time": format_time(ts, millis=True), "uniqueQualifier": str(qualifier), "applicationName": app,
                   "customerId": GOOGLE_CUSTOMER_ID},
            "etag": f'"{_hex(rng)[:27]}/{_hex(rng)[:27]}"',
            "actor": {"callerType": "USER", "email": user.email, "profileId": user.profile_id},
            "ownerDomain": GOOGLE_DOMAIN, "ipAddress": f"198.51.100.{i % 250 + 1}", "events": events}


def _auth0(rng: random.Random, pools: _Pools, i: int, ts: int) -> dict[str, Any]:
    """Tenant logs; log_id = "900" + ingestion time (date plus a delay, to the microsecond) + a
    sequence, so that log_id order follows ingestion, as Auth0's does, not `date`."""
    kind, description, user_facing = AUTH0_EVENTS[i % len(AUTH0_EVENTS)]
    uid, name, _ = pools.users[rng.randrange(len(pools.users))]
    user_id = "auth0|" + uid.replace("-", "")[:24]
    ingest = format_time(ts + rng.randrange(1, 3_000_000) * 1000, millis=True, digits=6)
    log_id = ("900" + ingest[0:4] + ingest[5:7] + ingest[8:10] + ingest[11:13] + ingest[14:16] + ingest[17:19]
              + ingest[20:26] + f"000000000000{1223372052035100000 + 10**15 - i:021d}")
    rec: dict[str, Any] = {"date": format_time(ts, millis=True), "type": kind, "description": description,
                           "connection": None, "connection_id": None}
    if user_facing:
        rec.update({"connection": "Username-Password-Authentication", "connection_id": "con_9kQ2xLbT4vR7mN1p",
                    "client_id": "kZ2bq8RSW1nYcTz0vXuL4mPe7HfA3dJo", "client_name": "Acme Portal",
                    "ip": f"198.51.100.{i % 250 + 1}", "user_agent": "Chrome 124.0.0 / Mac OS X 10.15.7",
                    "details": {"prompts": [], "session_id": _hex(rng)[:32]} if kind == "s" else None,
                    "hostname": AUTH0_DOMAIN, "user_id": user_id, "user_name": f"{name}@example.com",
                    "strategy": "auth0", "strategy_type": "database"})
    elif kind == "seccft":
        rec.update({"client_id": "test-client", "client_name": "auditfetch", "ip": "198.51.100.250",
                    "user_agent": "Other 0.0.0 / Other 0.0.0", "details": None, "hostname": AUTH0_DOMAIN,
                    "user_id": None, "user_name": None, "strategy": None, "strategy_type": None,
                    "audience": AUTH0_AUDIENCE, "scope": "read:logs read:logs_users"})
    else:  # a Management API operation on a user, from the Dashboard
        verb = description.split()[0]
        method, status = {"Create": ("post", 201), "Update": ("patch", 200), "Delete": ("delete", 204)}[verb]
        rec.update({"client_id": "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "client_name": "", "ip": "192.0.2.200",
                    "user_agent": "Chrome 124.0.0 / Mac OS X 10.15.7",
                    "details": {"request": {"method": method, "channel": "https://manage.auth0.com/", "ip": "192.0.2.200",
                                            "path": "/api/v2/users" + ("" if verb == "Create" else f"/{user_id}"),
                                            "auth": {"strategy": "jwt",
                                                     "user": {"user_id": "google-oauth2|112233445566778899001",
                                                              "email": "ada.admin@acme.example"}}},
                                "response": {"statusCode": status, "body": {} if verb == "Delete" else {"user_id": user_id}}},
                    "hostname": None, "user_id": None, "user_name": None, "strategy": None, "strategy_type": None})
    rec.update({"log_id": log_id, "_id": log_id, "isMobile": False})
    return rec


MAKERS: dict[str, Callable[[random.Random, _Pools, int, int], dict[str, Any]]] = {
    "pingone": _pingone, "truto": _truto, "thousandeyes": _thousandeyes, "auth0": _auth0, "sailpoint": _sailpoint, "okta": _okta, "github": _github, "entra-audits": _entra_audit, "entra-signins": _entra_signin, "slack": _slack, "zendesk": _zendesk, "google-workspace": _google,
    "keyed": lambda rng, pools, i, ts: {"event_id": f"evt-{i:09d}", "ts": ts // 1_000_000_000,
                                        "kind": ("signin", "signout", "user.add")[i % 3], "user": f"u{i % 50}"}}
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
