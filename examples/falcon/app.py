"""A JSON API on Falcon: the same to-do list as the Bottle example, as Falcon resources.

    pyhost serve app:app      (or `pyhost serve` in this directory)
"""

import os
import sqlite3
import tempfile
from typing import Any, Dict

import falcon

DATABASE = os.environ.get("TODO_DATABASE", os.path.join(tempfile.gettempdir(), "falcon-todo.sqlite3"))


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DATABASE, timeout=10)
    connection.row_factory = sqlite3.Row
    connection.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)")
    return connection


def as_json(row: sqlite3.Row) -> Dict[str, Any]:
    return {"id": row["id"], "title": row["title"], "done": bool(row["done"])}


class Items:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        limit = req.get_param_as_int("limit", min_value=1, max_value=100, default=100)
        with connect() as db:
            rows = db.execute("SELECT * FROM items ORDER BY id LIMIT ?", (limit,)).fetchall()
        resp.media = {"items": [as_json(row) for row in rows], "count": len(rows)}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.get_media()  # a malformed body is Falcon's 400, with a JSON description
        if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"].strip():
            raise falcon.HTTPBadRequest(title="Invalid item", description="send a JSON object with a non-empty 'title'")
        with connect() as db:
            cursor = db.execute("INSERT INTO items (title, done) VALUES (?, ?)", (body["title"], int(bool(body.get("done")))))
            row = db.execute("SELECT * FROM items WHERE id = ?", (cursor.lastrowid,)).fetchone()
        resp.status = falcon.HTTP_201
        resp.location = f"/items/{row['id']}"
        resp.media = as_json(row)


class Item:
    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        with connect() as db:
            row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise falcon.HTTPNotFound(description=f"no item {item_id}")
        resp.media = as_json(row)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        with connect() as db:
            if not db.execute("DELETE FROM items WHERE id = ?", (item_id,)).rowcount:
                raise falcon.HTTPNotFound(description=f"no item {item_id}")
        resp.status = falcon.HTTP_204


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        resp.media = {"greeting": f"{req.get_param('greeting', default='Hello')}, {name}!"}


app = falcon.App()
app.add_route("/items", Items())
app.add_route("/items/{item_id:int}", Item())
app.add_route("/hello/{name}", Hello())
