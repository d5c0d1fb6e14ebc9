"""The console in a real browser (headless Chromium) against a running
embedded server: find a failed execution, see where it broke, fix it from
the page and watch it finish, without reloading; and never see a secret.
"""
import json
import re

from tests.functional import harness
from tests.functional.console_browser import (  # noqa: F401 (fixtures)
    NARROW, Receiver, browser, console_server, page, screenshot, shots)

CANARY = "CANARY-7f3e-s3cr3t-token"
FLAKY = """version: '2.0'
flaky:
  description: calls an endpoint that may be down
  tags: [ops, nightly]
  tasks:
    prepare:
      action: std.echo output="Bearer <% env().api_token %>"
      publish: {auth: <% task().result %>}
      on-success: [audit]
    audit:
      action: std.echo output=audited
      on-complete: [call, report]
    call:
      action: std.noop
      fail-on: <% env().healthy != true %>
      publish: {answer: 1}
      on-success: [report]
      on-error: [cleanup]
    report:
      join: all
      action: std.echo output=<% $.get(answer) %>
      publish: {reported: <% task().result %>}
    cleanup:
      action: std.noop
      on-complete: [fail]
"""
APPROVAL = """version: '2.0'
approval:
  tasks:
    ask:
      action: std.async_noop
      publish: {decision: <% task().result %>}
      on-success: [record]
    record:
      action: std.echo output=<% $.decision %>
"""
PARENT = """version: '2.0'
child:
  input: [n]
  tasks:
    square:
      action: std.echo output=<% $.n * $.n %>
parent:
  tasks:
    fan:
      with-items: n in <% [1, 2, 3] %>
      action: std.echo output=<% $.n %>
      on-success: [sub]
    sub:
      workflow: child n=4
"""
HELLO = """version: '2.0'
hello:
  tasks:
    greet:
      action: std.echo output=hi
"""


def _define(server, text, name):
    """Create workflow ``name`` from ``text`` unless an earlier test did
    (the server is the module's)."""
    if not any(w["name"] == name for w in server.api.list_workflows()):
        server.api.create_workflow(text)


def _start(server, name, env=None):
    body = {"workflow_name": name}
    if env is not None:
        body["params"] = {"env": env}
    return server.api.request("POST", "/executions", expect=(201,),
                              json=body).json()


def _wait_state(server, ex_id, state, timeout=30):
    harness.wait_until(
        lambda: server.api.execution(ex_id)["state"] == state, timeout,
        "execution %s to be %s" % (ex_id, state))


def _console(server, path):
    return "http://%s:%d/console%s" % (harness.LOOPBACK, server.port, path)


def _no_secret(page):
    assert CANARY not in page.content()
    assert "s3cr3t" not in page.inner_text("body")


def _mark_page(page):
    """A flag that a full reload would lose."""
    page.evaluate("window.__notReloaded = true")


def _not_reloaded(page):
    assert page.evaluate("window.__notReloaded === true")


def _node(page, task):
    return page.locator('svg.graph g.node[data-task="%s"]' % task)


def _open_failed(page, server):
    """Start ``flaky`` unhealthy while the list is open; follow it from
    the list to its page. Returns the execution id."""
    _define(server, FLAKY, "flaky")
    page.goto(_console(server, "/executions?name=flaky"))
    _mark_page(page)
    ex = _start(server, "flaky", {"api_token": CANARY, "healthy": False})
    _wait_state(server, ex["id"], "ERROR")
    row = page.locator("#rows tr", has=page.locator(
        'a[href$="/executions/%s"]' % ex["id"]))
    row.locator(".state", has_text="ERROR").wait_for()
    _not_reloaded(page)
    page.wait_for_function("document.title.includes('failed')")
    _no_secret(page)
    row.locator("a").first.click()
    page.locator("#ex-state", has_text="ERROR").wait_for()
    return ex["id"]


def test_rerun_with_an_edited_env_turns_it_success(page, console_server,
                                                   shots):
    ex_id = _open_failed(page, console_server)
    assert _node(page, "call").get_attribute("data-state") == "ERROR"
    assert _node(page, "cleanup").get_attribute("data-state") == "SUCCESS"
    # The join waits for "call", which failed. ("audit" creates it with
    # "call", so it is there whichever of the two the engine hears first.)
    assert _node(page, "report").get_attribute("data-state") == "WAITING"
    labels = page.locator("svg.graph g.edge text").all_text_contents()
    assert {"success", "error", "complete"} <= {
        label.rstrip(" ?") for label in labels}
    assert "join all" in page.locator("svg.graph").text_content()
    failure = page.locator(".failure")
    assert "call" in failure.inner_text()
    assert "healthy" in failure.inner_text() or \
        "fail-on" in failure.inner_text().lower()
    _no_secret(page)
    screenshot(page, "failed-execution", shots)
    prepare = page.locator("table.tasks tr", has_text="prepare")
    prepare.locator("details summary").click()
    prepare.locator(".details-body", has_text="Bearer ***").wait_for()
    assert "std.echo" in prepare.inner_text()
    _no_secret(page)
    _mark_page(page)

    failure.locator('[data-act="rerun"]').click()
    dialog = page.locator("dialog#dialog")
    dialog.wait_for(state="visible")
    assert "***" in dialog.text_content()  # the env's values, hidden
    _no_secret(page)
    dialog.locator("textarea[name=env]").fill('{"healthy": true}')
    dialog.locator("button[type=submit]").click()
    dialog.wait_for(state="hidden")
    page.locator("#ex-state", has_text="SUCCESS").wait_for()
    _not_reloaded(page)
    page.locator('svg.graph g.node[data-task="report"]'
                 '[data-state="SUCCESS"]').wait_for()
    assert _node(page, "call").get_attribute("data-state") == "SUCCESS"
    _no_secret(page)
    assert console_server.api.execution(ex_id)["state"] == "SUCCESS"


def test_mark_success_with_published_values_then_resume_once(
        page, console_server):
    ex_id = _open_failed(page, console_server)
    _mark_page(page)
    # Resuming before marking anything is refused: the API says why.
    page.locator("button", has_text="Resume").click()
    dialog = page.locator("dialog#dialog")
    dialog.wait_for(state="visible")
    dialog.locator("button[type=submit]").click()
    dialog.locator("#dialog-flash.bad", has_text="nothing to resume") \
        .wait_for()
    dialog.locator("[data-close]").click()

    page.locator('.failure [data-act="mark"]').click()
    dialog.wait_for(state="visible")
    dialog.locator("input[value=SUCCESS]").check()
    dialog.locator("textarea[name=published]").fill('{"answer": 42}')
    dialog.locator("input[name=state_info]").fill("endpoint fixed by hand")
    dialog.locator("button[type=submit]").click()
    dialog.wait_for(state="hidden")
    page.locator("#flash.ok", has_text="marked SUCCESS").wait_for()
    assert console_server.api.execution(ex_id)["state"] == "ERROR"

    page.locator("button", has_text="Resume").click()
    dialog.wait_for(state="visible")
    dialog.locator("button[type=submit]").click()
    page.locator("#ex-state", has_text="SUCCESS").wait_for()
    _not_reloaded(page)
    report = [t for t in console_server.api.tasks(ex_id)
              if t["name"] == "report"]
    assert len(report) == 1 and report[0]["state"] == "SUCCESS"
    assert json.loads(report[0]["published"]) == {"reported": 42}
    assert '"reported": 42' in page.locator("table.tasks").inner_text()
    _no_secret(page)


def test_complete_an_async_action_from_the_page(page, console_server):
    _define(console_server, APPROVAL, "approval")
    ex = _start(console_server, "approval")
    page.goto(_console(console_server, "/executions/%s" % ex["id"]))
    _mark_page(page)
    page.locator('[data-act="complete"]').click()
    dialog = page.locator("dialog#dialog")
    dialog.wait_for(state="visible")
    dialog.locator("textarea[name=output]").fill('{"approved": true}')
    dialog.locator("button[type=submit]").click()
    page.locator("#ex-state", has_text="SUCCESS").wait_for()
    _not_reloaded(page)
    record = [t for t in console_server.api.tasks(ex["id"])
              if t["name"] == "ask"][0]
    assert json.loads(record["published"]) == {
        "decision": {"approved": True}}


def test_listener_log_and_sending_a_failed_delivery_again(
        page, console_server, shots):
    receiver = Receiver()
    try:
        _define(console_server, HELLO, "hello")
        listener = console_server.api.request(
            "POST", "/listeners", expect=(201,), json={
                "workflow_name": "hello", "url": receiver.url + "?key=" +
                CANARY, "events": ["EXECUTION"],
                "headers": {"X-Api-Key": CANARY},
                "description": "ops channel"}).json()
        ex = _start(console_server, "hello")
        _wait_state(console_server, ex["id"], "SUCCESS")
        page.goto(_console(console_server, "/listeners/%s"
                           % listener["id"]))
        _mark_page(page)
        failed = page.locator('tr[data-state="FAILED"]')
        failed.first.wait_for()
        harness.wait_until(lambda: failed.count() == 2, 30,
                           "both deliveries to fail")
        text = page.inner_text("#deliveries")
        assert "500" in text and "WORKFLOW_SUCCEEDED" in text
        _no_secret(page)
        screenshot(page, "listener-log", shots)

        receiver.status = 200
        row = failed.first
        delivery_id = row.get_attribute("data-delivery")
        row.locator('[data-act="redeliver"]').click()
        page.locator('tr[data-delivery="%s"][data-state="DELIVERED"]'
                     % delivery_id).wait_for()
        _not_reloaded(page)
        assert len(receiver.received) >= 3
        page.goto(_console(console_server, "/listeners"))
        assert "ops channel" in page.inner_text("body")
        _no_secret(page)
    finally:
        receiver.close()


def test_sub_workflows_and_items_are_drawn_and_linked(page, console_server):
    _define(console_server, PARENT, "parent")
    ex = _start(console_server, "parent")
    _wait_state(console_server, ex["id"], "SUCCESS")
    page.goto(_console(console_server, "/executions/%s" % ex["id"]))
    fan = _node(page, "fan")
    assert "3/3 items" in fan.text_content()
    sub = _node(page, "sub")
    assert "workflow child" in sub.text_content()
    sub.locator("a").click()
    page.locator("#ex-state", has_text="SUCCESS").wait_for()
    assert page.locator("h1").inner_text().startswith("child")
    crumbs = page.locator(".crumbs").inner_text()
    assert "parent" in crumbs and "sub" in crumbs
    page.locator(".crumbs a", has_text="parent").click()
    page.locator("ul.children a", has_text="child").wait_for()


def test_pause_resume_and_cancel_from_the_page(page, console_server):
    _define(console_server, APPROVAL, "approval")
    ex = _start(console_server, "approval")
    page.goto(_console(console_server, "/executions/%s" % ex["id"]))
    _mark_page(page)
    page.locator('[data-act="complete"]').wait_for()
    page.locator("#live button", has_text="Pause").click()
    page.locator("#ex-state", has_text="PAUSED").wait_for()
    page.locator("#live button", has_text="Resume").click()
    dialog = page.locator("dialog#dialog")
    dialog.wait_for(state="visible")
    dialog.locator("button[type=submit]").click()
    page.locator("#ex-state", has_text="RUNNING").wait_for()
    page.once("dialog", lambda confirm: confirm.accept())
    page.locator("#live button", has_text="Cancel").click()
    page.locator("#ex-state", has_text="CANCELLED").wait_for()
    _not_reloaded(page)
    assert console_server.api.execution(ex["id"])["state"] == "CANCELLED"


def test_validation_points_at_lines(page, console_server, shots):
    page.goto(_console(console_server, "/workflows"))
    page.fill("textarea[name=definition]", "version: '2.0'\nbroken:\n"
              "  tasks:\n    one:\n      action: std.noop\n"
              "      on-success: [nowhere]\n")
    page.locator("form.validate button[type=submit]").click()
    problems = page.locator("#validation ol.problems")
    problems.wait_for()
    assert re.search(r"line 6: .*nowhere", problems.inner_text())
    assert page.locator("#validation .ln.marked#line-6").count() == 1
    page.locator("#validation").scroll_into_view_if_needed()
    screenshot(page, "validation", shots)


def test_list_and_pages_fit_a_narrow_window(browser, console_server,
                                            shots):
    context = browser.new_context(viewport=NARROW)
    try:
        narrow = context.new_page()
        for path in ("/executions", "/workflows", "/listeners"):
            narrow.goto(_console(console_server, path))
            assert narrow.evaluate(
                "document.documentElement.scrollWidth <= innerWidth + 1"), \
                path
        # A list with something of every kind: waiting, failed, done.
        waiting = _start(console_server, "approval")
        failed = _start(console_server, "flaky",
                        {"api_token": CANARY, "healthy": False})
        _wait_state(console_server, failed["id"], "ERROR")
        narrow.goto(_console(console_server, "/executions"))
        screenshot(narrow, "narrow-list", shots)
        narrow.goto(_console(console_server, "/executions/%s"
                             % failed["id"]))
        assert narrow.evaluate(
            "document.documentElement.scrollWidth <= innerWidth + 1")
        screenshot(narrow, "narrow-execution", shots)
        wide = context.browser.new_page(viewport={"width": 1280,
                                                  "height": 800})
        wide.goto(_console(console_server, "/executions"))
        wide.locator("#rows .state", has_text="RUNNING").wait_for()
        wide.wait_for_function("document.title.includes('1 running')")
        screenshot(wide, "executions", shots)
        _no_secret(wide)
        wide.close()
        console_server.api.request(
            "PUT", "/executions/%s" % waiting["id"], expect=(200,),
            json={"state": "CANCELLED"})
    finally:
        context.close()
