"""Root documents and the error shape of routes that do not exist."""


def test_versions_document(app):
    body = app.get("/").json
    assert body == {"versions": [{
        "id": "v2.0", "status": "CURRENT",
        "links": [{"href": "http://localhost/v2", "target": "v2",
                   "rel": "self"}]}]}


def test_v2_document(app):
    assert app.get("/v2").json == {"uri": "http://localhost/v2"}


def test_public_url_is_used_for_links(app):
    from wfengine import conf
    conf.CONF.set_override("public_url", "http://api.example:1/", "api")
    try:
        assert app.get("/v2").json == {"uri": "http://api.example:1/v2"}
    finally:
        conf.CONF.clear_override("public_url", "api")


def test_unknown_route_is_404_with_fault_body(app):
    resp = app.get("/v2/nothing/here", status=404)
    assert resp.content_type == "application/json"
    assert resp.json == {"faultcode": "Client",
                         "faultstring": "Resource not found: GET "
                                        "/v2/nothing/here",
                         "debuginfo": None}


def test_wrong_method_is_405_with_fault_body(app):
    resp = app.post("/", "x", status=405)
    assert resp.json["faultstring"].startswith("Method not allowed")
    resp = app.delete("/v2/executions", status=405)
    assert "faultstring" in resp.json


def test_unexpected_error_is_500_with_fault_body(app, monkeypatch):
    from wfengine.api.controllers.v2 import executions

    def boom(*_args):
        raise RuntimeError("canary-secret-7f3a")

    monkeypatch.setattr(executions, "shown_execution", boom)
    resp = app.get("/v2/executions/x", status=500)
    assert resp.json["faultcode"] == "Server"
    # The type is named, the text (which may quote data) is not.
    assert "RuntimeError" in resp.json["faultstring"]
    assert "canary-secret-7f3a" not in resp.json["faultstring"]
    assert resp.json["debuginfo"] is None


def test_client_errors_log_at_debug_server_errors_at_error(app, caplog,
                                                           monkeypatch):
    import logging
    from wfengine.api.controllers.v2 import executions
    caplog.set_level(logging.DEBUG, logger="wfengine.api.errors")
    app.get("/v2/executions/nope", status=404)
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    caplog.clear()

    def boom(*_args):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(executions, "shown_execution", boom)
    app.get("/v2/executions/x", status=500)
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert caplog.records[0].exc_info is not None


def test_rpc_wrapped_errors_keep_their_code():
    import sys
    import oslo_messaging
    from wfengine.api import errors
    from wfengine import exceptions
    try:
        raise exceptions.InputError("bad input x")
    except exceptions.InputError:
        wrapped = oslo_messaging.ExpectedException()
        wrapped.exc_info = sys.exc_info()
    assert errors.classify(wrapped) == (400, "bad input x")
    remote = oslo_messaging.RemoteError("NotFound", "no wf y")
    assert errors.classify(remote) == (404, "no wf y")
    assert errors.classify(oslo_messaging.MessagingTimeout())[0] == 503
