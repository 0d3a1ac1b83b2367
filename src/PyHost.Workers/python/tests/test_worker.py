"""End to end: a real `python -m pyhost_worker` process, driven by a fake front over the Unix socket."""

from __future__ import annotations

import ast
import hashlib
import marshal
import socket
import os
import signal
import struct
import sys
import time
import unittest

from support import (
    ABORT,
    APP_ERROR,
    APPS_DIR,
    BODY,
    BODY_ABORTED,
    BODY_END,
    BODY_PULL,
    CREDIT,
    NO_BODY,
    NOT_STARTED,
    PING,
    PONG,
    RECALL,
    REQUEST,
    RESPONSE_BODY,
    RESPONSE_END,
    RESPONSE_START,
    RESPONSE_WINDOW,
    RETIRING,
    STOP,
    FakeFront,
    Frame,
    make_environ,
    pack,
)


def digest(data: bytes) -> bytes:
    return f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode()


class ServingRequests(unittest.TestCase):
    """One worker serves every request in this class, one after the other, as the front would send them."""

    front: FakeFront

    @classmethod
    def setUpClass(cls) -> None:
        cls.front = FakeFront("testapp", PYHOST_MULTIPROCESS="1")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.front.close()

    def test_ready_names_pid_python_version_the_wsgi_interface_and_the_stack_file(self) -> None:
        pid, version, interface, stack = self.front.boot.payload.decode().split(" ")
        self.assertEqual(int(pid), self.front.process.pid)
        self.assertEqual(version, ".".join(map(str, sys.version_info[:3])))
        self.assertEqual(interface, "wsgi")
        self.assertTrue(stack.startswith("stack="))
        self.assertTrue(os.readlink(f"/proc/{pid}/fd/{stack[len('stack='):]}").startswith("/memfd:pyhost-stacks"))

    def test_sigusr2_appends_every_threads_stack_to_the_stack_file(self) -> None:
        pid, _, _, stack = self.front.boot.payload.decode().split(" ")
        path = f"/proc/{pid}/fd/{stack[len('stack='):]}"
        before = os.stat(path).st_size
        os.kill(int(pid), signal.SIGUSR2)
        deadline = time.monotonic() + 5
        while os.stat(path).st_size == before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        with open(path, "rb") as stacks:
            stacks.seek(before)
            dump = stacks.read().decode()
        self.assertIn("(most recent call first)", dump)
        self.assertIn(" in watch", dump)  # the watchdog thread's too: every thread is dumped
        self.assertEqual(self.front.request("/hello").body, b"Hello, world!")  # it kept serving

    def test_hello_list_gets_start_body_end_and_a_computed_content_length(self) -> None:
        response = self.front.request("/hello", request_id=41)
        self.assertEqual([frame.type for frame in response.frames], [RESPONSE_START, RESPONSE_BODY, RESPONSE_END])
        self.assertEqual(response.status, "200 OK")
        self.assertEqual(response.headers, [("Content-Type", "text/plain"), ("Content-Length", "13")])
        self.assertEqual(response.body, b"Hello, world!")
        self.assertEqual(response.end_flags, 0)

    def test_empty_list_gets_content_length_zero_and_no_body_frame(self) -> None:
        response = self.front.request("/empty")
        self.assertEqual([frame.type for frame in response.frames], [RESPONSE_START, RESPONSE_END])
        self.assertEqual(response.header("Content-Length"), "0")

    def test_head_with_empty_body_gets_no_content_length(self) -> None:
        self.assertIsNone(self.front.request("/empty", method="HEAD").header("Content-Length"))

    def test_no_content_status_gets_no_content_length(self) -> None:
        response = self.front.request("/no-content")
        self.assertEqual(response.status, "204 No Content")
        self.assertEqual(response.headers, [])

    def test_app_content_length_is_kept_not_doubled(self) -> None:
        response = self.front.request("/own-length")
        self.assertEqual(response.headers, [("Content-Type", "text/plain"), ("content-length", "5")])

    def test_generator_chunks_arrive_in_order_in_body_frames_then_end(self) -> None:
        response = self.front.request("/stream")
        # The first chunk goes with the headers; the next ones may share a frame (a burst, channel.BURST_NS).
        self.assertEqual(response.frames[1], Frame(RESPONSE_BODY, response.frames[1].request_id, 0, b"one"))
        self.assertEqual({frame.type for frame in response.frames[1:-1]}, {RESPONSE_BODY})
        self.assertEqual(response.body, b"onetwothree")
        self.assertEqual(response.frames[-1].type, RESPONSE_END)
        self.assertIsNone(response.header("Content-Length"))

    def test_empty_generator_still_sends_headers_at_the_end(self) -> None:
        response = self.front.request("/empty-stream")
        self.assertEqual([frame.type for frame in response.frames], [RESPONSE_START, RESPONSE_END])
        self.assertIsNone(response.header("Content-Length"))

    def test_iterable_with_close_is_streamed_and_closed(self) -> None:
        response = self.front.request("/closing-list")
        self.assertEqual(response.body, b"ab")
        self.front.wait_for_log("closed: closing-list")

    def test_big_single_chunk_arrives_whole(self) -> None:
        response = self.front.request("/big")
        self.assertEqual(response.body, b"x" * 1_000_000)
        self.assertEqual(response.header("Content-Length"), "1000000")

    def test_a_chunk_over_the_frame_limit_is_split_into_frames_of_at_most_1_mib(self) -> None:
        response = self.front.request("/huge")
        expected = bytes(range(256)) * (3_500_000 // 256)
        self.assertEqual(response.body, expected)
        self.assertEqual(response.header("Content-Length"), str(len(expected)))
        body_frames = [frame for frame in response.frames if frame.type == RESPONSE_BODY]
        self.assertEqual(len(body_frames), 4)
        self.assertTrue(all(len(frame.payload) <= 1024 * 1024 for frame in body_frames))

    def test_a_streamed_chunk_over_the_frame_limit_is_split_in_order(self) -> None:
        response = self.front.request("/huge-stream")
        self.assertEqual(response.body, b"head" + b"y" * 2_500_000 + b"tail")
        self.assertTrue(all(len(frame.payload) <= 1024 * 1024 for frame in response.frames if frame.type == RESPONSE_BODY))

    def test_write_callable_sends_at_once_without_content_length(self) -> None:
        response = self.front.request("/write")
        self.assertEqual([frame.payload for frame in response.frames[1:-1]], [b"a", b"b", b"c"])
        self.assertIsNone(response.header("Content-Length"))

    def test_file_wrapper_reads_blocks_of_the_given_size(self) -> None:
        response = self.front.request("/file")
        with open(os.path.join(APPS_DIR, "testapp.py"), "rb") as source:
            self.assertEqual(response.body, source.read())
        self.assertEqual(len(response.frames[1].payload), 1000)

    def test_environ_has_the_wsgi_keys(self) -> None:
        environ = ast.literal_eval(self.front.request("/environ", query="a=1").body.decode())
        self.assertEqual(
            environ,
            {
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.multithread": False,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
                "wsgi.input_terminated": True,
                "PATH_INFO": "/environ",
                "QUERY_STRING": "a=1",
            },
        )

    def test_pulled_body_is_read_whole(self) -> None:
        body = os.urandom(300_000)
        response = self.front.request("/body", body=body, query="read", method="POST")
        self.assertEqual(response.body, digest(body))
        self.assertEqual(response.pulls, [65536] * 5)

    def test_pulled_body_is_read_in_sizes_lines_and_by_iteration(self) -> None:
        body = b"".join(b"line %d of the upload\n" % number for number in range(15_000))  # ~330 KB
        body += b"no newline at the end"
        for mode in ("read-sized", "readline", "readline-sized", "readlines", "iter"):
            with self.subTest(mode=mode):
                response = self.front.request("/body", body=body, query=mode, method="POST")
                self.assertEqual(response.body, digest(body))

    def test_body_without_content_length_is_read_until_end(self) -> None:
        body = b"chunked upload " * 10_000
        self.front.start_request(1, make_environ("/body", method="POST", query="read"))
        self.assertEqual(self.front.finish_request(1, body).body, digest(body))

    def test_eager_body_needs_no_pull(self) -> None:
        response = self.front.request("/body", body=b"name=value", eager=True, query="read", method="POST")
        self.assertEqual(response.body, digest(b"name=value"))
        self.assertEqual(response.pulls, [])

    def test_unread_eager_body_does_not_leak_into_the_next_request(self) -> None:
        self.front.request("/hello", request_id=5, body=b"ignored", eager=True)
        response = self.front.request("/body", request_id=5, body=b"fresh", eager=True, query="read", method="POST")
        self.assertEqual(response.body, digest(b"fresh"))

    def test_reading_a_little_of_a_big_body_pulls_once(self) -> None:
        response = self.front.request("/read-some", body=b"0123456789" * 100_000, method="POST")
        self.assertEqual(response.body, b"0123456789")
        self.assertEqual(len(response.pulls), 1)

    def test_aborted_body_raises_oserror_in_the_app_and_ends_quietly(self) -> None:
        self.front.start_request(9, make_environ("/read-until-gone", method="POST", CONTENT_LENGTH="100000"))
        pull = self.front.read_frame()
        self.assertEqual(pull.type, BODY_PULL)
        self.front.send(BODY, 9, b"", BODY_ABORTED)
        end = self.front.read_frame()
        self.assertEqual((end.type, end.request_id, end.flags), (RESPONSE_END, 9, 0))
        log = self.front.wait_for_log("read failed: client disconnected")
        self.assertNotIn("Error handling request POST /read-until-gone", log)
        self.assertEqual(self.front.request("/hello").body, b"Hello, world!")

    def test_abort_mid_stream_stops_the_generator_and_closes_it(self) -> None:
        self.front.start_request(12, make_environ("/forever"))
        self.assertEqual(self.front.read_frame().type, RESPONSE_START)
        self.assertEqual(self.front.read_frame().type, RESPONSE_BODY)
        self.front.send(ABORT, 12)
        while True:
            frame = self.front.read_frame()
            if frame.type == RESPONSE_END:
                break
            self.assertEqual(frame.type, RESPONSE_BODY)
        self.assertEqual(frame.flags, 0)
        self.front.wait_for_log("closed: forever")
        self.assertEqual(self.front.request("/hello").body, b"Hello, world!")

    def test_late_abort_for_a_finished_request_is_ignored(self) -> None:
        self.front.request("/hello", request_id=21)
        self.front.send(ABORT, 21)
        self.assertEqual(self.front.request("/hello", request_id=22).body, b"Hello, world!")

    def test_exc_info_replaces_headers_not_yet_sent(self) -> None:
        response = self.front.request("/exc-info")
        self.assertEqual(response.status, "503 Service Unavailable")
        self.assertEqual(response.header("X-Replaced"), "yes")
        self.assertEqual(response.body, b"replaced")

    def test_exc_info_after_headers_were_sent_reraises_and_ends_with_app_error(self) -> None:
        response = self.front.request("/exc-info-late")
        self.assertEqual(response.status, "200 OK")
        self.assertEqual(response.body, b"partial")
        self.assertEqual(response.end_flags, APP_ERROR)
        self.front.wait_for_log("ValueError: too late")

    def test_app_error_before_the_response_gets_a_500_without_traceback(self) -> None:
        response = self.front.request("/boom", query="x=1")
        self.assertEqual(response.status, "500 Internal Server Error")
        self.assertEqual(response.header("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(response.header("Content-Length"), str(len(response.body)))
        self.assertIn(b"500 Internal Server Error", response.body)
        self.assertNotIn(b"boom", response.body)
        log = self.front.wait_for_log("Error handling request GET /boom?x=1\nTraceback")
        self.assertIn("RuntimeError: boom <script>", log)

    def test_app_error_after_the_response_started_ends_with_app_error_and_closes(self) -> None:
        response = self.front.request("/fails-late")
        self.assertEqual(response.body, b"partial")
        self.assertEqual(response.end_flags, APP_ERROR)
        log = self.front.wait_for_log("closed: fails-late")
        self.assertIn("Error handling request GET /fails-late", log)
        self.assertIn("RuntimeError: late failure", log)

    def test_misuse_of_start_response_or_body_types_is_a_500(self) -> None:
        for path, error in [
            ("/twice", "AssertionError: start_response() called twice"),
            ("/no-start", "AssertionError: the application returned without calling start_response()"),
            ("/str-body", "TypeError: response body chunks must be bytes, not str"),
            ("/latin1-header", "UnicodeEncodeError"),
            ("/nul-header", "ValueError: NUL character"),
            ("/list-header", "TypeError: each header must be a (name, value) tuple"),
        ]:
            with self.subTest(path=path):
                self.assertEqual(self.front.request(path).status, "500 Internal Server Error")
                self.front.wait_for_log(error)

    def test_wsgi_errors_and_print_reach_the_log(self) -> None:
        self.front.request("/errors")
        self.front.wait_for_log("to wsgi.errors\nline one\nline two\n")
        self.front.request("/print")
        self.front.wait_for_log("printed by the app\n")  # line-buffered: no flush, no exit needed

    def test_ping_is_answered_with_the_same_payload(self) -> None:
        self.front.send(PING, 0, b"are you there?")
        self.assertEqual(self.front.read_frame()[:4], (PONG, 0, 0, b"are you there?"))

    def test_sigint_is_ignored_and_sigusr1_dumps_stacks(self) -> None:
        os.kill(self.front.process.pid, signal.SIGINT)
        os.kill(self.front.process.pid, signal.SIGUSR1)
        self.front.wait_for_log("most recent call first")
        self.assertEqual(self.front.request("/hello").body, b"Hello, world!")


class Pipelining(unittest.TestCase):
    """Requests sent while another runs wait their turn in the worker, and can be taken back until it comes."""

    front: FakeFront

    @classmethod
    def setUpClass(cls) -> None:
        cls.front = FakeFront("testapp")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.front.close()

    def send_request(self, request_id: int, path: str, flags: int = NO_BODY, query: str = "") -> None:
        self.front.conn.sendall(pack(REQUEST, request_id, marshal.dumps(make_environ(path, query=query)), flags))

    def test_queued_requests_run_in_the_order_they_came(self) -> None:
        self.send_request(1, "/sleep", query="0.1")
        self.send_request(2, "/hello")
        self.send_request(3, "/stream")
        self.assertEqual(self.front.finish_request(1).body, b"slept")
        self.assertEqual(self.front.finish_request(2).body, b"Hello, world!")
        self.assertEqual(self.front.finish_request(3).body, b"onetwothree")

    def test_an_abort_withdraws_a_queued_request_which_never_runs(self) -> None:
        self.send_request(1, "/sleep", query="0.2")
        self.send_request(2, "/print")
        self.send_request(3, "/hello")
        self.front.send(ABORT, 2)
        responses = self.front.finish_requests(1, 2, 3)
        self.assertEqual(responses[1].body, b"slept")
        self.assertEqual([(f.type, f.flags) for f in responses[2].frames], [(RESPONSE_END, NOT_STARTED)])
        self.assertEqual(responses[3].body, b"Hello, world!")
        self.assertNotIn("printed by the app", self.front.log())

    def test_recall_gives_back_every_request_not_started(self) -> None:
        self.send_request(1, "/sleep", query="0.2")
        time.sleep(0.05)  # request 1 has started: RECALL takes only the ones behind it
        self.send_request(2, "/hello")
        self.send_request(3, "/hello")
        self.front.send(RECALL, 0)
        responses = self.front.finish_requests(1, 2, 3)
        self.assertEqual(responses[1].body, b"slept")
        for given_back in (2, 3):
            self.assertEqual([(f.type, f.flags) for f in responses[given_back].frames], [(RESPONSE_END, NOT_STARTED)])
        self.assertEqual(self.front.request("/hello", request_id=4).body, b"Hello, world!")

    def test_recall_of_one_waiting_request_gives_back_that_one_only(self) -> None:
        self.send_request(1, "/sleep", query="0.2")
        time.sleep(0.05)
        self.send_request(2, "/hello")
        self.send_request(3, "/hello")
        self.front.send(RECALL, 3)
        responses = self.front.finish_requests(1, 2, 3)
        self.assertEqual(responses[2].body, b"Hello, world!")
        self.assertEqual([(f.type, f.flags) for f in responses[3].frames], [(RESPONSE_END, NOT_STARTED)])

    def test_recall_of_a_running_request_changes_nothing(self) -> None:
        self.send_request(5, "/sleep", query="0.1")
        time.sleep(0.05)
        self.front.send(RECALL, 5)
        self.assertEqual(self.front.finish_request(5).body, b"slept")

    def test_a_queued_request_keeps_its_eager_body(self) -> None:
        self.send_request(1, "/sleep", query="0.1")
        self.front.conn.sendall(
            pack(REQUEST, 2, marshal.dumps(make_environ("/body", method="POST", query="read", CONTENT_LENGTH="4")))
            + pack(BODY, 2, b"data", BODY_END))
        self.assertEqual(self.front.finish_request(1).body, b"slept")
        response = self.front.finish_request(2)
        self.assertEqual(response.body, digest(b"data"))
        self.assertEqual(response.pulls, [])

    def test_a_request_without_a_body_reads_an_empty_input_and_never_pulls(self) -> None:
        self.send_request(6, "/body", query="read")
        response = self.front.finish_request(6)
        self.assertEqual(response.body, digest(b""))
        self.assertEqual(response.pulls, [])


class FlowControl(unittest.TestCase):
    def test_the_worker_sends_no_more_than_its_credit_and_goes_on_when_credit_comes(self) -> None:
        with FakeFront("testapp") as front:
            front.start_request(1, make_environ("/huge"))
            sent = 0
            frames = []
            while sent < RESPONSE_WINDOW:
                frame = front.read_frame()
                frames.append(frame)
                if frame.type == RESPONSE_BODY:
                    sent += len(frame.payload)
            self.assertEqual(sent, RESPONSE_WINDOW)
            front.conn.settimeout(0.3)
            with self.assertRaises(socket.timeout):
                front.read_frame()  # nothing more until the front grants credit
            front.conn.settimeout(10)
            front.send(CREDIT, 1, struct.pack("<I", 100))
            frame = front.read_frame()
            self.assertEqual((frame.type, len(frame.payload)), (RESPONSE_BODY, 100))
            front.send(CREDIT, 1, struct.pack("<I", RESPONSE_WINDOW))
            rest = front.finish_request(1)
            body = b"".join(f.payload for f in frames + [frame] + rest.frames if f.type == RESPONSE_BODY)
            self.assertEqual(body, bytes(range(256)) * (3_500_000 // 256))

    def test_an_abort_while_waiting_for_credit_ends_the_response(self) -> None:
        with FakeFront("testapp") as front:
            front.start_request(1, make_environ("/huge-stream"))
            sent = 0
            while sent < RESPONSE_WINDOW:
                frame = front.read_frame()
                sent += len(frame.payload) if frame.type == RESPONSE_BODY else 0
            front.send(ABORT, 1)
            end = front.read_frame()
            self.assertEqual((end.type, end.request_id, end.flags), (RESPONSE_END, 1, 0))
            self.assertEqual(front.request("/hello", request_id=2).body, b"Hello, world!")


class MemoryRetirement(unittest.TestCase):
    def test_a_worker_over_its_memory_limit_retires_after_the_request_and_gives_back_the_queue(self) -> None:
        with FakeFront("testapp", PYHOST_MAX_MEMORY_MIB="40") as front:
            leaked = 0
            while True:
                leaked += 1
                self.assertLess(leaked, 20, "the worker never retired")
                front.conn.sendall(pack(REQUEST, 2 * leaked, marshal.dumps(make_environ("/leak")), NO_BODY)
                                   + pack(REQUEST, 2 * leaked + 1, marshal.dumps(make_environ("/hello")), NO_BODY))
                self.assertEqual(front.finish_request(2 * leaked).body, b"leaked %d" % leaked)
                frame = front.read_frame()
                if frame.type == RETIRING:
                    break
                self.assertEqual(frame.type, RESPONSE_START)
                front.finish_request(2 * leaked + 1)
            self.assertIn(b"over --max-worker-memory 40 MiB", frame.payload)
            given_back = front.read_frame()
            self.assertEqual((given_back.type, given_back.request_id, given_back.flags),
                             (RESPONSE_END, 2 * leaked + 1, NOT_STARTED))
            front.conn.sendall(pack(REQUEST, 99, marshal.dumps(make_environ("/hello")), NO_BODY))
            refused = front.read_frame()
            self.assertEqual((refused.type, refused.request_id, refused.flags), (RESPONSE_END, 99, NOT_STARTED))


class DebugMode(unittest.TestCase):
    def test_debug_500_page_shows_the_escaped_traceback(self) -> None:
        with FakeFront("testapp", PYHOST_DEBUG="1") as front:
            body = front.request("/boom").body.decode()
        self.assertIn("RuntimeError: boom &lt;script&gt;", body)
        self.assertNotIn("<script>", body)


class ValidatedApp(unittest.TestCase):
    def test_wsgiref_validator_with_warnings_as_errors_finds_nothing(self) -> None:
        with FakeFront("validated") as front:
            self.assertEqual(front.request("/").body, b"validated")
            stream = front.request("/stream")
            self.assertEqual([frame.payload for frame in stream.frames[1:]], [b"first ", b"second", b""])
            body = b"first line\nsecond line\n0123456789tail\nmore\n" + b"x" * 100_000
            self.assertEqual(
                front.request("/post", body=body, method="POST").body,
                b"first line\n|seco|nd line\n01|23456789tail\n|more\n" + b"x" * 100_000,
            )
            with open(os.path.join(APPS_DIR, "validated.py"), "rb") as source:
                self.assertEqual(front.request("/file").body, source.read())
            log = front.log()
        self.assertNotIn("AssertionError", log)
        self.assertNotIn("Warning", log)
        self.assertNotIn("Error handling request", log)
        self.assertIn("validated app here\none\ntwo\n", log)


class Lifecycle(unittest.TestCase):
    def test_stop_when_idle_exits_zero(self) -> None:
        with FakeFront("testapp") as front:
            front.send(STOP, 0)
            self.assertEqual(front.process.wait(5), 0)

    def test_stop_during_a_request_finishes_it_first(self) -> None:
        with FakeFront("testapp") as front:
            front.start_request(3, make_environ("/slow"))
            front.send(STOP, 0)
            response = front.finish_request(3)
            self.assertEqual(response.body, b"".join(b"slow %d\n" % number for number in range(5)))
            self.assertEqual(front.process.wait(5), 0)

    def test_end_of_socket_exits_promptly(self) -> None:
        with FakeFront("testapp") as front:
            front.conn.shutdown(2)
            self.assertEqual(front.process.wait(5), 0)

    def test_end_of_socket_during_a_body_read_exits(self) -> None:
        with FakeFront("testapp") as front:
            front.start_request(3, make_environ("/body", method="POST", query="read", CONTENT_LENGTH="10"))
            self.assertEqual(front.read_frame().type, BODY_PULL)
            front.conn.shutdown(2)
            self.assertEqual(front.process.wait(5), 0)

    def test_unknown_frame_type_is_a_protocol_error(self) -> None:
        with FakeFront("testapp") as front:
            front.send(99, 0)
            self.assertEqual(front.process.wait(5), 3)
            self.assertIn("protocol error: unexpected frame type 99", front.log())

    def test_oversized_frame_is_a_protocol_error(self) -> None:
        with FakeFront("testapp") as front:
            front.conn.sendall(struct.pack("<IIBBH", 17 * 1024 * 1024, 1, 1, 0, 0))
            self.assertEqual(front.process.wait(5), 3)

    def test_watchdog_exits_the_worker_when_its_parent_dies(self) -> None:
        # The worker's parent is killed, as a SIGKILLed front would be, while this test keeps the socket open:
        # only the watchdog can notice.
        launcher = (
            "import subprocess, sys, time; subprocess.Popen([sys.executable, '-m', 'pyhost_worker']); time.sleep(60)"
        )
        with FakeFront("testapp", command=[sys.executable, "-c", launcher]) as front:
            started = time.monotonic()
            front.process.kill()
            self.assertTrue(front.at_eof(timeout=5))
            self.assertLess(time.monotonic() - started, 3.5)

if __name__ == "__main__":
    unittest.main()
