"""What the app lifespan owns and every request borrows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.config import Settings
from gateway.metrics import Metrics
from gateway.upstream import UpstreamClient

__all__ = ["Services"]


@dataclass
class Services:
    settings: Settings
    client: UpstreamClient
    metrics: Metrics = field(default_factory=lambda: Metrics())
    # The readiness watcher registry; set by the lifespan (see gateway.watchers).
    watchers: Any = None
