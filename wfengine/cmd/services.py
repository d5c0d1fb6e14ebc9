"""Builds and starts the services a process was asked to run."""
import logging
import os

import oslo_messaging as messaging

from wfengine.actions import loader
from wfengine.api import app
from wfengine.api import server
from wfengine import callbacks
from wfengine.conf import limits as conf_limits
from wfengine.db import migration
from wfengine.db import session as db_session
from wfengine.engine import cron
from wfengine.engine import event_triggers
from wfengine.engine import liveness
from wfengine.engine import outbox
from wfengine.engine import service as engine_service
from wfengine.executor import heartbeat
from wfengine.executor import inbox as executor_inbox
from wfengine.executor import service as executor_service
from wfengine.notifier import service as notifier_service
from wfengine.ops import lifecycle as ops
from wfengine.rpc import clients
from wfengine.rpc import server as rpc_server
from wfengine import waiting

LOG = logging.getLogger(__name__)

ALL = ("api", "engine", "executor", "notifier")
# Stopping: the API first (no new requests), then the executor, whose
# actions in flight finish and report while an engine of this process
# still takes their results, then the engine, then the notifier, which
# delivers what the engine recorded last.
_STOP_ORDER = ("api", "executor", "engine", "notifier")
# How long a stopping process waits for the messaging layer to let go of
# its threads and connections once its own work is handed over: with the
# broker out of reach, they wait for a reconnection that may never come.
MESSAGING_LET_GO = 5.0


def expand(names):
    """Turn ``--server`` values into an ordered list of service names."""
    result = []
    for name in names:
        for part in name.split(","):
            part = part.strip()
            if part == "all":
                result.extend(ALL)
            elif part in ALL:
                result.append(part)
            elif part:
                raise ValueError("unknown service %r (allowed: all, %s)"
                                 % (part, ", ".join(ALL)))
    return list(dict.fromkeys(result))


def start(conf, names):
    """Start ``names`` in this process; returns objects to ``stop``."""
    in_process = not conf.transport_url
    if in_process and set(names) != set(ALL):
        raise ValueError(
            "transport_url is not set: in-process messaging only works when "
            "this process runs every service (--server all); set "
            "[DEFAULT] transport_url to run %s alone" % ",".join(names))
    conf_limits.apply(conf)
    ops.prepare(conf)
    _setup_database(conf, embedded=in_process)
    rpc_server.init(conf, in_process=in_process)
    if "executor" in names and not in_process:
        _bound_prefetch(conf)
    running = {}
    for name in ("executor", "engine", "notifier", "api"):
        if name in names:
            running[name] = _STARTERS[name](conf)
    # The operator's side (readiness, status endpoint) stops first.
    return [ops.started(conf, names)] + [
        running[name] for name in _STOP_ORDER if name in running]


def stop(running):
    """Stop what :func:`start` returned, in its order (a graceful stop).

    :returns: whether the messaging layer let go in time; if not, its
        threads still wait for the broker and would keep the process
        alive after the work is handed over.
    """
    let_go = True
    for stopper in running:
        try:
            let_go = (stopper() is not False) and let_go
        except Exception:
            LOG.exception("Error while stopping a service")
    if let_go:  # else it would wait for the same broker again
        let_go = bounded(rpc_server.cleanup, "the message transport")
    db_session.dispose()
    return let_go


def bounded(fn, what, timeout=MESSAGING_LET_GO):
    """Run ``fn`` for at most ``timeout`` seconds; True if it returned."""
    outcome = waiting.within(fn, timeout, "stopping")
    if outcome.error is not None:
        LOG.error("Error while stopping %s", what, exc_info=outcome.error)
    if outcome.finished:
        return True
    LOG.warning("Stopping: %s did not let go within %.0f s (is the broker "
                "out of reach?); leaving it", what, timeout)
    return False


def _bound_prefetch(conf):
    """Let RabbitMQ hand an executor at most as many unacknowledged
    messages as it has workers (unless the operator set a number): a
    frozen executor then holds no more than its own slots, and the
    sweeper's resends go to the executors that take them."""
    # The rabbit driver registers its options when the transport is made
    # and reads them when it opens its first connection.
    group = conf.get("oslo_messaging_rabbit")
    if group is not None and "rabbit_qos_prefetch_count" in group and \
            not group.rabbit_qos_prefetch_count:
        conf.set_default("rabbit_qos_prefetch_count", conf.executor.workers,
                         group="oslo_messaging_rabbit")


def _setup_database(conf, embedded):
    url = conf.database.connection
    db_session.configure(url, max_retries=conf.database.max_retries,
                         pool_size=conf.database.max_pool_size,
                         max_overflow=conf.database.max_overflow,
                         idle_in_transaction_timeout=(
                             conf.database.idle_in_transaction_timeout))
    if conf.database.auto_upgrade or (embedded and url.startswith("sqlite")):
        migration.upgrade_apart(url)


def _start_engine(conf):
    loader.preload()
    box = outbox.Outbox(clients.ExecutorClient(),
                        conf.engine.outbox_resend_after,
                        conf.engine.outbox_sweep_interval,
                        callbacks.load_signer(callbacks.public_url(conf),
                                              conf))
    svc = engine_service.EngineService(
        box, record_all_events=bool(conf.notifier.broadcast_publishers),
        claim_ttl=conf.executor.report_timeout)
    box.set_local_handler(svc.handle_local)
    endpoint = engine_service.EngineEndpoint(svc)
    srv = rpc_server.get_server(conf.engine.topic,
                                rpc_server.host_name(conf.engine.host),
                                [endpoint])
    srv.start()
    box.start()
    scheduler = cron.CronScheduler(svc, conf.cron_trigger.execution_interval,
                                   conf.cron_trigger.batch_size, conf=conf)
    if conf.cron_trigger.enabled:
        scheduler.start()
    checker = liveness.LivenessChecker(
        svc, conf.engine.executor_heartbeat_timeout,
        conf.engine.liveness_check_interval)
    checker.start()
    events = _start_event_triggers(conf, svc)
    LOG.info("Engine listening on topic %s", conf.engine.topic)

    def stop():
        events_let_go = events is None or bounded(
            events.stop, "the event trigger listeners")
        checker.stop()
        scheduler.stop()
        box.stop()
        return (bounded(srv.stop, "the engine's RPC server")
                and bounded(srv.wait, "the engine's RPC server")
                and events_let_go)
    return stop


def notification_url(conf):
    """The URL of the transport event triggers listen on, or None: the
    notification transport's, else the process's (an embedded server
    without a ``transport_url`` has none)."""
    url = conf.oslo_messaging_notifications.transport_url
    return url or conf.transport_url or None


def _start_event_triggers(conf, svc):
    """The event trigger listener of this engine, started (None: off)."""
    url = notification_url(conf)
    if not conf.event_trigger.enabled or url is None:
        LOG.info("Event triggers are not listened for (%s)",
                 "[event_trigger] enabled = false"
                 if not conf.event_trigger.enabled
                 else "no transport_url: an embedded server has no broker")
        return None
    listener = event_triggers.EventTriggerListener(
        svc, messaging.get_notification_transport(conf, url=url),
        conf.event_trigger.refresh_interval, conf.event_trigger.listener_pool,
        authenticated=conf.api.auth_strategy != "noauth", conf=conf)
    listener.start()
    return listener


def _start_executor(conf):
    loader.preload(import_classes=True)
    name = rpc_server.host_name(conf.executor.host)
    beat = heartbeat.Heartbeat(name, conf.executor.heartbeat_interval)
    beat.start()
    svc = executor_service.ExecutorService(
        clients.EngineClient(), conf.executor.workers,
        conf.executor.report_timeout, conf.executor.report_retry_max_delay,
        name, keep=executor_inbox.ResultInbox(name).keep,
        reporters=conf.executor.report_calls)
    srv = rpc_server.get_server(conf.executor.topic, name,
                                [executor_service.ExecutorEndpoint(svc)])
    srv.start()
    LOG.info("Executor %s listening on topic %s", name, conf.executor.topic)

    def stop():
        # No new doorbells; the heartbeat beats on while actions finish.
        let_go = bounded(srv.stop, "the executor's RPC server")
        svc.drain(conf.graceful_stop_timeout)
        let_go = let_go and bounded(srv.wait, "the executor's RPC server")
        beat.stop()
        LOG.info("Executor %s stopped", name)
        return let_go
    return stop


def _start_notifier(conf):
    svc = notifier_service.NotifierService(
        conf, rpc_server.host_name(conf.notifier.host))
    svc.start()
    LOG.info("Notifier %s started (publishers: %s)", svc.holder,
             ", ".join(conf.notifier.publishers))
    return svc.stop


def _start_api(conf):
    wsgi = server.build_server(app.setup_app(), conf.api.host, conf.api.port,
                               conf.api.api_workers)
    wsgi.start_in_thread()
    LOG.info("API listening on http://%s:%s (pid %s)", conf.api.host,
             conf.api.port, os.getpid())
    return wsgi.stop


_STARTERS = {"api": _start_api, "engine": _start_engine,
             "executor": _start_executor, "notifier": _start_notifier}
