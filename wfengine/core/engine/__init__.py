"""The engine's pure core: state tables, the conductor and what it is made
of, the records it emits, the ports it reads through.

Every module of this package is pure (the ``pure-core`` import contract
covers the package, so a new module is checked too): it imports no
database, RPC or configuration and reads no clock.
"""
