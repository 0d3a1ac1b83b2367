"""A Quart app (Flask's API on asyncio): templates, a signed-cookie session, JSON in and out, a form, a streamed
response and a WebSocket.

    pyhost serve app:app --python /usr/bin/python3
"""

import asyncio
import os
import sqlite3

from quart import Quart, jsonify, redirect, render_template, request, session, websocket

app = Quart(__name__)
app.secret_key = os.environ.get("QUART_SECRET", "a development secret")
# One SQLite file, so that every worker process sees the same tasks.
DATABASE = os.environ.get("TASKS_DATABASE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "tasks.sqlite3"))


def database():
    connection = sqlite3.connect(DATABASE, timeout=10)
    connection.execute("CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
    return connection


def tasks():
    with database() as connection:
        return [row[0] for row in connection.execute("SELECT title FROM tasks ORDER BY id")]


def add(title):
    with database() as connection:
        return connection.execute("INSERT INTO tasks (title) VALUES (?)", (title,)).lastrowid


@app.route("/")
async def index():
    session["visits"] = session.get("visits", 0) + 1
    return await render_template("index.html", tasks=tasks(), visits=session["visits"])


@app.route("/tasks", methods=["POST"])
async def add_task():
    form = await request.form
    title = form.get("title", "").strip()
    if not title:
        return "a title is needed", 400
    add(title)
    return redirect("/")


@app.route("/api/tasks", methods=["GET", "POST"])
async def api_tasks():
    if request.method == "POST":
        data = await request.get_json()
        if not isinstance(data, dict) or not data.get("title"):
            return jsonify(error="JSON with a title is needed"), 422
        return jsonify(id=add(data["title"]), title=data["title"]), 201
    return jsonify(tasks=tasks())


@app.route("/countdown/<int:start>")
async def countdown(start):
    async def lines():
        for number in range(start, 0, -1):
            yield f"{number}...\n".encode()
            await asyncio.sleep(0.2)
        yield b"liftoff\n"

    return lines(), 200, {"Content-Type": "text/plain"}


@app.websocket("/ws")
async def echo():
    await websocket.accept()
    while True:
        message = await websocket.receive()
        await websocket.send(f"echo: {message}")
