"""OpenClaw's own security advice, checked against its config. Pure: a dict in, checks out.

From OpenClaw's security and network guidance: the gateway is loopback-first; a bind beyond
loopback needs token or password auth; auth mode "none" is for development only; direct messages
should need pairing. Secret values are never shown, not even their first characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trayapp.i18n import N_, _
from trayapp.doctor.report import Check, fail, ok, warn

GROUP = N_("config")
MIN_PASSWORD = 12
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _get(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def checks(data: Mapping[str, Any], environ: Mapping[str, str]) -> list[Check]:
    return [_auth_mode(data), *_password(data), _bind(data, environ), *_dm_policies(data)]


def _auth_mode(data: Mapping[str, Any]) -> Check:
    mode = _get(data, "gateway.auth.mode")
    if mode == "none":
        return fail(GROUP, N_("openclaw gateway auth"), _('gateway.auth.mode is "none": anyone who reaches the port '
                      "controls the assistant"), _('set gateway.auth.mode to "token" (openclaw config set '
                      "gateway.auth.mode token)"))
    return ok(GROUP, N_("openclaw gateway auth"), _("gateway.auth.mode is {value!s}").format(
        value=mode or 'token (the default)'))


def _password(data: Mapping[str, Any]) -> list[Check]:
    password = _get(data, "gateway.auth.password")
    if not isinstance(password, str) or not password or password.startswith("${"):
        return []
    if len(password) < MIN_PASSWORD:
        return [warn(GROUP, N_("openclaw gateway password"),
                     _("gateway.auth.password is shorter than {n} characters").format(
                         n=MIN_PASSWORD), _("use a long random password or token auth "
                       "(openssl rand -hex 32)"))]
    return [ok(GROUP, N_("openclaw gateway password"), _("gateway.auth.password has at least {n} characters").format(
        n=MIN_PASSWORD))]


def _has_auth(data: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    mode = _get(data, "gateway.auth.mode") or "token"
    if mode == "none":
        return False
    if mode == "password":
        return bool(_get(data, "gateway.auth.password") or environ.get("OPENCLAW_GATEWAY_PASSWORD"))
    if mode == "token":
        return bool(_get(data, "gateway.auth.token") or environ.get("OPENCLAW_GATEWAY_TOKEN"))
    return True  # trusted-proxy and newer modes: OpenClaw itself refuses a bad setup


def _bind(data: Mapping[str, Any], environ: Mapping[str, str]) -> Check:
    bind = _get(data, "gateway.bind") or "loopback"
    host = _get(data, "gateway.host") or _get(data, "gateway.customBindHost")
    loopback = bind == "loopback" or (bind == "custom" and host in _LOOPBACK_HOSTS)
    if loopback:
        return ok(GROUP, N_("openclaw gateway bind"),
                  _("gateway.bind is {bind}: only this computer can connect").format(bind=bind))
    if not _has_auth(data, environ):
        return fail(GROUP, N_("openclaw gateway bind"),
                    _("gateway.bind is {bind} (reachable from other machines) with no working auth").format(
                        bind=bind), _('set gateway.bind to "loopback", or configure token auth'))
    return ok(GROUP, N_("openclaw gateway bind"), _("gateway.bind is {bind}, protected by auth").format(bind=bind))


def _dm_policies(data: Mapping[str, Any]) -> list[Check]:
    channels = _get(data, "channels")
    if not isinstance(channels, Mapping):
        return []
    found = []
    for name, channel in channels.items():
        if not isinstance(channel, Mapping) or channel.get("enabled") is False:
            continue
        policy = channel.get("dmPolicy", _get(channel, "dm.policy"))
        if policy is not None and policy != "pairing":
            found.append(warn(GROUP, f"openclaw {name} DM policy",
                              _("channels.{name}.dmPolicy is \"{policy}\", not \"pairing\": strangers' direct "
                                "messages are not held for your approval").format(name=name, policy=policy),
                              _('set channels.{name}.dmPolicy to "pairing"').format(name=name)))
    return found
