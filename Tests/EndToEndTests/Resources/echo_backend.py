"""A tiny HTTP backend for the end-to-end tests: answers every method and path with its own name.

GET /slow?ms=N waits N milliseconds first; /redirect?to=URL&code=302 redirects; GET /long?bytes=N answers N bytes of hex text. /flaky?key=K&fail=N answers 503 to the first N requests for K. Response headers echo what the caller's Envoy sent
(x-received-service-name), the path that arrived (x-received-path), the request id (x-received-request-id), the Host (x-received-host), the tag preference (x-received-service-tag-preference) and the verified caller certificate
(x-received-client-cert, from x-forwarded-client-cert), so tests can see what the Envoys did.
"""
import hashlib
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NAME = sys.argv[2]
FLAKY = {}
FLAKY_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes

    def answer(self):
        url = urlparse(self.path)
        if url.path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["1000"])[0]) / 1000)
        length = int(self.headers.get("content-length", "0") or "0")
        if length:
            self.rfile.read(length)
        body = f"{NAME}\n".encode()
        status = 200
        if url.path == "/flaky":
            query = parse_qs(url.query)
            key = query.get("key", [""])[0]
            with FLAKY_LOCK:
                FLAKY[key] = FLAKY.get(key, 0) + 1
                if FLAKY[key] <= int(query.get("fail", ["1"])[0]):
                    status = 503
        if url.path == "/long":
            size = int(parse_qs(url.query).get("bytes", ["10000"])[0])
            # Hex digits of hashes: text that compresses about 2:1, not a thousandfold like a repeated word.
            body = "".join(hashlib.sha256(f"{NAME}{i}".encode()).hexdigest() for i in range(size // 64 + 1)).encode()[:size]
        if url.path == "/redirect":
            query = parse_qs(url.query)
            self.send_response(int(query.get("code", ["302"])[0]))
            self.send_header("location", query.get("to", ["/"])[0])
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-backend", NAME)
        self.send_header("x-received-service-name", self.headers.get("x-service-name", "-"))
        self.send_header("x-received-path", self.path)
        self.send_header("x-received-request-id", self.headers.get("x-request-id", "-"))
        self.send_header("x-received-host", self.headers.get("host", "-"))
        self.send_header("x-received-service-tag-preference", self.headers.get("x-service-tag-preference", "-"))
        self.send_header("x-received-client-cert", self.headers.get("x-forwarded-client-cert", "-"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = answer

    def log_message(self, format, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
