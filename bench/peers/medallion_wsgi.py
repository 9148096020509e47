"""WSGI entry point for running medallion under gunicorn in the benchmark.

Imported by gunicorn inside the medallion venv (not by Puente)::

    PUENTE_MEDALLION_CONFIG=/tmp/.../medallion-config.json \\
        gunicorn --pythonpath bench/peers medallion_wsgi:app

The released medallion (3.0.0, PyPI) exposes ``medallion.load_app(path)``.
Its development HEAD (the git-mirror fallback) dropped it; there the app is
assembled the way ``medallion.scripts.run.main`` does it.
"""

from __future__ import annotations

import os
from typing import Any

import medallion


def _build_app(config_path: str) -> Any:
    load_app = getattr(medallion, "load_app", None)
    if load_app is not None:
        return load_app(config_path)

    # medallion development HEAD (post-3.0.0).
    from medallion import common, config, connect_to_backend, register_blueprints, set_config

    app = common.APPLICATION_INSTANCE
    configuration = config.load_config(config_path, None)
    for prop in ("users", "taxii", "backend"):
        set_config(app, prop, configuration)
    app.medallion_backend = connect_to_backend(
        common.get_application_instance_config_values(app, "backend")
    )
    if not app.blueprints:
        register_blueprints(app)
    return app


app = _build_app(os.environ["PUENTE_MEDALLION_CONFIG"])
