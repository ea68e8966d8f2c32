"""The shared end-to-end matrix: every built-in provider, the same promises, against the emulator.

For each provider (one entry in MATRIX):
- a listing of several pages prints every record of the account in the window, exactly once;
- each unified filter either reaches the server in the provider's own syntax (the emulator
  evaluates it) or is applied locally, and either way selects what the fixtures say it should;
- `get` prints the activity, or refuses with exit 2 and a reason;
- credentials the API refuses exit 3 and name where they came from;
- a rate limit with the provider's own signals (429 or GitHub's 403) is waited out;
- `tail --state` stopped and started again prints every new activity once and nothing twice.

Expected values come from the fixtures through small oracles written here (the unified action
from the definition's table, the actor and entity from the native fields), never from
auditfetch itself.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import signal
import tempfile
import unittest
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness import (AUTH0_DOMAIN, CLIENT_ID, CLIENT_SECRET, DUO_API_HOST, DUO_IKEY, DUO_SKEY, ENTRA_TENANT_ID,
                     GITHUB_ORG, GOOGLE_ADMIN, GOOGLE_KEY_FILE, PINGONE_ENV_ID, REPO, TE_AID, TOKEN, TRUTO_ACCOUNT_ID,
                     ZENDESK_EMAIL, ZENDESK_SUBDOMAIN, EmulatorTestCase, fixture_records, run_auditfetch)
from provider_case import format_ms, ndjson, parse_time
from test_tail import TailProcess

SECOND = 1_000_000_000
WAIT = 15.0


def definition(name: str) -> dict[str, Any]:
    return json.loads((REPO / "providers" / f"{name}.json").read_text(encoding="utf-8"))


def at(record: Any, *path: Any) -> Any:
    for key in path:
        if isinstance(record, dict):
            record = record.get(key)
        elif isinstance(record, list) and isinstance(key, int) and key < len(record):
            record = record[key]
        else:
            return None
    return record


def text(value: Any) -> str | None:
    """A scalar as auditfetch prints it in a unified field (numbers as digits)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unified(provider: str, key: str | None, record: dict[str, Any]) -> str:
    """The unified action the definition's table gives `key`: the first rule whose glob and
    conditions hold; its value, or the raw key; "unknown" without a key."""
    spec = definition(provider)
    if key is None:
        return "unknown"
    if spec.get("actions_unified"):
        return key
    fold = spec.get("actions_case_insensitive", False)
    for rule in spec.get("actions", []):
        pattern, value = (rule["native"].lower(), key.lower()) if fold else (rule["native"], key)
        if not fnmatch.fnmatchcase(value, pattern.replace("[", "[[]")):
            continue
        where = rule.get("where", {})
        if all(text(at(record, *[int(p) if p.isdigit() else p for p in ptr.strip("/").split("/")])) == want
               for ptr, want in where.items()):
            return rule["unified"] or key
    return key


@dataclass
class Provider:
    """How to run one provider against the emulator, and what its fixtures mean."""

    name: str
    settings: Callable[[str], list[str]]          # emulator URL → settings and base URL flags
    env: dict[str, str]                            # working credentials
    records: list[dict[str, Any]]                  # what the account's listing serves in WINDOW
    rec_id: Callable[[dict[str, Any]], str]        # the id auditfetch prints for a record
    time: Callable[[dict[str, Any]], int]          # ns
    native_action: Callable[[dict[str, Any]], str | None]
    actor: Callable[[dict[str, Any]], str | None]
    entity: Callable[[dict[str, Any]], str | None]
    list_path: str                                 # for the request log and fault rules
    bad_credentials: dict[str, str | None]         # env making the API refuse
    names_in_refusal: str                          # what the refusal must name
    rate_limit: Callable[[], dict[str, Any]]       # a fault rule the provider's API would send now
    new_record: Callable[[dict[str, Any], str, int], dict[str, Any]]  # template, id, ns → record
    emulator_name: str = ""
    get_id: str | None = None                      # None: `get` is refused
    page_size: int = 4                             # records a page, for the multi-page listing
    page_size_flag: bool = True                    # False: the emulator's own (emulator_args)
    emulator_args: tuple[str, ...] = ()
    action_key: Callable[[dict[str, Any]], str | None] | None = None
    act_id: Callable[[dict[str, Any]], str] = lambda a: a["id"]
    window: tuple[str, str] = ("2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z")
    filters: list[tuple[str, ...]] = field(default_factory=list)

    def action(self, record: dict[str, Any]) -> str:
        key = (self.action_key or self.native_action)(record)
        return unified(self.name, key, record)

    def args(self, emu_url: str) -> list[str]:
        return ["-p", self.name, *self.settings(emu_url)]


def te_id(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def _pingone_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.pop("_links", None)
    rec.update(id=record_id, recordedAt=format_ms(ns), createdAt=format_ms(ns))
    return rec


def _truto_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(id=record_id, created_at=format_ms(ns))
    return rec


def _sailpoint_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(id=record_id, name=record_id, created=format_ms(ns), modified=format_ms(ns))
    return rec


def _te_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(date=format_ms(ns)[:19] + "Z", event=f"Test {record_id} created.")
    return rec


def _okta_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(uuid=record_id, published=format_ms(ns))
    return rec


def _github_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    ms = ns // 1_000_000
    rec.update(_document_id=record_id, created_at=ms)
    rec["@timestamp"] = ms
    return rec


def _graph_time(ns: int) -> str:
    return format_ms(ns)[:-1] + "1234Z"  # seven digits, as Graph writes them


def _audit_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(id=record_id, activityDateTime=_graph_time(ns))
    return rec


def _signin_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(id=record_id, createdDateTime=_graph_time(ns))
    return rec


def _te_fault() -> dict[str, Any]:
    # ThousandEyes says when its minute window rolls over; here, a second from now.
    import time as _time
    return {"kind": "status", "status": 429, "times": 1,
            "headers": {"X-Organization-Rate-Limit-Reset": str(int(_time.time()) + 2)}}


def _graph_token_url(emu: str) -> str:
    return f"{emu}/{ENTRA_TENANT_ID}/oauth2/v2.0/token"


def _first(provider: str, where: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(r for r in fixture_records(provider) if where(r))


# --------------------------------------------------------------------------- the direct providers


def first_present(record: dict[str, Any], *paths: tuple[Any, ...]) -> str | None:
    """The first of several fields that is set, as a definition's fallback list reads it."""
    for path in paths:
        value = at(record, *path)
        if value is not None:
            return text(value)
    return None


SLACK_ENTITIES = [("entity", kind, "id") for kind in ("user", "channel", "file", "app", "workflow", "workspace",
                                                      "enterprise", "usergroup", "role", "barrier", "huddle")]
SLACK_ENTITIES.append(("entity", "message", "channel"))


def _slack_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(id=str(uuid.UUID(record_id)), date_create=ns // SECOND)
    return rec


def _zendesk_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(id=int(record_id[:12], 16), created_at=format_ms(ns)[:19] + "Z")
    rec.pop("url", None)
    return rec


def _auth0_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    # A log id as Auth0 writes them: "900", the time to the millisecond, then digits; ascending.
    stamp = format_ms(ns)
    digits = re.sub(r"\D", "", stamp)[:17]
    log_id = ("900" + digits + str(int(record_id[:16], 16))).ljust(56, "0")[:56]
    rec.update(log_id=log_id, _id=log_id, date=stamp)
    return rec


def _op_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(uuid=record_id.upper()[:26], timestamp=format_ms(ns)[:-1] + "123456Z")
    return rec


def _duo_auth_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    ms = ns // 1_000_000
    rec.update(txid=str(uuid.UUID(record_id)), timestamp=ms // 1000,
               isotimestamp=format_ms(ns)[:-1].replace("Z", "") + "000+00:00")
    return rec


def _duo_admin_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    rec.update(timestamp=ns // SECOND, isotimestamp=format_ms(ns)[:19] + "+00:00",
               description=json.dumps({"note": record_id}))
    return rec


def _google_events(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per event: the API's record fans out into an activity per event."""
    return [{**r, "event": e, "_index": i} for r in records for i, e in enumerate(r["events"])]


def _google_id(r: dict[str, Any]) -> str:
    return f"{r['id']['applicationName']}:{r['id']['time']}:{r['id']['uniqueQualifier']}:{r.get('_index', 0)}"


def _google_param(r: dict[str, Any], name: str) -> str | None:
    event = r.get("event") or r["events"][0]
    return next((p.get("value") for p in event.get("parameters", []) if p["name"] == name), None)


def _google_new(rec: dict[str, Any], record_id: str, ns: int) -> dict[str, Any]:
    event = rec.pop("event", None) or rec["events"][0]
    rec.pop("_index", None)
    rec.update(events=[event], id={**rec["id"], "time": format_ms(ns), "uniqueQualifier": str(int(record_id[:15], 16))})
    return rec


_GOOGLE_KEYS: dict[str, str] = {}


def _google_key(emu: str) -> str:
    """The test service account's key file, its token_uri this emulator's token endpoint."""
    if emu not in _GOOGLE_KEYS:
        key = json.loads(GOOGLE_KEY_FILE.read_text(encoding="utf-8"))
        key["token_uri"] = emu + "/token"
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        with handle:
            json.dump(key, handle)
        _GOOGLE_KEYS[emu] = handle.name
    return _GOOGLE_KEYS[emu]


def _auth0_fault() -> dict[str, Any]:
    # Auth0 says when its window resets (Unix seconds); here, two seconds from now.
    import time as _time
    return {"kind": "status", "status": 429, "times": 1,
            "headers": {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(_time.time()) + 2)}}


def _op(name: str, path: str, actor: Callable[[dict[str, Any]], str | None],
        entity: Callable[[dict[str, Any]], str | None], action: Callable[[dict[str, Any]], str | None],
        filters: list[tuple[str, ...]]) -> Provider:
    return Provider(
        name=name, settings=lambda u: ["--base-url", u], env={"OP_EVENTS_TOKEN": TOKEN},
        records=fixture_records(name), rec_id=lambda r: r["uuid"], time=lambda r: parse_time(r["timestamp"]),
        native_action=action, actor=actor, entity=entity, list_path=path,
        bad_credentials={"OP_EVENTS_TOKEN": "wrong-token"}, names_in_refusal="OP_EVENTS_TOKEN",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_op_new, filters=filters)


DUO_ARGS = ("--now", "2024-06-01T00:00:00Z", "--duo-admin-page", "5")
GOOGLE_ADMIN_EVENTS = _google_events([r for r in fixture_records("google-workspace")
                                      if r["id"]["applicationName"] == "admin"])


GITHUB_WEB = [r for r in fixture_records("github") if r.get("org") == GITHUB_ORG
              and not r["action"].startswith("git.")]

MATRIX: list[Provider] = [
    Provider(
        name="pingone", settings=lambda u: ["--environment-id", PINGONE_ENV_ID, "--base-url", u + "/v1"],
        env={"AUDITFETCH_TOKEN": TOKEN}, records=fixture_records("pingone"), rec_id=lambda r: r["id"],
        time=lambda r: parse_time(r["recordedAt"]), native_action=lambda r: at(r, "action", "type"),
        actor=lambda r: at(r, "actors", "user", "id") or (
            next((x["id"] for x in r.get("resources", []) if x.get("type") == "USER"), None)
            if fnmatch.fnmatchcase(at(r, "action", "type") or "", "PASSWORD.CHECK_*")
            or fnmatch.fnmatchcase(at(r, "action", "type") or "", "USER.ACCESS_*") else None),
        entity=lambda r: at(r, "resources", 0, "id"),
        list_path="/activities", bad_credentials={"PINGONE_ACCESS_TOKEN": "wrong-token"},
        names_in_refusal="PINGONE_ACCESS_TOKEN", rate_limit=lambda: {"kind": "status", "status": 429, "times": 1},
        new_record=_pingone_new, get_id=fixture_records("pingone")[0]["id"],
        filters=[("--action", "login"), ("--action", "create"), ("--action", "USER.UPDATED")]),
    Provider(
        name="truto", settings=lambda u: ["--integrated-account-id", TRUTO_ACCOUNT_ID, "--base-url", u],
        env={"AUDITFETCH_TOKEN": TOKEN}, records=fixture_records("truto"), rec_id=lambda r: r["id"],
        time=lambda r: parse_time(r["created_at"]), native_action=lambda r: r.get("action"),
        actor=lambda r: at(r, "actor", "user", "id"), entity=lambda r: r.get("entity"),
        list_path="/unified/user-directory/activities", bad_credentials={"TRUTO_API_TOKEN": "wrong-token"},
        names_in_refusal="TRUTO_API_TOKEN", rate_limit=lambda: {"kind": "status", "status": 429, "times": 1},
        new_record=_truto_new, get_id=fixture_records("truto")[0]["id"], filters=[("--action", "login")]),
    Provider(
        name="thousandeyes", settings=lambda u: ["--aid", TE_AID, "--base-url", u + "/v7"],
        env={"AUDITFETCH_TOKEN": TOKEN},
        records=[r for r in fixture_records("thousandeyes") if r.get("aid") == TE_AID], rec_id=te_id,
        act_id=lambda a: te_id(a["remote_data"]),
        time=lambda r: parse_time(r["date"]), native_action=lambda r: r.get("event"),
        actor=lambda r: text(r.get("uid")), entity=lambda r: at(r, "resources", 0, "name"),
        list_path="/audit-user-events", bad_credentials={"TE_TOKEN": "wrong-token"},
        names_in_refusal="TE_TOKEN", rate_limit=_te_fault, new_record=_te_new,
        page_size=5, page_size_flag=False, emulator_args=("--te-page-size", "5"),
        filters=[("--action", "login"), ("--action", "updated")]),
    Provider(
        name="sailpoint", settings=lambda u: ["--tenant", "acme-sb", "--base-url", u + "/v3",
                                              "--token-url", u + "/oauth/token"],
        env={"SAIL_CLIENT_ID": CLIENT_ID, "SAIL_CLIENT_SECRET": CLIENT_SECRET},
        records=fixture_records("sailpoint"), rec_id=lambda r: r["id"],
        time=lambda r: parse_time(r["created"]), native_action=lambda r: r.get("type"),
        action_key=lambda r: at(r, "items", 0, "operation") or r.get("type"),
        actor=lambda r: at(r, "requesterIdentitySummary", "identityId") or at(r, "requesterIdentitySummary", "id"),
        entity=lambda r: at(r, "targetIdentitySummary", "identityId") or at(r, "targetIdentitySummary", "id"),
        list_path="/account-activities", bad_credentials={"SAIL_CLIENT_SECRET": "wrong-secret"},
        names_in_refusal="SAIL_CLIENT_ID/SAIL_CLIENT_SECRET",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_sailpoint_new,
        get_id=fixture_records("sailpoint")[0]["id"], filters=[("--action", "updated")]),
    Provider(
        name="okta", settings=lambda u: ["--domain", "acme.okta.com", "--base-url", u],
        env={"OKTA_API_TOKEN": TOKEN}, records=fixture_records("okta"), rec_id=lambda r: r["uuid"],
        time=lambda r: parse_time(r["published"]), native_action=lambda r: r.get("eventType"),
        actor=lambda r: at(r, "actor", "id"), entity=lambda r: at(r, "target", 0, "id"),
        list_path="/api/v1/logs", bad_credentials={"OKTA_API_TOKEN": "wrong-token"},
        names_in_refusal="OKTA_API_TOKEN", rate_limit=lambda: {"kind": "status", "status": 429, "times": 1},
        new_record=_okta_new,
        filters=[("--action", "login"), ("--action", "login_failed"), ("--action", "user_deleted"),
                 ("--action", "group.user_membership.add"), ("--action", "logout", "--action", "user_created")]),
    Provider(
        name="github", settings=lambda u: ["--org", GITHUB_ORG, "--base-url", u],
        env={"GITHUB_TOKEN": TOKEN}, records=GITHUB_WEB, rec_id=lambda r: r["_document_id"],
        time=lambda r: r["@timestamp"] * 1_000_000, native_action=lambda r: r.get("action"),
        actor=lambda r: text(r.get("actor_id")),
        entity=lambda r: text(r.get("user_id")) if "user" in r else text(r.get("repo_id")) if "repo" in r
        else r.get("team"),
        list_path="/audit-log", bad_credentials={"GITHUB_TOKEN": "wrong-token"},
        names_in_refusal="GITHUB_TOKEN", rate_limit=lambda: {"kind": "status", "status": 403, "times": 1},
        new_record=_github_new,
        filters=[("--action", "user_joined"), ("--action", "repo.create"), ("--action", "create"),
                 ("--action", "user_invited", "--action", "user_deleted")]),
    Provider(
        name="entra-audits",
        settings=lambda u: ["--tenant-id", ENTRA_TENANT_ID, "--base-url", u + "/v1.0",
                            "--token-url", _graph_token_url(u)],
        env={"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET},
        records=fixture_records("entra-audits"), rec_id=lambda r: r["id"],
        time=lambda r: parse_time(r["activityDateTime"]), native_action=lambda r: r.get("activityDisplayName"),
        actor=lambda r: at(r, "initiatedBy", "user", "id") or at(r, "initiatedBy", "app", "appId"),
        entity=lambda r: at(r, "targetResources", 0, "id"), list_path="/auditLogs/directoryAudits",
        bad_credentials={"AZURE_CLIENT_SECRET": "wrong-secret"},
        names_in_refusal="AZURE_CLIENT_ID/AZURE_CLIENT_SECRET",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_audit_new,
        get_id=fixture_records("entra-audits")[0]["id"],
        filters=[("--action", "user_created"), ("--action", "user_deleted"), ("--action", "Add member to group")]),
    Provider(
        name="entra-signins",
        settings=lambda u: ["--tenant-id", ENTRA_TENANT_ID, "--base-url", u + "/v1.0",
                            "--token-url", _graph_token_url(u)],
        env={"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET},
        records=fixture_records("entra-signins"), rec_id=lambda r: r["id"],
        time=lambda r: parse_time(r["createdDateTime"]), native_action=lambda r: "sign-in",
        actor=lambda r: r.get("userId"), entity=lambda r: r.get("appId"), list_path="/auditLogs/signIns",
        bad_credentials={"AZURE_CLIENT_SECRET": "wrong-secret"},
        names_in_refusal="AZURE_CLIENT_ID/AZURE_CLIENT_SECRET",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_signin_new,
        get_id=fixture_records("entra-signins")[0]["id"], filters=[("--action", "login"), ("--action", "login_failed")]),
    Provider(
        name="slack", settings=lambda u: ["--base-url", u + "/audit/v1"], env={"SLACK_TOKEN": TOKEN},
        records=fixture_records("slack"), rec_id=lambda r: r["id"], time=lambda r: r["date_create"] * SECOND,
        native_action=lambda r: r.get("action"), actor=lambda r: at(r, "actor", "user", "id"),
        entity=lambda r: first_present(r, *SLACK_ENTITIES), list_path="/audit/v1/logs",
        bad_credentials={"SLACK_TOKEN": "wrong-token"}, names_in_refusal="SLACK_TOKEN",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_slack_new,
        filters=[("--action", "login"), ("--action", "user_updated"), ("--action", "login", "--action", "logout"),
                 ("--action", "file_downloaded")]),
    Provider(
        name="zendesk", settings=lambda u: ["--subdomain", ZENDESK_SUBDOMAIN, "--base-url", u],
        env={"ZENDESK_EMAIL": ZENDESK_EMAIL, "ZENDESK_API_TOKEN": TOKEN}, records=fixture_records("zendesk"),
        rec_id=lambda r: str(r["id"]), time=lambda r: parse_time(r["created_at"]),
        native_action=lambda r: r.get("action"), actor=lambda r: text(r.get("actor_id")),
        entity=lambda r: text(r.get("source_id")), list_path="/api/v2/audit_logs",
        bad_credentials={"ZENDESK_API_TOKEN": "wrong-token"}, names_in_refusal="ZENDESK_API_TOKEN",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_zendesk_new,
        get_id=str(fixture_records("zendesk")[0]["id"]),
        filters=[("--action", "login"), ("--action", "user_created"), ("--action", "user_deleted"),
                 ("--action", "exported"), ("--action", "user_updated", "--action", "login")]),
    Provider(
        name="google-workspace",
        settings=lambda u: ["--application", "admin", "--subject", GOOGLE_ADMIN, "--credentials-file", _google_key(u),
                            "--base-url", u],
        env={}, records=GOOGLE_ADMIN_EVENTS, rec_id=_google_id, time=lambda r: parse_time(r["id"]["time"]),
        native_action=lambda r: (r.get("event") or r["events"][0])["name"],
        actor=lambda r: at(r, "actor", "profileId"), entity=lambda r: _google_param(r, "USER_EMAIL"),
        list_path="/applications/admin", bad_credentials={"GOOGLE_ACCESS_TOKEN": "wrong-token"},
        names_in_refusal="GOOGLE_ACCESS_TOKEN", rate_limit=lambda: {"kind": "status", "status": 429, "times": 1},
        new_record=_google_new, emulator_name="google-workspace",
        filters=[("--action", "user_created"), ("--action", "user_updated"), ("--action", "CREATE_GROUP")]),
    Provider(
        name="auth0",
        settings=lambda u: ["--domain", AUTH0_DOMAIN, "--base-url", u + "/api/v2", "--token-url", u + "/oauth/token"],
        env={"AUTH0_CLIENT_ID": CLIENT_ID, "AUTH0_CLIENT_SECRET": CLIENT_SECRET}, records=fixture_records("auth0"),
        rec_id=lambda r: r["log_id"], time=lambda r: parse_time(r["date"]), native_action=lambda r: r.get("type"),
        actor=lambda r: r.get("user_id") or r.get("client_id"), entity=lambda r: r.get("user_id") or r.get("client_id"),
        list_path="/api/v2/logs", bad_credentials={"AUTH0_CLIENT_SECRET": "wrong-secret"},
        names_in_refusal="AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET", rate_limit=_auth0_fault, new_record=_auth0_new,
        get_id=fixture_records("auth0")[0]["log_id"],
        filters=[("--action", "login"), ("--action", "login_failed"), ("--action", "sapi"),
                 ("--action", "user_deleted", "--action", "logout")]),
    _op("1password-audit", "/auditevents", actor=lambda r: r.get("actor_uuid"), entity=lambda r: r.get("object_uuid"),
        action=lambda r: r.get("action"),
        filters=[("--action", "user_created"), ("--action", "user_deactivated"), ("--action", "grant")]),
    _op("1password-signins", "/signinattempts", actor=lambda r: at(r, "target_user", "uuid"),
        entity=lambda r: at(r, "target_user", "uuid"), action=lambda r: r.get("category"),
        filters=[("--action", "login"), ("--action", "login_failed")]),
    _op("1password-item-usages", "/itemusages", actor=lambda r: at(r, "user", "uuid"),
        entity=lambda r: r.get("item_uuid"), action=lambda r: r.get("action"),
        filters=[("--action", "fill"), ("--action", "reveal", "--action", "secure-copy")]),
    Provider(
        name="duo-auth", settings=lambda u: ["--api-host", DUO_API_HOST, "--base-url", u],
        env={"DUO_IKEY": DUO_IKEY, "DUO_SKEY": DUO_SKEY}, records=fixture_records("duo-auth"),
        rec_id=lambda r: r["txid"], time=lambda r: parse_time(r["isotimestamp"]),
        native_action=lambda r: r.get("event_type"), actor=lambda r: at(r, "user", "key"),
        entity=lambda r: at(r, "application", "key"), list_path="/logs/authentication",
        bad_credentials={"DUO_SKEY": "wrong-secret-key"}, names_in_refusal="DUO_IKEY/DUO_SKEY",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_duo_auth_new,
        emulator_args=DUO_ARGS, filters=[("--action", "login"), ("--action", "login_failed"), ("--action", "enrollment")]),
    Provider(
        name="duo-admin", settings=lambda u: ["--api-host", DUO_API_HOST, "--base-url", u],
        env={"DUO_IKEY": DUO_IKEY, "DUO_SKEY": DUO_SKEY}, records=fixture_records("duo-admin"), rec_id=te_id,
        act_id=lambda a: te_id(a["remote_data"]), time=lambda r: r["timestamp"] * SECOND,
        native_action=lambda r: r.get("action"), actor=lambda r: r.get("username") or None,
        entity=lambda r: r.get("object"), list_path="/logs/administrator",
        bad_credentials={"DUO_SKEY": "wrong-secret-key"}, names_in_refusal="DUO_IKEY/DUO_SKEY",
        rate_limit=lambda: {"kind": "status", "status": 429, "times": 1}, new_record=_duo_admin_new,
        page_size=5, page_size_flag=False, emulator_args=DUO_ARGS,
        filters=[("--action", "login"), ("--action", "user_updated"), ("--action", "group_create")]),
]


class MatrixCase:
    """The matrix's tests; mixed into one EmulatorTestCase per provider below."""

    provider: Provider
    emu: Any

    @property
    def p(self) -> Provider:
        return self.provider

    def run_list(self, *args: str, page_size: int | None = None):
        since, until = self.p.window
        size = ["--page-size", str(page_size)] if page_size and self.p.page_size_flag else []
        return run_auditfetch("list", *self.p.args(self.emu.url), "--since", since, "--until", until,
                              "-o", "ndjson", *size, *args, env=self.p.env)

    def ids(self, result) -> list[str]:
        self.assertEqual(result.returncode, 0, result.stderr)
        return [self.p.act_id(a) for a in ndjson(result.stdout)]

    def expected(self, keep: Callable[[dict[str, Any]], bool] = lambda r: True) -> list[str]:
        since, until = (parse_time(t) for t in self.p.window)
        return sorted(self.p.rec_id(r) for r in self.p.records if since <= self.p.time(r) < until and keep(r))

    def assertOnce(self, got: list[str], expected: list[str]) -> None:
        self.assertEqual(sorted(got), expected)
        self.assertEqual(len(set(got)), len(got), "an activity was printed twice")

    # ---------------------------------------------------------------- listing

    def test_a_multi_page_listing_prints_every_record_once(self) -> None:
        result = self.run_list(page_size=self.p.page_size)
        expected = self.expected()
        self.assertGreater(len(expected), self.p.page_size * 2, "the fixtures fill several pages")
        self.assertOnce(self.ids(result), expected)
        self.assertGreater(len(self.emu.requests(self.p.list_path)), 2)

    # ---------------------------------------------------------------- filters

    def check_filter(self, args: tuple[str, ...], keep: Callable[[dict[str, Any]], bool]) -> None:
        result = self.run_list("-v", *args, page_size=50)
        expected = self.expected(keep)
        self.assertTrue(expected, f"{args}: the fixtures hold matches")
        self.assertOnce(self.ids(result), expected)
        line = next(l for l in result.stderr.splitlines() if "filters pushed down" in l)
        pushed = line.split("filters pushed down: ")[1].split(";")[0]
        # Whatever was pushed down was sent in the provider's syntax: the request differs from
        # one without the filter (and the emulator evaluated it).
        if args[0].lstrip("-").replace("-", "_") in pushed.split(", "):
            plain = self.emu.requests(self.p.list_path)[0]["query"]
            self.emu.clear_requests()
            self.run_list(page_size=50)
            self.assertNotEqual(plain, self.emu.requests(self.p.list_path)[0]["query"])

    def test_actions_select_what_the_definition_says(self) -> None:
        for args in self.p.filters:
            wanted = set(args[1::2])
            with self.subTest(args=args):
                self.emu.clear_requests()
                self.check_filter(args, lambda r: self.p.action(r) in wanted
                                  or self.p.native_action(r) in wanted)

    def test_the_actor_and_entity_filters_select_the_same_records(self) -> None:
        actors = [self.p.actor(r) for r in self.p.records if self.p.actor(r)]
        entities = [self.p.entity(r) for r in self.p.records if self.p.entity(r)]
        for flag, value, field_of in (("--actor-id", max(set(actors), key=actors.count), self.p.actor),
                                      ("--entity", max(set(entities), key=entities.count), self.p.entity)):
            with self.subTest(flag=flag):
                self.emu.clear_requests()
                self.check_filter((flag, value), lambda r, v=value, f=field_of: f(r) == v)

    def test_a_narrower_time_window_is_exact_at_both_ends(self) -> None:
        times = sorted({self.p.time(r) for r in self.p.records})
        since_ns, until_ns = times[len(times) // 4], times[3 * len(times) // 4]
        since, until = format_ms(since_ns), format_ms(until_ns)
        result = run_auditfetch("list", *self.p.args(self.emu.url), "--since", since, "--until", until,
                                "-o", "ndjson", env=self.p.env)
        self.assertOnce(self.ids(result), sorted(self.p.rec_id(r) for r in self.p.records
                                                 if since_ns // 1_000_000 <= self.p.time(r) // 1_000_000 < until_ns // 1_000_000))

    # ---------------------------------------------------------------- get

    def test_get_prints_the_activity_or_says_why_not(self) -> None:
        result = run_auditfetch("get", *self.p.args(self.emu.url), self.p.get_id or "some-id", "-o", "json",
                                env=self.p.env)
        if self.p.get_id is None:
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("cannot fetch one activity by id", result.stderr)
            self.assertEqual(result.stdout, "")
            self.assertEqual(self.emu.requests(self.p.list_path), [])
        else:
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout)["id"], self.p.get_id)

    # ---------------------------------------------------------------- refusals and limits

    def test_refused_credentials_exit_3_naming_their_source(self) -> None:
        env = {**{k: None for k in self.p.env}, **self.p.bad_credentials,
               **{k: v for k, v in self.p.env.items() if k not in self.p.bad_credentials
                  and k != "AUDITFETCH_TOKEN"}}
        result = run_auditfetch("list", *self.p.args(self.emu.url), "--since", self.p.window[0],
                                "--until", self.p.window[1], env=env)
        self.assertEqual(result.returncode, 3, result.stderr)
        error = result.stderr.strip().splitlines()[-1]
        self.assertTrue(error.startswith("auditfetch: error: "), result.stderr)
        self.assertIn(self.p.names_in_refusal, error)
        self.assertNotIn("wrong-", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_a_rate_limit_is_waited_out(self) -> None:
        self.emu.faults({"path": self.p.list_path, **self.p.rate_limit()})
        result = self.run_list(page_size=50)
        self.assertOnce(self.ids(result), self.expected())
        # The wait is the one the API asked for (Retry-After or the reset time, a second or
        # two), not the first step of the backoff (at most half a second).
        match = re.search(r"retrying in ([0-9.]+) (ms|s)", result.stderr)
        self.assertIsNotNone(match, result.stderr)
        self.assertGreaterEqual(float(match.group(1)) * (1 if match.group(2) == "s" else 0.001), 0.9,
                                result.stderr)
        first, again = self.emu.requests(self.p.list_path)[:2]
        self.assertEqual((first["path"], first["query"]), (again["path"], again["query"]))

    # ---------------------------------------------------------------- tail --state

    def new_records(self, count: int, after_ns: int) -> list[dict[str, Any]]:
        template = copy.deepcopy(self.p.records[-1])
        out = []
        for i in range(count):
            record_id = uuid.uuid4().hex if self.p.name != "github" else uuid.uuid4().hex[:22]
            out.append(self.p.new_record(copy.deepcopy(template), record_id, after_ns + i * SECOND))
        self.emu.add_activities(self.p.emulator_name or self.p.name, out)
        return out

    def tail(self, state: Path) -> TailProcess:
        return TailProcess(["tail", *self.p.args(self.emu.url), "--since", self.p.window[0], "--interval", "1s",
                            "--state", state, "-o", "ndjson"], env=self.p.env)

    def stop(self, process: TailProcess) -> None:
        process.signal(signal.SIGTERM)
        self.assertTrue(process.wait_for(process.finished, WAIT), process.describe())
        self.assertEqual(process.proc.returncode, 0, process.describe())

    def test_tail_with_state_restarts_without_loss_or_repeats(self) -> None:
        newest = max(self.p.time(r) for r in self.p.records)
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state.json"
            first = self.tail(state)
            existing = sorted(self.p.rec_id(r) for r in self.p.records)
            self.assertTrue(first.wait_for(lambda: len(first.lines()) >= len(existing), WAIT), first.describe())
            added = self.new_records(2, newest + 3600 * SECOND)
            want = existing + [self.p.rec_id(r) for r in added]
            self.assertTrue(first.wait_for(lambda: len(first.lines()) >= len(want), WAIT), first.describe())
            self.stop(first)
            got = [self.p.act_id(a) for a in first.activities()]
            self.assertOnce(got, sorted(want))

            later = self.new_records(3, newest + 7200 * SECOND)  # while nothing runs
            second = self.tail(state)
            self.assertTrue(second.wait_for(lambda: len(second.lines()) >= 3, WAIT), second.describe())
            more = self.new_records(1, newest + 9000 * SECOND)
            self.assertTrue(second.wait_for(lambda: len(second.lines()) >= 4, WAIT), second.describe())
            second.wait_for(lambda: False, 2.5)  # two more polls: nothing else may come
            self.stop(second)
            again = [self.p.act_id(a) for a in second.activities()]
            self.assertOnce(again, sorted(self.p.rec_id(r) for r in later + more))


def _case(provider: Provider) -> type:
    title = provider.name.replace("1password", "one_password").replace("-", "_").title().replace("_", "")
    return type(f"{title}MatrixTest", (MatrixCase, EmulatorTestCase),
                {"provider": provider, "emulator_args": provider.emulator_args,
                 "__doc__": f"The matrix for {provider.name}."})


for _provider in MATRIX:
    globals()[_case(_provider).__name__] = _case(_provider)
del _provider


class MatrixCoverageTest(unittest.TestCase):
    def test_every_built_in_provider_is_in_the_matrix(self) -> None:
        built_in = sorted(path.stem for path in (REPO / "providers").glob("*.json"))
        self.assertEqual(sorted(p.name for p in MATRIX), built_in)


if __name__ == "__main__":
    unittest.main()
