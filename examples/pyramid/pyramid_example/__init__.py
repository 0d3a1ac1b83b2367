"""A Pyramid app configured by a PasteDeploy ini file: `pyhost serve --paste development.ini`, as `pserve
development.ini` and `gunicorn --paste development.ini` run it."""

from pyramid.config import Configurator


def main(global_config, **settings):  # type: ignore[no-untyped-def]
    """The PasteDeploy app factory: `use = egg:pyramid_example` finds it through the project's entry point,
    `use = call:pyramid_example:main` names it directly. `settings` are the [app:...] section's keys."""
    with Configurator(settings=settings) as config:
        config.add_route("home", "/")
        config.add_route("hello", "/hello/{name}")
        config.add_route("settings", "/settings")
        config.add_route("old_home", "/old-home")
        config.add_route("echo", "/echo")
        config.scan(".views")
    return config.make_wsgi_app()
