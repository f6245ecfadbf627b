"""What a health check says about itself is clipped and never carries a secret."""

from __future__ import annotations

from trayapp.config import HealthConfig
from trayapp.supervisor.health import probe


def test_a_url_with_a_token_is_redacted_in_the_detail() -> None:
    cfg = HealthConfig(url="http://user:hunter2secret@127.0.0.1:9/health?token=abcdef0123456789abcdef", timeout=0.5)
    result = probe(cfg)
    said = str(result.detail)
    assert not result.ok and "127.0.0.1:9" in said
    assert "hunter2secret" not in said and "abcdef0123456789abcdef" not in said
