import logging

from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response
from pyramid.view import notfound_view_config, view_config

log = logging.getLogger(__name__)


@view_config(route_name="home")
def home(request):  # type: ignore[no-untyped-def]
    log.info("home page for %s", request.client_addr)
    log.debug("this line is below the level the ini sets for pyramid_example")
    greeting = request.registry.settings["example.greeting"]
    return Response(f"<!DOCTYPE html><title>Pyramid</title><h1>{greeting}</h1>", content_type="text/html")


@view_config(route_name="hello", renderer="json")
def hello(request):  # type: ignore[no-untyped-def]
    return {"greeting": f"{request.registry.settings['example.greeting']}, {request.matchdict['name']}!",
            "shout": request.params.get("shout") == "1"}


@view_config(route_name="settings", renderer="json")
def settings(request):  # type: ignore[no-untyped-def]
    """The ini's own settings for this app, so a test can see which [app:...] section was loaded."""
    return {key: value for key, value in request.registry.settings.items() if key.startswith("example.")}


@view_config(route_name="old_home")
def old_home(request):  # type: ignore[no-untyped-def]
    return HTTPFound(location=request.route_url("hello", name="visitor"))


@view_config(route_name="echo", request_method="POST", renderer="json")
def echo(request):  # type: ignore[no-untyped-def]
    return {"form": dict(request.POST), "content_type": request.content_type}


@notfound_view_config(renderer="json")
def not_found(request):  # type: ignore[no-untyped-def]
    request.response.status = 404
    return {"error": f"no page at {request.path}"}
