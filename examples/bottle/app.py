"""A JSON API on Bottle: a to-do list stored in SQLite, so every worker process sees the same items.

    pyhost serve app:app      (or `pyhost serve` in this directory)
"""

import json
import os
import sqlite3
import tempfile
from typing import Any, Dict

import bottle

DATABASE = os.environ.get("TODO_DATABASE", os.path.join(tempfile.gettempdir(), "bottle-todo.sqlite3"))

app = bottle.Bottle()


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DATABASE, timeout=10)
    connection.row_factory = sqlite3.Row
    connection.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)")
    return connection


def as_json(row: sqlite3.Row) -> Dict[str, Any]:
    return {"id": row["id"], "title": row["title"], "done": bool(row["done"])}


def json_error(status: int, message: str) -> str:
    bottle.response.status = status
    bottle.response.content_type = "application/json"
    return json.dumps({"error": message})


@app.get("/items")
def list_items():  # type: ignore[no-untyped-def]
    done = bottle.request.query.get("done")
    with connect() as db:
        rows = db.execute("SELECT * FROM items ORDER BY id").fetchall()
    items = [as_json(row) for row in rows if done is None or as_json(row)["done"] == (done == "true")]
    return {"items": items, "count": len(items)}


@app.post("/items")
def create_item():  # type: ignore[no-untyped-def]
    try:
        body = bottle.request.json
    except (ValueError, bottle.HTTPError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"].strip():
        return json_error(400, "send a JSON object with a non-empty 'title'")
    with connect() as db:
        cursor = db.execute("INSERT INTO items (title, done) VALUES (?, ?)", (body["title"], int(bool(body.get("done")))))
        row = db.execute("SELECT * FROM items WHERE id = ?", (cursor.lastrowid,)).fetchone()
    bottle.response.status = 201
    bottle.response.set_header("Location", f"/items/{row['id']}")
    return as_json(row)


@app.get("/items/<item_id:int>")
def get_item(item_id: int):  # type: ignore[no-untyped-def]
    with connect() as db:
        row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    return as_json(row) if row else json_error(404, f"no item {item_id}")


@app.route("/items/<item_id:int>", method="PATCH")
def update_item(item_id: int):  # type: ignore[no-untyped-def]
    body = bottle.request.json or {}
    with connect() as db:
        if "done" in body:
            db.execute("UPDATE items SET done = ? WHERE id = ?", (int(bool(body["done"])), item_id))
        row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    return as_json(row) if row else json_error(404, f"no item {item_id}")


@app.delete("/items/<item_id:int>")
def delete_item(item_id: int):  # type: ignore[no-untyped-def]
    with connect() as db:
        deleted = db.execute("DELETE FROM items WHERE id = ?", (item_id,)).rowcount
    if not deleted:
        return json_error(404, f"no item {item_id}")
    bottle.response.status = 204
    return ""


@app.get("/hello/<name>")
def hello(name: str):  # type: ignore[no-untyped-def]
    return {"greeting": f"{bottle.request.query.get('greeting', 'Hello')}, {name}!"}


@app.error(404)
def not_found(error: bottle.HTTPError) -> str:
    bottle.response.content_type = "application/json"
    return json.dumps({"error": f"no route for {bottle.request.path}"})
