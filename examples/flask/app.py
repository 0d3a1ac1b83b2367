"""The Flask example's WSGI entry: `pyhost serve app:app`, or `pyhost serve` in this directory."""

from gallery import create_app

app = create_app()
