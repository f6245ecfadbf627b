"""Where a symlink really leads: followed component by component, never above its folder."""

from __future__ import annotations

import pytest

from trayapp.backup.links import escape_reason, in_members, link_above

CASES = [
    # (symlinks in the folder "d", the link to follow, why it leaves, or None)
    ({"d/a/l": "../b"}, "a/l", None),
    ({"d/l": "x/y/../z"}, "l", None),
    ({"d/l": ".."}, "l", "above its folder"),
    ({"d/l": "/etc/passwd"}, "l", "absolute path"),
    # Each looks inside on its own; together they climb out (issue 16, item 3).
    ({"d/m/n/o": "..", "d/m/o2": "../../.bashrc"}, "m/n/o/o2", "above its folder"),
    ({"d/a/b/up": "..", "d/a/b/l": "up/../.."}, "a/b/l", "above its folder"),
    ({"d/a/b/up": "..", "d/a/b/l": "up/c"}, "a/b/l", None),
    # Lexically "../d/x" is "x", but the folder is renamed on restore: it must never step out.
    ({"d/l": "../d/x"}, "l", "above its folder"),
    ({"d/x": "y", "d/y": "x"}, "x", "loop"),
]


@pytest.mark.parametrize(("links", "path", "why"), CASES)
def test_links_are_followed_as_the_system_would(links: dict[str, str], path: str, why: str | None) -> None:
    reason = escape_reason(path, in_members(links, "d"))
    if why is None:
        assert reason is None
    else:
        assert reason is not None and why in str(reason)


def test_a_member_below_a_link_is_found() -> None:
    links = {"d/m/n/o": ".."}
    assert link_above("d/m/n/o/o2", links) == "d/m/n/o"
    assert link_above("d/m/n/o", links) is None
    assert link_above("d/m/n/other", links) is None
