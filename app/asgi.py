"""The ASGI application for uvicorn or any ASGI server: `uvicorn app.asgi:app`."""

from app.main import create_app

app = create_app()
