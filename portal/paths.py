"""Where the portal's own files live: the repository root, above the ``portal`` package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
