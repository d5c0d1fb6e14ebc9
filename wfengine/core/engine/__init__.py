"""The engine's decisions: state tables, the conductor and what it is made
of, the records it emits, the ports it reads through.

Part of the pure core (see :mod:`wfengine.core`): ``wfengine.engine``
loads what a decision needs, calls in here and writes what comes out.
Nothing here imports a database, RPC or configuration or reads a clock.
"""
