"""A module that imports fine but holds no WSGI app: gunicorn exits 4 (APP_LOAD_ERROR) for it, and so must PyHost."""
application = "not callable"
