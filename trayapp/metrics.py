"""PLACEHOLDER: SampleStore is being written now (issue 12, charts); replaced before this lands."""

from __future__ import annotations


class SampleStore:
    """Memory and CPU samples per program, persisted and bounded."""
