"""PostgreSQL's own view of a workload, for the side-by-side tool.

``Sampler(dbname)`` watches one database while a workload runs: every
``interval`` seconds it counts the database's backends that are active
and those waiting for a lock (``pg_stat_activity.wait_event_type =
'Lock'``: a row lock such as an execution's, a transaction id, a
relation), and it reads ``pg_stat_database`` (commits, deadlocks) at the
start and the end. ``figures()`` gives the mean lock-waiting backends,
the share of samples with at least one, and the deltas.
A benchmark aid, not a test.
"""
import threading
import time

import sqlalchemy as sa

import bench

_ACTIVITY = sa.text(
    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
    "count(*) FILTER (WHERE state = 'active') "
    "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()")
_DATABASE = sa.text(
    "SELECT xact_commit, deadlocks FROM pg_stat_database "
    "WHERE datname = :db")


class Sampler:
    """Sample lock waits of database ``dbname`` in a thread."""

    def __init__(self, dbname, interval=0.02):
        self.dbname, self.interval = dbname, interval
        self._engine = sa.create_engine(bench.PG_ADMIN + "postgres",
                                        isolation_level="AUTOCOMMIT")
        self._stop = threading.Event()
        self._samples = []
        self._thread = None
        self._before = None

    def _counters(self, conn):
        # Statistics of other backends reach the view when they report.
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return tuple(conn.execute(_DATABASE, {"db": self.dbname}).one())

    def start(self):
        with self._engine.connect() as conn:
            self._before = self._counters(conn)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        with self._engine.connect() as conn:
            while not self._stop.wait(self.interval):
                self._samples.append(tuple(conn.execute(
                    _ACTIVITY, {"db": self.dbname}).one()))

    def stop(self):
        """Stop sampling; returns :meth:`figures`."""
        self._stop.set()
        self._thread.join()
        time.sleep(1.0)  # let backends flush their transaction counts
        with self._engine.connect() as conn:
            after = self._counters(conn)
        self._engine.dispose()
        return self.figures(after)

    def figures(self, after):
        waiting = [w for w, _ in self._samples]
        n = len(waiting) or 1
        return {"samples": len(waiting),
                "lock_waiting_mean": round(sum(waiting) / n, 3),
                "lock_waiting_share": round(
                    sum(1 for w in waiting if w) / n, 3),
                "active_mean": round(
                    sum(a for _, a in self._samples) / n, 3),
                "commits": after[0] - self._before[0],
                "deadlocks": after[1] - self._before[1]}
