"""Entry point for ASGI servers: ``uvicorn --factory puente.web.asgi:create``."""

from __future__ import annotations

from fastapi import FastAPI

from puente.config import default_data_dir
from puente.web.app import create_app


def create() -> FastAPI:
    return create_app(data_dir=default_data_dir(), background_sync=True)
