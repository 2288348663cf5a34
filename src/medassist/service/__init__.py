"""The online consultation service: a FastAPI app with routers per resource, storage, auth and audit.

    from medassist.service import create_app, Settings
    app = create_app(Settings(db_url="sqlite:///./medassist-data/medassist.db"))

Importing this package is cheap; the diagnosis engine and the note pipeline are loaded once, in the
app's lifespan (or handed in by tests through :class:`~medassist.service.resources.Resources`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from medassist.service.app import create_app
    from medassist.service.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from medassist.service.app import create_app

        return create_app
    if name == "Settings":
        from medassist.service.settings import Settings

        return Settings
    raise AttributeError(f"module 'medassist.service' has no attribute {name!r}")
