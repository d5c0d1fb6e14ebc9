"""Exception messages from templates: fields and kinds, never the values a
caller sent; rebuilt whole on the other side of RPC."""
import datetime
import string
import sys

import pytest
from oslo_messaging._drivers import common as rpc_common

from wfengine import exceptions
from wfengine import netguard
from wfengine.actions import http
from wfengine.actions import mail
from wfengine.actions import std
from wfengine.api import auth as auth_mod
from wfengine.api import bodies
from wfengine.api import listing
from wfengine.api import resources
from wfengine.api import updates
from wfengine.cli import http as cli_http
from wfengine.cli import inputs
from wfengine.core.engine import with_items
from wfengine.core.lang import cron
from wfengine.notifier import signing
from wfengine.notifier import targets
from wfengine.core.engine import policies
from wfengine.notifier import subscriptions

SECRET = "s3cr3t-Value"


def test_a_template_is_filled_from_keyword_arguments():
    e = exceptions.InvalidField(field="Field 'x'", expected="a string",
                                kind="int")
    assert str(e) == "Field 'x' must be a string, got int"
    assert e.kwargs == {"field": "Field 'x'", "expected": "a string",
                        "kind": "int"}
    assert e.http_code == 400


def test_a_message_given_is_kept_as_it_is():
    assert str(exceptions.InvalidField("as said")) == "as said"
    assert str(exceptions.NotFound()) == "Object not found"


def test_an_exception_crosses_rpc_whole():
    try:
        raise exceptions.InvalidActionArgument(
            field="timeout", action="std.http", expected="a number",
            kind="str")
    except exceptions.ActionError as raised:
        e = raised
        data = rpc_common.serialize_remote_exception(sys.exc_info())
    back = rpc_common.deserialize_remote_exception(
        data, ["wfengine.exceptions"])
    assert isinstance(back, exceptions.InvalidActionArgument)
    assert isinstance(back, exceptions.ActionError)
    assert str(back).startswith(str(e))


@pytest.mark.parametrize("make", [
    lambda: http.HTTPAction("http://127.0.0.1/", method=[SECRET]),
    lambda: http.HTTPAction("http://127.0.0.1/", timeout=SECRET),
    lambda: mail.SendEmailAction("a@b.c", ["d@e.f"], smtp_server=[SECRET]),
    lambda: mail._port(SECRET + ":99999", "99999"),
    lambda: mail.SendEmailAction(SECRET + "\n", ["d@e.f"], "h"),
])
def test_action_inputs_are_named_not_repeated(make):
    with pytest.raises(exceptions.ActionError) as e:
        make()
    assert SECRET not in str(e.value)
    assert "Input '" in str(e.value)


@pytest.mark.parametrize("call", [
    lambda: policies._number("retry.delay", SECRET),
    lambda: policies._number("retry.delay", -7),
])
def test_policy_values_are_named_not_repeated(call):
    with pytest.raises(exceptions.ExpressionError) as e:
        call()
    assert "Policy 'retry.delay' must be" in str(e.value)
    assert SECRET not in str(e.value) and "-7" not in str(e.value)


def test_event_lists_are_named_not_repeated():
    with pytest.raises(exceptions.InputError) as e:
        subscriptions.check_events("events", SECRET)
    assert "Field 'events' must be" in str(e.value)
    assert SECRET not in str(e.value)


def test_state_messages_name_the_object_and_its_states():
    from wfengine.core.engine import states
    with pytest.raises(exceptions.InvalidStateTransition) as e:
        states.transition("task", states.SUCCESS, states.PAUSE)
    assert e.value.kwargs["state"] == states.SUCCESS
    assert str(e.value).startswith(
        "Cannot pause a task execution in state SUCCESS (allowed here: ")
    assert str(exceptions.StaleState(kind="Task", id="t1", state="RUNNING")) \
        == "Task execution t1 is no longer RUNNING"
    assert str(exceptions.NotFound(kind="Task execution", id="t1")) == \
        "Task execution not found [id=t1]"
    assert str(exceptions.WrongState(
        what="pause", kind="workflow execution", id="w1", state="ERROR",
        allowed="RUNNING")) == ("Can not pause workflow execution w1 in "
                                "state ERROR (allowed in: RUNNING)")


def test_closed_sets_list_what_is_allowed_not_what_was_sent():
    e = exceptions.NotAllowedValue(field="execution state",
                                   allowed="RUNNING, PAUSED")
    assert str(e) == "Invalid execution state (allowed: RUNNING, PAUSED)"
    assert str(exceptions.UnknownFields(
        where="execution", fields="x", allowed="input")) == \
        "Unknown field(s) in execution: x (allowed: input)"


def _templated_classes():
    return [c for c in vars(exceptions).values()
            if isinstance(c, type) and issubclass(c, Exception)
            and getattr(c, "template", None)]


@pytest.mark.parametrize("cls", _templated_classes(),
                         ids=lambda c: c.__name__)
def test_every_template_fills_and_crosses_rpc(cls):
    fields = {name: "<%s>" % name for _, name, _, _
              in string.Formatter().parse(cls.template) if name}
    try:
        raise cls(**fields)
    except exceptions.WFEngineException:
        data = rpc_common.serialize_remote_exception(sys.exc_info())
    back = rpc_common.deserialize_remote_exception(
        data, ["wfengine.exceptions"])
    assert type(back).__name__.startswith(cls.__name__)
    assert isinstance(back, cls)
    assert str(back).startswith(cls.template.format(**fields))
    assert back.http_code == cls.http_code


def _now():
    return datetime.datetime(2026, 1, 1)


@pytest.mark.parametrize("call", [
    lambda: listing.parse_bool("include_output", SECRET),
    lambda: listing._parse_datetime("created_at", SECRET),
    lambda: bodies._first_time(SECRET, _now()),
    lambda: bodies._count(SECRET),
    lambda: bodies._name({"name": SECRET + "/"}, "environment", 200),
    lambda: cron.check_pattern(SECRET),
    lambda: resources.check_scope(SECRET),
    lambda: targets.check_method(SECRET),
    lambda: targets.check_headers({SECRET + ": x": "v"}),
    lambda: signing.secret_bytes("whsec_" + SECRET),
    lambda: updates._check_id({"id": SECRET}, "x", "execution id"),
    lambda: updates.parse_task_update({"state": "RUNNING", "reset": SECRET},
                                      "x"),
    lambda: updates.parse_action_completion({"state": SECRET}, "x"),
    lambda: subscriptions.check_events("events", [SECRET]),
    # urllib's own words would quote the user part, the port, the host.
    lambda: netguard.parse_url("http://u:%s\uff03@h/" % SECRET),
    lambda: netguard.parse_url("http://h:%s/" % SECRET),
    lambda: netguard.parse_url("http://\u2488%s.example/" % SECRET),
])
def test_request_values_are_named_not_repeated(call):
    with pytest.raises(exceptions.InputError) as e:
        call()
    assert SECRET not in str(e.value)


@pytest.mark.parametrize("call", [
    lambda: http._auth(SECRET),
    lambda: std.TestDictAction(size=SECRET),
    lambda: with_items.expand(SECRET, {}, None),
])
def test_task_values_are_named_not_repeated(call):
    # Raised in actions and in the core: the classes callers catch.
    with pytest.raises((exceptions.ActionError,
                        exceptions.ExpressionError)) as e:
        call()
    assert SECRET not in str(e.value)


@pytest.mark.parametrize("call", [
    lambda tmp: inputs.json_or_file('{"password": "%s"' % SECRET, "--input"),
    lambda tmp: inputs.json_or_file('["%s"]' % SECRET, "--input"),
    lambda tmp: inputs.key_values(["a=1", SECRET], "--param"),
    lambda tmp: inputs.json_or_file(_file(tmp, "a: [%s\nb: c\n" % SECRET),
                                    "--env"),
])
def test_command_line_values_are_named_not_repeated(call, tmp_path):
    # The companion CLI says which option and what it must be.
    with pytest.raises(cli_http.CliError) as e:
        call(tmp_path)
    assert isinstance(e.value, exceptions.InvalidOption)
    assert str(e.value).startswith("ERROR: --")
    assert SECRET not in str(e.value)


def _file(tmp_path, text):
    path = tmp_path / "values.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("call", [
    lambda: auth_mod.request_token({"HTTP_AUTHORIZATION": "Basic " + SECRET}),
    lambda: auth_mod.request_token({}),
])
def test_refused_credentials_are_named_not_repeated(call):
    with pytest.raises(exceptions.Unauthorized) as e:
        call()
    assert e.value.http_code == 401
    assert SECRET not in str(e.value)
