"""A module without a WSGI application in it."""
