"""A FastAPI service as real ones are written: typed path and query parameters, a pydantic body with validation
(422), a dependency that checks a token, background tasks, a streamed response, a file upload, and a WebSocket.

    pyhost serve main:app --python /usr/bin/python3      # as `uvicorn main:app` does
"""

import asyncio
import hashlib
import json
import os
import sqlite3
from typing import AsyncIterator, Dict, List, Optional

from fastapi import BackgroundTasks, Depends, FastAPI, File, Header, HTTPException, Query, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field

app = FastAPI(title="Inventory", version="1.0")

API_TOKEN = os.environ.get("INVENTORY_TOKEN", "let-me-in")
# One SQLite file, so that every worker process sees the same inventory.
DATABASE = os.environ.get("INVENTORY_DATABASE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "inventory.sqlite3"))


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    price: float = Field(gt=0)
    tags: List[str] = []


class Item(ItemIn):
    id: int



def database() -> sqlite3.Connection:
    connection = sqlite3.connect(DATABASE, timeout=10)
    connection.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    connection.execute("CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY, message TEXT NOT NULL)")
    return connection


def load(row: "tuple[int, str]") -> Item:
    return Item(id=row[0], **json.loads(row[1]))


def require_token(x_token: Optional[str] = Header(default=None)) -> str:
    """Dependency injection: every write needs the API token."""
    if x_token != API_TOKEN:
        raise HTTPException(status_code=401, detail="a valid X-Token header is needed")
    return x_token


@app.on_event("startup")
async def seed() -> None:
    with database() as connection:
        connection.execute("INSERT OR IGNORE INTO items (id, body) VALUES (1, ?)",
                           (json.dumps({"name": "hammer", "price": 9.5, "tags": ["tools"]}),))


@app.get("/")
async def home() -> Dict[str, str]:
    return {"service": "inventory", "docs": "/docs"}


@app.get("/items/{item_id}", response_model=Item)
async def read_item(item_id: int) -> Item:
    with database() as connection:
        row = connection.execute("SELECT id, body FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail=f"no item {item_id}")
    return load(row)


@app.get("/items", response_model=List[Item])
async def list_items(tag: Optional[str] = None, limit: int = Query(default=10, ge=1, le=100)) -> List[Item]:
    with database() as connection:
        items = [load(row) for row in connection.execute("SELECT id, body FROM items ORDER BY id")]
    return [item for item in items if tag is None or tag in item.tags][:limit]


@app.post("/items", response_model=Item, status_code=201)
async def create_item(item: ItemIn, background: BackgroundTasks, token: str = Depends(require_token)) -> Item:
    with database() as connection:
        item_id = connection.execute("INSERT INTO items (body) VALUES (?)", (json.dumps(item.dict()),)).lastrowid
    created = Item(id=item_id, **item.dict())
    background.add_task(notify, f"created {created.name}")  # runs after the response is sent
    return created


async def notify(message: str) -> None:
    await asyncio.sleep(0.05)
    with database() as connection:
        connection.execute("INSERT INTO notifications (message) VALUES (?)", (message,))


@app.get("/notifications")
async def notifications() -> List[str]:
    with database() as connection:
        return [row[0] for row in connection.execute("SELECT message FROM notifications ORDER BY id")]


@app.get("/report", response_class=StreamingResponse)
async def report(lines: int = 5) -> StreamingResponse:
    async def rows() -> AsyncIterator[bytes]:
        for index in range(lines):
            yield f"line {index + 1} of {lines}\n".encode()
            await asyncio.sleep(0.2)

    return StreamingResponse(rows(), media_type="text/plain")


@app.post("/files")
async def upload(file: UploadFile = File(...)) -> Dict[str, object]:
    content = await file.read()
    return {"filename": file.filename, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
            "content_type": file.content_type}


@app.get("/health", response_class=PlainTextResponse)
async def health() -> str:
    return "ok"


@app.websocket("/ws/echo")
async def echo(websocket: WebSocket, name: str = "anonymous") -> None:
    await websocket.accept()
    await websocket.send_json({"hello": name})
    try:
        while True:
            text = await websocket.receive_text()
            if text == "bye":
                await websocket.close(code=4000)
                return
            await websocket.send_text(f"{name} said: {text}")
    except WebSocketDisconnect:
        return
