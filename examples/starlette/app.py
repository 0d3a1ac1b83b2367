"""A Starlette site: routes with typed path parameters, a mounted sub-application, Jinja templates, static files,
JSON, a form, and server-sent events.

    pyhost serve app:app --python /usr/bin/python3 --static /static=static    # the front serves /static itself
"""

import asyncio
import os
import sqlite3

from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

HERE = os.path.dirname(os.path.abspath(__file__))
templates = Jinja2Templates(directory=os.path.join(HERE, "templates"))
# One SQLite file, so that every worker process sees the same guestbook.
DATABASE = os.environ.get("GUESTBOOK_DATABASE", os.path.join(HERE, "guestbook.sqlite3"))


def database():
    connection = sqlite3.connect(DATABASE, timeout=10)
    connection.execute("CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    return connection


async def home(request):
    with database() as connection:
        entries = [row[0] for row in connection.execute("SELECT name FROM entries ORDER BY id")]
    return templates.TemplateResponse("home.html", {"request": request, "entries": entries})


async def sign(request):
    form = await request.form()
    name = form.get("name", "").strip()
    if not name:
        return PlainTextResponse("a name is needed", status_code=400)
    with database() as connection:
        connection.execute("INSERT INTO entries (name) VALUES (?)", (name,))
    return RedirectResponse(url="/", status_code=303)


async def user(request):
    user_id = request.path_params["user_id"]
    return JSONResponse({"user_id": user_id, "kind": type(user_id).__name__, "query": dict(request.query_params)})


async def events(request):
    """Server-sent events: one event every 0.2 s; stops early if the client goes away."""
    count = int(request.query_params.get("count", "5"))

    async def stream():
        for index in range(count):
            if await request.is_disconnected():
                return
            yield f"id: {index}\nevent: tick\ndata: {{\"n\": {index}}}\n\n"
            await asyncio.sleep(0.2)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


async def api_status(request):
    return JSONResponse({"status": "ok", "root_path": request.scope.get("root_path", "")})


api = Starlette(routes=[Route("/status", api_status)])

app = Starlette(routes=[
    Route("/", home),
    Route("/sign", sign, methods=["POST"]),
    Route("/users/{user_id:int}", user),
    Route("/events", events),
    Mount("/api", app=api),
    Mount("/static", app=StaticFiles(directory=os.path.join(HERE, "static")), name="static"),
])
