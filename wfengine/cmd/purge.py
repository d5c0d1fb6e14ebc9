"""``wfengine-db-manage purge``: one retention pass, run by hand.

The engines run the retention policies on their own (``[execution_
expiration_policy]``, ``[retention]``); this command runs one pass of both
now, with the configured ages or those given on the command line, under
the same lease (it waits for no engine: if one is in a pass, it says so
and stops). ``--dry-run`` prints what a pass would remove and removes
nothing.
"""
import os
import socket
import types

from wfengine.engine import retention

# (command-line flag, group, option, what it means)
AGES = (
    ("--older-than", "execution_expiration_policy", "older_than",
     "minutes: finished root executions not updated for that long"),
    ("--max-finished-executions", "execution_expiration_policy",
     "max_finished_executions",
     "keep that many finished root executions, the most recently updated"),
    ("--batch-size", "execution_expiration_policy", "batch_size",
     "at most that many executions in this pass (0: all)"),
    ("--events-older-than", "retention", "events_older_than",
     "hours: events already fanned out"),
    ("--deliveries-older-than", "retention", "deliveries_older_than",
     "hours: finished delivery records"),
    ("--outbox-orphans-older-than", "retention", "outbox_orphans_older_than",
     "hours: outbox rows about executions that no longer exist"),
    ("--heartbeats-older-than", "retention", "heartbeats_older_than",
     "hours: heartbeats of executors silent that long"),
    ("--start-tickets-older-than", "retention", "start_tickets_older_than",
     "hours: start tickets (how the API and the engines decided a start)"),
)

ROWS = {
    "executions": "finished root executions (with their sub-workflows, "
                  "tasks, action executions)",
    "events": "events",
    "deliveries": "delivery records",
    "outbox": "orphaned outbox rows",
    "executor_heartbeats": "executor heartbeats",
    "start_tickets": "start tickets",
}


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "purge", help="Run one retention pass now (the execution "
        "expiration policy and the age-based purges).",
        description="Run one pass of [execution_expiration_policy] and "
        "[retention] now, with the configured ages unless given here (0 "
        "turns a purge off).")
    parser.add_argument("--dry-run", action="store_true",
                        help="Print what would be removed; remove nothing.")
    for flag, _group, _option, meaning in AGES:
        parser.add_argument(flag, type=int, metavar="N", help=meaning)


def settings(conf, command):
    """The two option groups, with the command line's values on top."""
    groups = {name: dict(getattr(conf, name).items())
              for name in ("execution_expiration_policy", "retention")}
    for flag, group, option, _meaning in AGES:
        given = getattr(command, flag[2:].replace("-", "_"))
        if given is not None:
            # 0 turns a purge off; for older_than that is no value.
            groups[group][option] = None if (
                option == "older_than" and not given) else given
    return types.SimpleNamespace(**{
        name: types.SimpleNamespace(**values)
        for name, values in groups.items()})


def run(conf, out):
    """Run the command; returns the exit status."""
    passes = retention.Retention(
        settings(conf, conf.command),
        "purge-%s-%d" % (socket.gethostname(), os.getpid()))
    if conf.command.dry_run:
        return _print(out, "Would remove (dry run, nothing removed)",
                      passes.count())
    removed = passes.run_once()
    if removed is None:
        out.write("Another process (%s) is running a retention pass; "
                  "nothing done, try again later\n" % passes.lease_holder())
        return 1
    return _print(out, "Removed", removed)


def _print(out, title, counts):
    if not counts:
        out.write("%s: nothing; no age is set (see --help)\n" % title)
        return 0
    out.write("%s:\n" % title)
    for table, n in counts.items():
        out.write("  %8d  %s\n" % (n, ROWS[table]))
    return 0
