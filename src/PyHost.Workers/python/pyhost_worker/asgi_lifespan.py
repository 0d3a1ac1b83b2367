"""The lifespan protocol (asgiref specs/lifespan.rst): startup before the worker says READY, shutdown when it drains,
and the state the app keeps between them, copied into every request's scope."""

from __future__ import annotations

import asyncio
import traceback
from typing import Any, Callable, Dict, Optional

from .asgi import ASGI_VERSION, DEBUG, ERROR, INFO, LIFESPAN_SPEC_VERSION, AsgiApp

AUTO, ON, OFF = "auto", "on", "off"
LIFESPAN_MODES = (AUTO, ON, OFF)

Log = Callable[[int, str], None]


class LifespanFailed(Exception):
    """lifespan.startup.failed, or (with --lifespan on) an app that raised instead of answering."""


class Lifespan:
    """One lifespan scope for the process's one event loop."""

    def __init__(self, app: AsgiApp, mode: str, log: Log) -> None:
        self._app = app
        self._mode = mode
        self._log = log
        self.state: Dict[str, Any] = {}
        self._events: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        self._answers: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        self._task: Optional["asyncio.Task[None]"] = None
        self._running = False  # the app speaks lifespan: shutdown will be sent
        self._error: Optional[BaseException] = None

    async def startup(self) -> None:
        """Returns once the app said lifespan.startup.complete, or does not speak lifespan (auto); raises
        LifespanFailed when its startup failed."""
        if self._mode == OFF:
            return
        scope = {"type": "lifespan", "asgi": {"version": ASGI_VERSION, "spec_version": LIFESPAN_SPEC_VERSION},
                 "state": self.state}
        self._task = asyncio.get_running_loop().create_task(self._run(scope), name="lifespan")
        await self._events.put({"type": "lifespan.startup"})
        answer = await self._answer()
        if answer is None:
            error = self._error
            if error is None:
                self._log(DEBUG, "the app returned from its lifespan scope without a word: no lifespan events")
                return
            if self._mode == ON:
                raise LifespanFailed(f"the app raised in its lifespan startup (--lifespan on):\n{_format(error)}")
            # lifespan.rst: an app that raises on the lifespan scope does not support it; carry on without.
            self._log(INFO, "ASGI 'lifespan' protocol appears unsupported by the app; going on without it "
                            f"({type(error).__name__}: {error})")
            return
        if answer["type"] == "lifespan.startup.failed":
            raise LifespanFailed(answer.get("message") or "the app sent lifespan.startup.failed")
        if answer["type"] != "lifespan.startup.complete":
            raise LifespanFailed(f"the app answered lifespan.startup with {answer['type']!r}")
        self._running = True

    async def shutdown(self) -> None:
        """lifespan.shutdown, and its answer; failures are logged, the worker exits either way."""
        if not self._running:
            return
        self._running = False
        await self._events.put({"type": "lifespan.shutdown"})
        answer = await self._answer()
        if answer is None:
            if self._error is not None:
                self._log(ERROR, f"the app raised during its lifespan shutdown:\n{_format(self._error)}")
        elif answer["type"] == "lifespan.shutdown.failed":
            self._log(ERROR, f"lifespan shutdown failed: {answer.get('message') or '(no message)'}")

    async def _answer(self) -> Optional[Dict[str, Any]]:
        """The app's next message, or None when its lifespan task ended without one."""
        getter = asyncio.ensure_future(self._answers.get())
        assert self._task is not None
        done, _ = await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            return getter.result()
        getter.cancel()
        return None

    async def _run(self, scope: Dict[str, Any]) -> None:
        try:
            await self._app(scope, self._events.get, self._send)
        except BaseException as error:  # noqa: B902 - whatever the app raises ends its lifespan
            self._error = error

    async def _send(self, message: Dict[str, Any]) -> None:
        await self._answers.put(message)


def _format(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()
