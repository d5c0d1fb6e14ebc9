"""The notifier: delivers recorded events to listeners and notify targets.

Events are written by the engine in the transaction of the state change
that caused them (DESIGN.md rule 8). The notifier fans each event out into
delivery rows, then attempts them outside any transaction, signed,
retried with back-off, in order per execution and target.
"""
