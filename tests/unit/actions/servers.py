"""Local servers for the action tests (127.0.0.1 only, bounded waits)."""
import http.server
import json
import threading
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path; records every request it gets on the server."""

    timeout = 5  # seconds a connection may idle (no stuck test threads)
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.server.seen.append({"method": self.command, "path": parts.path,
                                 "headers": dict(self.headers.items()),
                                 "body": body})
        route = ROUTES.get(parts.path, _not_found)
        status, headers, payload = route(self, query, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def _json(status, value, **headers):
    return status, {"Content-Type": "application/json", **headers}, \
        json.dumps(value).encode("utf-8")


def _echo(handler, query, body):
    return _json(200, {"method": handler.command, "body": body,
                       "headers": dict(handler.headers.items()),
                       "query": query})


def _text(handler, query, body):
    return 200, {"Content-Type": "text/plain; charset=utf-8",
                 "Set-Cookie": "k=v"}, "hello, wörld".encode("utf-8")


def _redirect(handler, query, body):
    return int(query.get("status", 302)), {"Location": query["to"]}, b""


def _status(handler, query, body):
    return _json(int(query["code"]), {"error": "status %s" % query["code"]})


def _not_found(handler, query, body):
    return _json(404, {"error": "no such page"})


ROUTES = {"/echo": _echo, "/text": _text, "/redirect": _redirect,
          "/status": _status}


def start(wrap_socket=None):
    """A threaded HTTP server on 127.0.0.1, serving; ``.base`` is its URL.

    :param wrap_socket: optional function applied to the listening socket
        (e.g. an ``ssl.SSLContext.wrap_socket`` partial).
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if wrap_socket is not None:
        server.socket = wrap_socket(server.socket)
    server.daemon_threads = True
    server.seen = []
    scheme = "https" if wrap_socket is not None else "http"
    server.base = "%s://127.0.0.1:%d" % (scheme, server.server_address[1])
    server.thread = threading.Thread(target=server.serve_forever,
                                     kwargs={"poll_interval": 0.05},
                                     daemon=True)
    server.thread.start()
    return server


def stop(server):
    """Stop a server from :func:`start` and wait for its thread."""
    server.shutdown()
    server.server_close()
    server.thread.join(5)
