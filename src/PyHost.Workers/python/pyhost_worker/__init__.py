"""PyHost's Python worker: serves one WSGI app to the PyHost front over a Unix socket (see docs/protocol.md)."""
