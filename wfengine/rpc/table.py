"""The message table: every RPC method, what it carries, since when.

The endpoints (``rpc.endpoints``) are generated from this table and the
clients (``rpc.clients``) send each method at the version it names, so
the table is the one place a method is declared. The versions follow the
changelog in ``rpc.messages``; a server listens at ``RPC_VERSION``, the
newest, and so keeps serving a client that sends an older call.
"""
import dataclasses

from wfengine.rpc import messages

ENGINE = "engine"
EXECUTOR = "executor"

CALL = "call"   # the sender waits for the answer (or the exception)
CAST = "cast"   # nobody answers; a failure is logged by the receiver


@dataclasses.dataclass(frozen=True)
class Method:
    """One RPC method.

    ``many``: the method carries a list of messages (keyword ``msgs``)
    rather than one (keyword ``msg``). ``since``: the RPC version that
    introduced the method.
    """

    topic: str
    name: str
    message: type
    kind: str
    since: str
    many: bool = False

    @property
    def argument(self):
        """The keyword the payload travels under."""
        return "msgs" if self.many else "msg"


METHODS = (
    Method(ENGINE, "start_workflow", messages.StartWorkflow, CALL, "1.0"),
    Method(ENGINE, "claim_action", messages.ClaimAction, CALL, "1.0"),
    Method(ENGINE, "on_action_complete", messages.ActionResult, CALL,
           "1.0"),
    Method(ENGINE, "update_execution", messages.UpdateExecution, CALL,
           "1.1"),
    Method(ENGINE, "update_task", messages.UpdateTask, CALL, "1.1"),
    Method(ENGINE, "delete_execution", messages.DeleteExecution, CALL,
           "1.3"),
    Method(ENGINE, "run_action", messages.StartAction, CALL, "1.4"),
    Method(ENGINE, "delete_action_execution",
           messages.DeleteActionExecution, CALL, "1.5"),
    Method(ENGINE, "claim_actions", messages.ClaimAction, CALL, "1.6",
           many=True),
    Method(ENGINE, "on_actions_complete", messages.ActionResult, CALL,
           "1.6", many=True),
    Method(ENGINE, "hand_back_actions", messages.ClaimAction, CALL, "1.9",
           many=True),
    Method(ENGINE, "update_action", messages.UpdateAction, CALL, "1.11"),
    Method(ENGINE, "report_results", messages.ResultReport, CALL, "1.14"),
    Method(EXECUTOR, "run_action", messages.RunAction, CAST, "1.0"),
    Method(EXECUTOR, "run_actions", messages.RunAction, CAST, "1.6",
           many=True),
)


def of_topic(topic):
    """The methods a server of ``topic`` answers, in table order."""
    return tuple(m for m in METHODS if m.topic == topic)


def method(topic, name):
    """The table entry of ``name`` on ``topic`` (KeyError if none)."""
    for m in METHODS:
        if m.topic == topic and m.name == name:
            return m
    raise KeyError("%s has no RPC method %s" % (topic, name))


def parse(version):
    """``"1.10"`` -> ``(1, 10)``: versions compare as numbers."""
    major, minor = version.split(".")
    return int(major), int(minor)


def version_of(entry, wires):
    """The version to send ``wires`` (the dicts of messages of ``entry``)
    at: the one that introduced the method, or a later one when a message
    carries a value in a field added later (an older server would drop
    it)."""
    versions = [entry.since]
    for wire in wires:
        versions.extend(_field_versions(entry.message, wire))
    return max(versions, key=parse)


def _field_versions(cls, wire):
    for field in dataclasses.fields(cls):
        since = cls.FIELDS_SINCE.get(field.name)
        if since is not None and field.name in wire and \
                wire[field.name] != _default(field):
            yield since


def _default(field):
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default
