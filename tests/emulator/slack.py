"""Slack Audit Logs API: GET /audit/v1/logs, plus the unauthenticated /audit/v1/schemas and
/audit/v1/actions. Base URL as auditfetch's --base-url: EMU_URL + "/audit/v1".

Error codes come from the reference's list (docs.slack.dev/reference/audit-logs-api/
methods-actions-reference), which also says the API answers "standard HTTP status codes";
the status given to each code is inferred, and so is everything marked (inferred).

Authentication: `Authorization: Bearer <token>` (scheme case-insensitive) with a --token value
(default test-token):
  no header, or not `Bearer <token>`   401 {"ok":false,"error":"missing_authentication"}
  an unknown token                     401 {"ok":false,"error":"invalid_authentication"}
  SPECIAL_TOKENS (below)               403 missing_scope (plus needed/provided, the fields Slack's
                                       SDKs parse), team_not_authorized, user_not_authorized,
                                       feature_not_enabled (inferred status)
  Slack's own SDK test against the live API saw a 401 with no parseable body for a dummy token:
  a client must not depend on the body of a 401.

Parameters (all optional; an empty value is absent (inferred: Elastic sends cursor= first); a
repeated one takes its last value (inferred); unknown ones are ignored, as Elastic's client sends
max_date_seen_so_far):
  oldest, latest   epoch seconds, both inclusive. Not digits → 400 invalid_arguments (inferred).
                   oldest before DATA_FLOOR (March 2018) or after now, latest before the floor,
                   or oldest > latest → 400 invalid_range. latest in the future is accepted.
  limit            1..9999, default 100 (inferred; the reference gives none); anything else →
                   400 invalid_arguments (inferred). A page may hold MORE than limit entries: it
                   runs on over every entry of the last entry's second, as the reference warns
                   ("multiple logs that were recorded at the exact same time"), so a second is
                   never split across pages.
  action           one name or several separated by commas, at most 30 (more → 400
                   invalid_arguments); a name neither in the reference's catalogue nor in a stored
                   record → 400 invalid_action.
  actor            user id, exact match on actor.user.id.
  entity           id, exact match on entity.<entity.type>.id.
  cursor           response_metadata.next_cursor of the previous page: standard base64 (it can
                   hold + / =, so it must be percent-encoded). It carries its query: parameters
                   left out of a cursor request are taken from it (XSOAR drops oldest); one given
                   with another value than the cursor was issued for, or an altered cursor → 400
                   invalid_cursor.
Success: {"entries":[...],"response_metadata":{"next_cursor":"..."}} (no "ok", as in the
reference's sample), newest first by (date_create, id); the last page has next_cursor "" and is
never empty unless the whole result is. A cursor is a keyset position, so entries added while
paging show on later pages when they sort below it and in later polls otherwise, never twice.

Errors are {"ok":false,"error":"<code>"}, application/json; charset=utf-8; unknown /audit/ paths
→ 404 bad_endpoint; other methods → 405 method_not_allowed. 429 → {"ok":false,"error":
"rate_limited"} (the reference's spelling; the Web API says ratelimited) with Retry-After: 1 and
no other rate-limit header (Tier 3, 50 calls per minute org-wide; not enforced here). A status
fault with status 200 gives a Web API style {"ok":false,"error":"internal_error"}.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from typing import Any

from common import (SLACK_NO_SCOPE_TOKEN, HttpError, Request, Response, bearer_token, dumps, fingerprint,
                    route)
from store import State

PROVIDER = "slack"
CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_LIMIT = 100
MAX_LIMIT = 9999
MAX_ACTIONS = 30
DATA_FLOOR = 1519862400  # 2018-03-01T00:00:00Z: "Data is not available prior to March 2018"
SCOPE = "auditlogs:read"
FILTERS = ("oldest", "latest", "action", "actor", "entity")

# Tokens that authenticate but are refused, one per documented reason.
SPECIAL_TOKENS: dict[str, tuple[int, dict[str, Any]]] = {
    SLACK_NO_SCOPE_TOKEN: (403, {"error": "missing_scope", "needed": SCOPE, "provided": "admin,users:read"}),
    "xoxp-workspace-install": (403, {"error": "team_not_authorized"}),  # app installed on a workspace
    "xoxp-org-admin": (403, {"error": "user_not_authorized"}),  # an org admin, not the owner
    "xoxp-not-enterprise": (403, {"error": "feature_not_enabled"}),  # not an Enterprise org
}

STATUS_ERRORS = {200: "internal_error", 400: "invalid_arguments", 401: "invalid_authentication",
                 404: "bad_endpoint", 405: "method_not_allowed", 429: "rate_limited", 500: "internal_error",
                 503: "service_unavailable"}

# The reference's action catalogue (a part of it), grouped as GET /actions groups it.
ACTION_GROUPS: dict[str, list[str]] = {k: v.split() for k, v in {
    "workspace_or_org": """
        workspace_created workspace_deleted organization_created organization_deleted organization_renamed
        organization_domain_changed organization_accepted_migration organization_declined_migration
        organization_verified organization_unverified organization_public_url_updated emoji_added emoji_removed
        emoji_aliased emoji_renamed billing_address_added migration_scheduled migration_completed
        migration_dms_mpdms_completed workspace_accepted_migration workspace_declined_migration
        corporate_exports_approved corporate_exports_enabled manual_export_started manual_export_completed
        manual_export_downloaded manual_export_deleted scheduled_export_started scheduled_export_completed
        scheduled_export_downloaded scheduled_export_deleted channels_export_started channels_export_completed
        channels_export_downloaded channels_export_deleted manual_user_export_started manual_user_export_completed
        manual_user_export_downloaded manual_user_export_deleted ekm_enrolled ekm_unenrolled ekm_key_added
        ekm_key_removed ekm_clear_cache_set ekm_logging_config_set approved_orgs_added approved_orgs_removed
        barrier_created barrier_updated barrier_deleted cli_login domain_created domain_deleted domain_verified
        idp_configuration_added idp_configuration_deleted idp_prod_configuration_updated
        idp_test_configuration_updated message_flagged message_moderated message_restored message_tombstoned
        team_authorized_ip_range_set thread_replies_disabled thread_replies_enabled audit_logs_records_searched
        audit_logs_export_csv_started audit_logs_export_json_started auth_policy_created
        auth_policy_entity_assigned auth_policy_entity_removed bulk_session_reset_by_admin intune_disabled
        intune_enabled pref.allow_calls pref.allow_message_deletion pref.app_dir_only pref.app_whitelist_enabled
        pref.block_file_download_for_unapproved_ip pref.can_receive_shared_channels_invites
        pref.commands_only_regular pref.custom_tos pref.disallow_public_file_urls pref.dm_retention_changed
        pref.dnd_enabled pref.dnd_end_hour pref.dnd_start_hour pref.emoji_only_admins
        pref.enterprise_default_channels pref.enterprise_mobile_device_check pref.enterprise_team_creation_request
        pref.file_retention_changed pref.invites_only_admins pref.ml_opt_out pref.mobile_session_duration_changed
        pref.msg_edit_window_mins pref.private_channel_retention_changed pref.public_channel_retention_changed
        pref.retention_override_changed pref.session_duration_changed pref.session_duration_type_changed
        pref.sign_in_with_slack_disabled pref.slackbot_responses_disabled pref.slackbot_responses_only_admins
        pref.sso_setting_changed pref.stats_only_admins pref.two_factor_auth_changed
        pref.two_factor_prevent_sms_changed pref.username_policy pref.who_can_archive_channels
        pref.who_can_create_delete_user_groups pref.who_can_create_private_channels
        pref.who_can_create_public_channels pref.who_can_edit_user_groups pref.who_can_manage_channel_posting_prefs
        pref.who_can_manage_ext_shared_channels pref.who_can_manage_guests pref.who_can_manage_shared_channels
        pref.who_can_remove_from_private_channels prefs_setting_changed""",
    "user": """
        anomaly custom_tos_accepted custom_tos_link_clicked guest_created guest_deactivated guest_expiration_cleared
        guest_expiration_set guest_expired guest_joined_workspace guest_reactivated owner_transferred
        permissions_assigned permissions_removed role_assigned role_change_to_admin role_change_to_guest
        role_change_to_owner role_change_to_user role_removed user_created user_deactivated user_email_updated
        user_force_upgrade_non_compliant_mobile_app_version user_joined_workspace user_login_failed user_login
        user_logout_compromised user_logout_non_compliant_mobile_app_version user_logout
        user_password_reset_requested user_password_reset_slack_security user_profile_updated user_profile_deleted
        user_reactivated user_session_invalidated user_session_reset_by_admin
        user_sessions_reset_by_anomaly_event_response user_session_settings_changed""",
    "file": """
        file_deleted file_download_blocked file_downloaded file_malicious_content_detected file_public_link_created
        file_public_link_revoked file_shared file_uploaded""",
    "channel": """
        channel_email_address_created channel_email_address_deleted channel_moved channel_posting_permissions_updated
        channel_posting_pref_changed_from_org_level channel_renamed channel_retention_changed channel_tab_added
        channel_tab_removed channel_workspaces_updated dm_user_added group_converted_to_channel guest_channel_join
        guest_channel_leave mpim_converted_to_private private_channel_archive private_channel_converted_to_public
        private_channel_created private_channel_deleted private_channel_unarchive private_message_forwarded
        public_channel_archive public_channel_converted_to_private public_channel_created public_channel_deleted
        public_channel_preview public_channel_unarchive user_channel_join user_channel_leave
        external_shared_channel_connected external_shared_channel_disconnected external_shared_channel_reconnected
        external_shared_channel_invite_accepted external_shared_channel_invite_approved
        external_shared_channel_invite_created external_shared_channel_invite_declined
        external_shared_channel_invite_expired external_shared_channel_invite_revoked
        external_shared_channel_invite_auto_revoked""",
    "app": """
        app_approved app_deleted app_deployed app_installed app_manifest_created app_manifest_updated
        app_removed_from_whitelist app_resources_added app_resources_granted app_restricted app_scopes_expanded
        app_token_preserved app_uninstalled bot_token_downgraded bot_token_upgraded
        org_app_future_workspace_install_disabled org_app_future_workspace_install_enabled
        org_app_upgraded_to_org_install org_app_workspace_added org_app_workspace_removed""",
    "workflow_builder": """
        workflow_app_token_preserved workflow_created workflow_deleted workflow_published
        workflow_responses_csv_download workflow_unpublished workflow_v2_published""",
    "huddle": """
        huddle_ended huddle_knock_accepted huddle_participant_dropped huddle_participant_joined
        huddle_participant_left huddle_started""",
    "canvas": """
        canvas_access_added canvas_access_revoked canvas_created canvas_deleted canvas_edited canvas_opened
        canvas_shared canvas_unshared""",
}.items()}
CATALOGUE = frozenset(a for group in ACTION_GROUPS.values() for a in group)

SCHEMAS = [
    {"type": "workspace", "workspace": {"id": "string", "name": "string", "domain": "string"}},
    {"type": "enterprise", "enterprise": {"id": "string", "name": "string", "domain": "string"}},
    {"type": "user", "user": {"id": "string", "name": "string", "email": "string", "team": "string"}},
    {"type": "file", "file": {"id": "string", "name": "string", "filetype": "string", "title": "string"}},
    {"type": "channel", "channel": {"id": "string", "name": "string", "privacy": "string", "is_shared": "bool",
                                    "is_org_shared": "bool", "teams_shared_with": "Optional: varray<string>"}},
    {"type": "app", "app": {"id": "string", "name": "string", "is_distributed": "bool",
                            "is_directory_approved": "bool", "is_workflow_app": "bool", "scopes": "array"}},
    {"type": "workflow", "workflow": {"id": "string", "name": "string"}},
    {"type": "barrier", "barrier": {"id": "string", "primary_usergroup": "string",
                                    "barriered_from_usergroup": "string"}},
    {"type": "message", "message": {"team": "string", "channel": "string", "timestamp": "string"}},
]


# --------------------------------------------------------------------------- errors


def error(status: int, code: str, extra: dict[str, Any] | None = None,
          headers: list[tuple[str, str]] | None = None) -> Response:
    body = {"ok": False, "error": code, **(extra or {})}
    return Response(status, dumps(body), [("Content-Type", CONTENT_TYPE)] + list(headers or []))


def default_error(status: int) -> Response:
    """Slack's body for a status; 200 gives a Web API style ok:false (a fault-friendly error)."""
    if status == 429:
        return error(429, "rate_limited", headers=[("Retry-After", "1")])
    if status == 403:
        return refused(SLACK_NO_SCOPE_TOKEN)
    default = "internal_error" if status >= 500 or status < 400 else "invalid_request"
    return error(status, STATUS_ERRORS.get(status, default))


def refused(token: str) -> Response:
    """The 403 for one of SPECIAL_TOKENS."""
    status, body = SPECIAL_TOKENS[token]
    return error(status, body["error"], {k: v for k, v in body.items() if k != "error"})


def bad(code: str, status: int = 400) -> HttpError:
    return HttpError(error(status, code))


# --------------------------------------------------------------------------- records


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or not rec["id"]:
        raise ValueError("a Slack audit entry needs a string 'id'")
    if not _is_int(rec.get("date_create")) or rec["date_create"] < 0:
        raise ValueError("'date_create' must be epoch seconds (a non-negative integer)")
    if not isinstance(rec.get("action"), str) or not rec["action"]:
        raise ValueError("a Slack audit entry needs a string 'action'")
    for part in ("actor", "entity", "context"):
        if part in rec and not isinstance(rec[part], dict):
            raise ValueError(f"'{part}' must be an object")


def _actor_id(rec: dict[str, Any]) -> Any:
    user = (rec.get("actor") or {}).get("user")
    return user.get("id") if isinstance(user, dict) else None


def _entity_id(rec: dict[str, Any]) -> Any:
    entity = rec.get("entity") or {}
    inner = entity.get(entity.get("type")) if isinstance(entity.get("type"), str) else None
    return inner.get("id") if isinstance(inner, dict) else None


class Snapshot:
    """Entries sorted ascending by (date_create, id); pages walk it backwards."""

    def __init__(self, records: list[dict[str, Any]]):
        items = sorted(((r["date_create"], r["id"]), r) for r in records)
        self.keys = [k for k, _ in items]
        self.records = [r for _, r in items]
        self.actions = CATALOGUE | {r["action"] for r in records}


def snapshot(state: State) -> Snapshot:
    return state.cached(("snapshot",), Snapshot, PROVIDER)


# --------------------------------------------------------------------------- cursors


def encode_cursor(key: tuple[int, str], query: dict[str, Any]) -> str:
    """Standard base64 (with + / =) of the position, the query and a digest of both."""
    raw = json.dumps({"k": list(key), "q": query, "f": fingerprint(PROVIDER, list(key), query)},
                     separators=(",", ":"), sort_keys=True)
    return base64.b64encode(b"audit:" + raw.encode()).decode("ascii")


def decode_cursor(text: str) -> tuple[tuple[int, str], dict[str, Any]]:
    """Raises ValueError for anything but an unaltered cursor of this API."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc
    if not raw.startswith(b"audit:"):
        raise ValueError("not a cursor")
    try:
        payload = json.loads(raw[len(b"audit:"):])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc
    if not isinstance(payload, dict) or set(payload) != {"k", "q", "f"}:
        raise ValueError("not a cursor")
    key, query = payload["k"], payload["q"]
    if not (isinstance(key, list) and len(key) == 2 and _is_int(key[0]) and isinstance(key[1], str)
            and isinstance(query, dict) and set(query) == set(FILTERS)):
        raise ValueError("not a cursor")
    if payload["f"] != fingerprint(PROVIDER, key, query):
        raise ValueError("altered")
    return (key[0], key[1]), query


# --------------------------------------------------------------------------- list


def _authenticate(req: Request, state: State) -> None:
    token = bearer_token(req)
    if token is None:
        raise bad("missing_authentication", 401)
    if token in SPECIAL_TOKENS:
        raise HttpError(refused(token))
    if state.token_status(token, PROVIDER) != "ok":
        raise bad("invalid_authentication", 401)


def _param(req: Request, name: str) -> str | None:
    values = req.params.get(name)
    return values[-1] if values and values[-1] != "" else None


def _seconds(text: str | None) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", text):
        raise bad("invalid_arguments")
    return int(text)


def _query(req: Request, snap: Snapshot) -> dict[str, Any]:
    """The filters given, normalised (absent ones None); raises the API's 400s."""
    query: dict[str, Any] = {"oldest": _seconds(_param(req, "oldest")), "latest": _seconds(_param(req, "latest")),
                             "action": None, "actor": _param(req, "actor"), "entity": _param(req, "entity")}
    action = _param(req, "action")
    if action is not None:
        names = action.split(",")
        if len(names) > MAX_ACTIONS:
            raise bad("invalid_arguments")
        if any(n not in snap.actions for n in names):
            raise bad("invalid_action")
        query["action"] = sorted(set(names))
    return query


def _check_range(query: dict[str, Any], now: int) -> None:
    oldest, latest = query["oldest"], query["latest"]
    if oldest is not None and not DATA_FLOOR <= oldest <= now:
        raise bad("invalid_range")
    if latest is not None and latest < DATA_FLOOR:
        raise bad("invalid_range")
    if oldest is not None and latest is not None and oldest > latest:
        raise bad("invalid_range")


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,9}", text) or not 1 <= int(text) <= MAX_LIMIT:
        raise bad("invalid_arguments")
    return int(text)


def list_logs(req: Request, state: State) -> Response:
    _authenticate(req, state)
    limit = _limit(_param(req, "limit"))
    snap = snapshot(state)
    given = _query(req, snap)
    cursor = _param(req, "cursor")
    position: tuple[int, str] | None = None
    if cursor is None:
        query = given
        _check_range(query, state.now_ns() // 1_000_000_000)
    else:
        try:
            position, query = decode_cursor(cursor)
        except ValueError:
            raise bad("invalid_cursor")
        if any(given[k] is not None and given[k] != query[k] for k in FILTERS):
            raise bad("invalid_cursor")

    oldest, latest = query["oldest"], query["latest"]
    actions = set(query["action"]) if query["action"] is not None else None
    keys, records = snap.keys, snap.records
    if position is not None:
        start = bisect.bisect_left(keys, position)
    elif latest is not None:
        start = bisect.bisect_left(keys, (latest + 1, ""))
    else:
        start = len(keys)

    def wanted(rec: dict[str, Any]) -> bool:
        return ((actions is None or rec["action"] in actions)
                and (query["actor"] is None or _actor_id(rec) == query["actor"])
                and (query["entity"] is None or _entity_id(rec) == query["entity"]))

    picked: list[int] = []
    more = False
    i = start - 1
    while i >= 0 and (oldest is None or keys[i][0] >= oldest):
        if wanted(records[i]):
            if len(picked) >= limit and keys[i][0] != keys[picked[-1]][0]:
                more = True  # entries of the last one's second all stay on this page
                break
            picked.append(i)
        i -= 1
    next_cursor = encode_cursor(keys[picked[-1]], query) if more else ""
    body = {"entries": [records[j] for j in picked], "response_metadata": {"next_cursor": next_cursor}}
    return Response(200, dumps(body), [("Content-Type", CONTENT_TYPE)])


def list_actions(req: Request, state: State) -> Response:
    return Response(200, dumps({"actions": ACTION_GROUPS}), [("Content-Type", CONTENT_TYPE)])


def list_schemas(req: Request, state: State) -> Response:
    return Response(200, dumps({"schemas": SCHEMAS}), [("Content-Type", CONTENT_TYPE)])


ROUTES = [
    route("GET", r"^/audit/v1/logs$", list_logs, is_list=True),
    route("GET", r"^/audit/v1/actions$", list_actions),
    route("GET", r"^/audit/v1/schemas$", list_schemas),
]
PREFIXES = ("/audit/",)
