"""The ASGI worker end to end: a real `python -m pyhost_worker` serving tests/apps/asgiapp.py, driven by a fake front
frame by frame (docs/protocol.md), one test per rule of asgiref's specs/www.rst and lifespan.rst it implements."""

from __future__ import annotations

import json
import marshal
import os
import struct
import sys
import tempfile
import time
import unittest

from support import (
    ABORT,
    APP_ERROR,
    BODY,
    BODY_END,
    BODY_PULL,
    BOOT_FAILED,
    CANCEL,
    CREDIT,
    MESSAGE_MORE,
    MESSAGE_TEXT,
    NO_BODY,
    READY,
    RESPONSE_BODY,
    RESPONSE_END,
    RESPONSE_FILE,
    RESPONSE_START,
    RESPONSE_TRAILERS,
    RESPONSE_WINDOW,
    SCOPE,
    TRAILERS,
    WEBSOCKET_WINDOW,
    WS_ACCEPT,
    WS_CLOSE,
    WS_CREDIT,
    WS_DISCONNECT,
    WS_MESSAGE,
    WS_SEND,
    AsgiFront,
    Frame,
    make_environ,
    make_scope,
    pack,
)


def body_json(frames: "list[Frame]") -> object:
    return json.loads(b"".join(f.payload for f in frames if f.type == RESPONSE_BODY))


class ServingAsgi(unittest.TestCase):
    """One ASGI worker serves every test of this class; request ids never repeat."""

    front: AsgiFront
    next_id = 100

    @classmethod
    def setUpClass(cls) -> None:
        cls.front = AsgiFront("asgiapp:app", PYHOST_LOOP="asyncio", PYHOST_BLOCKED_LOOP_SECONDS="0.5")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.front.close()

    def new_id(self) -> int:
        ServingAsgi.next_id += 1
        return ServingAsgi.next_id

    def events(self) -> list:
        return body_json(self.front.get("/events", self.new_id()).frames)  # type: ignore[return-value]

    def test_ready_names_pid_version_interface_loop_and_the_stack_file(self) -> None:
        pid, version, interface, loop, stack = self.front.boot.payload.decode().split(" ")
        self.assertEqual(int(pid), self.front.process.pid)
        self.assertEqual(version, ".".join(map(str, sys.version_info[:3])))
        self.assertEqual((interface, loop), ("asgi", "asyncio"))
        self.assertTrue(stack.startswith("stack="))

    def test_the_scope_is_the_fronts_plus_asgi_extensions_and_a_copy_of_the_lifespan_state(self) -> None:
        exchange = self.front.get("/scope", self.new_id(), query=b"a=1")
        answer = body_json(exchange.frames)
        scope = answer["scope"]  # type: ignore[index]
        self.assertEqual(scope["asgi"], {"version": "3.0", "spec_version": "2.5"})
        self.assertEqual(scope["type"], "http")
        self.assertEqual(scope["query_string"], {"bytes": "a=1"})
        self.assertEqual(scope["headers"], [[{"bytes": "host"}, {"bytes": "localhost:8000"}]])
        self.assertEqual(scope["state"], {"pool": "connection pool"})
        self.assertIn("http.response.pathsend", scope["extensions"])
        self.assertNotIn("http.response.trailers", scope["extensions"])
        # www.rst "Request - receive event": a request without a body is one empty http.request.
        self.assertEqual(answer["first"], {"type": "http.request", "body": {"bytes": ""}, "more_body": False})  # type: ignore[index]

    def test_an_environ_from_a_gateway_becomes_a_scope(self) -> None:
        request_id = self.new_id()
        environ = make_environ("/scope", query="x=%20", SCRIPT_NAME="/mount", REQUEST_URI="/mount/scope?x=%20",
                               HTTP_X_FORWARDED_FOR="10.0.0.1", CONTENT_TYPE="text/plain")
        self.front.conn.sendall(pack(1, request_id, marshal.dumps(environ), NO_BODY))
        scope = body_json(self.front.finish_request(request_id).frames)["scope"]  # type: ignore[index]
        self.assertEqual(scope["path"], "/mount/scope")
        self.assertEqual(scope["root_path"], "/mount")
        self.assertEqual(scope["raw_path"], {"bytes": "/mount/scope"})
        self.assertEqual(scope["query_string"], {"bytes": "x=%20"})
        self.assertIn([{"bytes": "x-forwarded-for"}, {"bytes": "10.0.0.1"}], scope["headers"])
        self.assertIn([{"bytes": "content-type"}, {"bytes": "text/plain"}], scope["headers"])
        self.assertEqual(scope["client"], ["127.0.0.1", 0])

    def test_a_whole_body_goes_out_with_its_headers_end_and_a_content_length_in_one_write(self) -> None:
        exchange = self.front.get("/hello", self.new_id())
        self.assertEqual([f.type for f in exchange.frames], [RESPONSE_START, RESPONSE_BODY, RESPONSE_END])
        self.assertEqual(exchange.status, "200")
        self.assertEqual(exchange.header("content-length"), "13")
        self.assertEqual(exchange.body, b"Hello, world!")

    def test_chunks_sent_in_one_turn_of_the_loop_share_a_frame_and_one_after_a_pause_has_its_own(self) -> None:
        exchange = self.front.get("/burst", self.new_id())
        self.assertEqual(exchange.body, b"".join(b"%03d," % i for i in range(200)) + b"after")
        bodies = [f.payload for f in exchange.frames if f.type == RESPONSE_BODY]
        # The first goes with the head, the next 199 in one frame, the one after the pause alone.
        self.assertEqual(bodies, [b"000,", b"".join(b"%03d," % i for i in range(1, 200)), b"after"])
        self.assertEqual(exchange.frames[-1].type, RESPONSE_END)

    def test_the_body_is_pulled_as_receive_asks_and_more_body_says_when_it_ends(self) -> None:
        request_id = self.new_id()
        body = b"x" * 600_000
        self.front.start_scope(request_id, make_scope("/echo", method="POST"), flags=SCOPE)
        exchange = self.front.finish_request(request_id, body)
        self.assertEqual(exchange.pulls, [256 * 1024] * 3)
        self.assertEqual(body_json(exchange.frames), [[262144, True], [262144, True], [75712, False]])

    def test_an_eager_body_needs_no_pull(self) -> None:
        request_id = self.new_id()
        self.front.start_scope(request_id, make_scope("/echo", method="POST"), flags=SCOPE, eager_body=b"small")
        exchange = self.front.finish_request(request_id)
        self.assertEqual(exchange.pulls, [])
        self.assertEqual(body_json(exchange.frames), [[5, False]])

    def test_a_hung_request_does_not_hold_up_another_and_cancel_logs_where_it_waited(self) -> None:
        hung, quick = self.new_id(), self.new_id()
        self.front.start_scope(hung, make_scope("/sleep"))
        quick_answer = self.front.get("/hello", quick)
        self.assertEqual(quick_answer.body, b"Hello, world!")
        self.front.send(CANCEL, hung)
        frames = self.front.frames_until(lambda f: f.type == RESPONSE_END and f.request_id == hung)
        log = self.front.wait_for_log_frame("GET /sleep ran past --timeout")
        self.assertEqual((log.flags, log.request_id), (40, hung))
        text = log.payload.decode()
        self.assertIn('asgiapp.py", line', text)
        self.assertIn("await asyncio.sleep(float(", text)
        self.assertNotIn("_run_http", text)
        # The front answered 504 already: the worker only ends the request.
        self.assertEqual([f.type for f in frames if f.request_id == hung], [RESPONSE_END])

    def test_send_of_a_body_waits_for_credit_so_a_client_that_never_reads_costs_one_window(self) -> None:
        request_id = self.new_id()
        self.front.start_scope(request_id, make_scope("/big", query=b"3145728"))
        sent = 0
        while sent < RESPONSE_WINDOW:
            frame = self.front.read_frame()
            if frame.type == RESPONSE_BODY:
                sent += len(frame.payload)
        self.assertEqual(sent, RESPONSE_WINDOW)
        self.front.conn.settimeout(0.5)
        with self.assertRaises(OSError):  # nothing more until the front grants credit
            self.front.read_frame()
        self.front.conn.settimeout(10)
        self.front.grant_credit(request_id, 3145728 - RESPONSE_WINDOW)
        frames = self.front.frames_until(lambda f: f.type == RESPONSE_END)
        self.assertEqual(sum(len(f.payload) for f in frames if f.type == RESPONSE_BODY), 3145728 - RESPONSE_WINDOW)
        self.assertIn(["big-sent", 3145728], self.events())

    def test_a_head_sent_alone_is_followed_by_an_empty_body_frame_so_the_front_commits_it(self) -> None:
        # The front holds an ASGI RESPONSE_START until the frame after it (docs/protocol.md, "The request").
        request_id = self.new_id()
        self.front.start_scope(request_id, make_scope("/head-first"))
        frames = [f for f in self.front.frames_until(lambda f: f.type == RESPONSE_BODY and f.request_id == request_id)
                  if f.request_id == request_id]
        self.assertEqual([(f.type, f.payload) for f in frames][-1], (RESPONSE_BODY, b""))
        self.assertEqual([f.type for f in frames], [RESPONSE_START, RESPONSE_BODY])
        self.front.send(ABORT, request_id)
        self.front.frames_until(lambda f: f.type == RESPONSE_END and f.request_id == request_id)

    def test_abort_gives_http_disconnect_to_a_waiting_receive(self) -> None:
        request_id = self.new_id()
        self.front.start_scope(request_id, make_scope("/wait-disconnect"))
        self.front.frames_until(lambda f: f.type == RESPONSE_BODY)
        self.front.send(ABORT, request_id)
        self.front.frames_until(lambda f: f.type == RESPONSE_END and f.request_id == request_id)
        self.assertIn(["http-disconnect"], self.events())

    def test_send_after_the_client_left_raises_an_oserror_and_the_app_finally_runs(self) -> None:
        request_id = self.new_id()
        self.front.start_scope(request_id, make_scope("/stream", query=b"100"))
        self.front.frames_until(lambda f: f.type == RESPONSE_BODY)
        self.front.send(ABORT, request_id)
        self.front.frames_until(lambda f: f.type == RESPONSE_END and f.request_id == request_id)
        events = self.events()
        self.assertIn(["stream-send-raised", "ClientDisconnected"], events)
        self.assertIn(["stream-finally"], events)

    def test_an_exception_before_the_response_is_a_500_page_and_a_traceback_at_error(self) -> None:
        exchange = self.front.get("/error", self.new_id(), query=b"marker-1")
        self.assertEqual(exchange.status, "500")
        self.assertNotIn(b"marker-1", exchange.body)
        log = self.front.wait_for_log_frame("deliberate failure marker-1")
        self.assertEqual(log.flags, 40)
        self.assertIn("Traceback (most recent call last)", log.payload.decode())

    def test_an_exception_after_the_response_started_ends_it_as_failed(self) -> None:
        exchange = self.front.get("/error-after-start", self.new_id())
        self.assertEqual(exchange.body, b"partial")
        self.assertEqual(exchange.end_flags, APP_ERROR)
        self.front.wait_for_log_frame("failed half way")

    def test_an_app_that_returns_without_a_response_gets_500(self) -> None:
        exchange = self.front.get("/no-response", self.new_id())
        self.assertEqual(exchange.status, "500")
        self.front.wait_for_log_frame("returned without starting a response")

    def test_an_app_that_returns_after_its_start_only_gets_500_since_nothing_went_out(self) -> None:
        exchange = self.front.get("/half-response", self.new_id())
        self.assertEqual(exchange.status, "500")
        self.front.wait_for_log_frame("returned without completing a response; answered 500")

    def test_an_app_that_returns_in_the_middle_of_its_body_ends_it_as_failed(self) -> None:
        exchange = self.front.get("/half-body", self.new_id())
        self.assertEqual(exchange.body, b"half")
        self.assertEqual(exchange.end_flags, APP_ERROR)
        self.front.wait_for_log_frame("the connection is cut")

    def test_header_repeats_are_kept_and_transfer_encoding_is_the_servers(self) -> None:
        exchange = self.front.get("/headers", self.new_id())
        self.assertEqual(exchange.headers, [("set-cookie", "a=1"), ("set-cookie", "b=2"), ("x-custom", "v"),
                                            ("content-length", "0")])

    def test_a_nul_in_a_header_is_refused_before_it_reaches_the_front(self) -> None:
        exchange = self.front.get("/bad-header", self.new_id())
        self.assertEqual(exchange.status, "500")
        self.front.wait_for_log_frame("NUL")

    def test_send_after_the_response_completed_raises(self) -> None:
        self.front.get("/send-after-end", self.new_id())
        self.assertTrue(any(e[0] == "send-after-end" for e in self.events()))

    def test_pathsend_names_the_file_for_the_front(self) -> None:
        with tempfile.NamedTemporaryFile() as file:
            file.write(b"0123456789")
            file.flush()
            exchange = self.front.get("/pathsend", self.new_id(), query=file.name.encode())
        self.assertEqual([f.type for f in exchange.frames], [RESPONSE_START, RESPONSE_FILE, RESPONSE_END])
        self.assertEqual(exchange.frames[1].payload, file.name.encode())
        self.assertEqual(exchange.header("content-length"), "10")

    def test_trailers_go_out_only_when_the_front_can_deliver_them(self) -> None:
        delivered = self.front.get("/trailers", self.new_id(), flags=NO_BODY | SCOPE | TRAILERS)
        self.assertEqual([f.type for f in delivered.frames], [RESPONSE_START, RESPONSE_BODY, RESPONSE_TRAILERS, RESPONSE_END])
        self.assertEqual(delivered.frames[2].payload, b"x-checksum\0abc123")
        self.assertIsNone(delivered.header("trailer"))   # the server's framing
        self.assertIsNone(delivered.header("content-length"))
        dropped = self.front.get("/trailers", self.new_id())
        self.assertEqual([f.type for f in dropped.frames], [RESPONSE_START, RESPONSE_BODY, RESPONSE_END])

    def test_a_blocked_event_loop_is_reported_with_the_blocking_call_while_it_blocks(self) -> None:
        request_id = self.new_id()
        self.front.start_scope(request_id, make_scope("/block", query=b"1.2"))
        log = self.front.wait_for_log_frame("the event loop has been blocked")
        text = log.payload.decode()
        self.assertEqual(log.flags, 30)
        self.assertIn("by GET /block", text)
        self.assertIn("time.sleep(float(", text)
        self.front.frames_until(lambda f: f.type == RESPONSE_END and f.request_id == request_id)
        self.front.wait_for_log_frame("the event loop runs again")

    # ---- WebSockets

    def open_websocket(self, path: str = "/ws/echo", subprotocols: "list[str] | None" = None) -> "tuple[int, Frame]":
        request_id = self.new_id()
        self.front.start_scope(request_id, make_scope(path, kind="websocket", subprotocols=subprotocols or []))
        return request_id, self.front.read_frame()

    def test_a_websocket_is_accepted_with_its_subprotocol_and_headers_and_echoes_text_and_bytes(self) -> None:
        request_id, accept = self.open_websocket(subprotocols=["chat", "other"])
        self.assertEqual(accept, Frame(WS_ACCEPT, request_id, 0, b"chat\0x-accepted\0yes"))
        self.front.send(WS_MESSAGE, request_id, "h\u00e9llo".encode(), MESSAGE_TEXT)
        self.assertEqual(self.front.read_frame(), Frame(WS_SEND, request_id, MESSAGE_TEXT, "h\u00e9llo".encode()))
        self.front.send(WS_MESSAGE, request_id, b"\x00\xff")
        self.assertEqual(self.front.read_frame(), Frame(WS_SEND, request_id, 0, b"\x00\xff"))
        # A message the front got in fragments reaches the app whole.
        self.front.send(WS_MESSAGE, request_id, b"frag", MESSAGE_TEXT | MESSAGE_MORE)
        self.front.send(WS_MESSAGE, request_id, b"ments", MESSAGE_TEXT)
        self.assertEqual(self.front.read_frame(), Frame(WS_SEND, request_id, MESSAGE_TEXT, b"fragments"))
        self.front.send(WS_DISCONNECT, request_id, struct.pack("<H", 1001) + b"going")
        self.assertEqual(self.front.read_frame(), Frame(RESPONSE_END, request_id, 0, b""))
        self.assertIn(["ws-disconnect", 1001, "going"], self.events())

    def test_the_apps_close_carries_its_code_and_reason(self) -> None:
        request_id, _ = self.open_websocket()
        self.front.send(WS_MESSAGE, request_id, b"close", MESSAGE_TEXT)
        self.assertEqual(self.front.read_frame(), Frame(WS_CLOSE, request_id, 0, struct.pack("<H", 4001) + b"asked to"))
        self.assertEqual(self.front.read_frame().type, RESPONSE_END)

    def test_a_close_before_accept_is_a_403(self) -> None:
        request_id, start = self.open_websocket("/ws/deny")
        self.assertEqual((start.type, start.payload.split(b"\0")[0]), (RESPONSE_START, b"403"))
        self.assertEqual(self.front.read_frame().type, RESPONSE_END)

    def test_the_denial_response_extension_sends_the_apps_own_page(self) -> None:
        request_id, start = self.open_websocket("/ws/deny-with-page")
        self.assertEqual(start.payload, b"401\0content-type\0text/plain")
        self.assertEqual(self.front.read_frame(), Frame(RESPONSE_BODY, request_id, 0, b"who are you?"))
        self.assertEqual(self.front.read_frame().type, RESPONSE_END)

    def test_the_websocket_scope_has_subprotocols_and_the_denial_extension(self) -> None:
        request_id, _ = self.open_websocket("/ws/scope", ["v1"])
        scope = json.loads(self.front.read_frame().payload)
        self.assertEqual(scope["subprotocols"], ["v1"])
        self.assertEqual(scope["extensions"], {"websocket.http.response": {}})
        self.assertNotIn("method", scope)
        self.front.send(WS_DISCONNECT, request_id, struct.pack("<H", 1000))
        self.front.frames_until(lambda f: f.type == RESPONSE_END)

    def test_messages_the_app_took_reopen_the_fronts_window(self) -> None:
        request_id, _ = self.open_websocket()
        piece = b"m" * 100_000
        credited = 0
        for _ in range(6):  # 600 kB: past half the window
            self.front.send(WS_MESSAGE, request_id, piece)
            frame = self.front.read_frame()
            while frame.type == WS_CREDIT:
                credited += struct.unpack("<I", frame.payload)[0]
                frame = self.front.read_frame()
            self.assertEqual(frame.type, WS_SEND)
            self.front.grant_credit(request_id, len(frame.payload))
        self.front.send(WS_DISCONNECT, request_id, struct.pack("<H", 1000))
        for frame in self.front.frames_until(lambda f: f.type == RESPONSE_END):
            if frame.type == WS_CREDIT:
                credited += struct.unpack("<I", frame.payload)[0]
        self.assertGreaterEqual(credited, WEBSOCKET_WINDOW // 2)

    def test_a_message_larger_than_the_credit_goes_in_pieces_as_credit_comes(self) -> None:
        request_id, _ = self.open_websocket()
        self.front.send(WS_MESSAGE, request_id, b"big 3000000", MESSAGE_TEXT)
        received = 0
        pieces = []
        while received < RESPONSE_WINDOW:
            frame = self.front.read_frame()
            self.assertEqual(frame.type, WS_SEND)
            pieces.append(frame.flags)
            received += len(frame.payload)
        self.assertEqual(received, RESPONSE_WINDOW)
        self.assertTrue(all(flags == MESSAGE_MORE for flags in pieces))
        self.front.grant_credit(request_id, 3_000_000)
        while received < 3_000_000:
            frame = self.front.read_frame()
            received += len(frame.payload)
        self.assertEqual(frame.flags, 0)  # the last piece ends the message
        self.front.send(WS_DISCONNECT, request_id, struct.pack("<H", 1000))
        self.front.frames_until(lambda f: f.type == RESPONSE_END)


class Lifespan(unittest.TestCase):
    """lifespan.rst: startup before READY, its failure a boot failure, shutdown when the front lets the worker go."""

    def test_startup_failed_stops_the_boot_with_the_apps_message(self) -> None:
        front = AsgiFront("asgiapp:app", expect_ready=False, ASGIAPP_STARTUP="fail")
        try:
            self.assertEqual(front.boot.type, BOOT_FAILED)
            self.assertIn("the database is not there", front.boot.payload.decode())
            self.assertEqual(front.process.wait(10), 4)
        finally:
            front.close()

    def test_an_app_that_raises_on_lifespan_is_served_without_it_in_auto_mode(self) -> None:
        with AsgiFront("asgiapp:app", ASGIAPP_STARTUP="raise") as front:
            self.assertEqual(front.boot.type, READY)
            log = front.wait_for_log_frame("appears unsupported")
            self.assertIn("lifespan is not for me", log.payload.decode())
            self.assertEqual(body_json(front.get("/state", 1).frames), {})

    def test_with_lifespan_on_an_app_that_raises_does_not_boot(self) -> None:
        front = AsgiFront("asgiapp:app", expect_ready=False, ASGIAPP_STARTUP="raise", PYHOST_LIFESPAN="on")
        try:
            self.assertEqual(front.boot.type, BOOT_FAILED)
            self.assertIn("lifespan is not for me", front.boot.payload.decode())
        finally:
            front.close()

    def test_with_lifespan_off_no_lifespan_event_is_sent(self) -> None:
        with AsgiFront("asgiapp:app", PYHOST_LIFESPAN="off") as front:
            self.assertEqual(body_json(front.get("/state", 1).frames), {})

    def test_shutdown_runs_when_the_front_closes_the_socket(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            marker = os.path.join(directory, "shutdown")
            front = AsgiFront("asgiapp:app", ASGIAPP_SHUTDOWN_MARKER=marker)
            front.get("/hello", 1)
            front.close()
            self.assertEqual(front.process.returncode, 0)
            with open(marker) as file:
                self.assertEqual(file.read(), "shut down")


class Interfaces(unittest.TestCase):
    """--interface auto tells the app's shape; ASGI 2 double callables are wrapped as asgiref does."""

    def test_an_asgi2_double_callable_is_served(self) -> None:
        with AsgiFront("asgiapp:Asgi2App") as front:
            self.assertIn(b" asgi ", front.boot.payload)
            self.assertEqual(front.get("/two", 1).body, b"asgi2 /two")

    def test_an_object_with_an_async_call_is_served(self) -> None:
        with AsgiFront("asgiapp:instance") as front:
            self.assertEqual(front.get("/", 1).body, b"object")

    def test_interface_asgi_forces_a_callable_auto_would_not_take(self) -> None:
        with AsgiFront("asgiapp:not_asgi") as front:
            self.assertEqual(front.boot.payload.decode().split(" ")[2], "wsgi")
        with AsgiFront("asgiapp:not_asgi", PYHOST_INTERFACE="asgi") as front:
            self.assertIn(b" asgi ", front.boot.payload)
            self.assertEqual(front.get("/", 1).body, b"object")

    def test_an_unknown_loop_asked_for_by_name_fails_the_boot_with_a_hint(self) -> None:
        front = AsgiFront("asgiapp:app", expect_ready=False, PYHOST_LOOP="uvloop", PYTHONNOUSERSITE="1",
                          PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        try:
            try:
                import uvloop  # type: ignore[import-not-found]  # noqa: F401
            except ImportError:
                self.assertEqual(front.boot.type, BOOT_FAILED)
                self.assertIn("hint:", front.boot.payload.decode())
            else:
                self.assertEqual(front.boot.type, READY)
                self.assertIn(b" asgi uvloop", front.boot.payload)
        finally:
            front.close()


if __name__ == "__main__":
    unittest.main()
