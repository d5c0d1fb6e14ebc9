"""The names of execution and delivery states, and their groups.

A leaf that every layer reads (database queries, the API's checks, RPC
messages, the engine): a state is spelled here once. What moves an
execution from one state to another is the engine's (``core/engine/states.py``).
Names are Mistral's.
"""

IDLE = "IDLE"
WAITING = "WAITING"
RUNNING = "RUNNING"
RUNNING_DELAYED = "RUNNING_DELAYED"
PAUSED = "PAUSED"
SUCCESS = "SUCCESS"
CANCELLED = "CANCELLED"
ERROR = "ERROR"
SKIPPED = "SKIPPED"

ALL = (IDLE, WAITING, RUNNING, RUNNING_DELAYED, PAUSED, SUCCESS, CANCELLED,
       ERROR, SKIPPED)
COMPLETED = frozenset({SUCCESS, ERROR, CANCELLED, SKIPPED})
ACTIVE = frozenset({IDLE, WAITING, RUNNING, RUNNING_DELAYED})

# The states an action (or a sub-workflow) ends in: what a result reports.
RESULTS = (SUCCESS, ERROR, CANCELLED)
# A workflow execution that has not ended yet (pause, resume and cancel
# reach the sub-workflow executions in these states).
UNFINISHED_WORKFLOW = (RUNNING, PAUSED, IDLE)
# The states a client may ask an execution to move to (PUT).
EXECUTION_REQUESTS = (RUNNING, PAUSED, CANCELLED, SUCCESS, ERROR)

# An event's delivery to a listener, a notify target or a publisher (the
# notifier moves it: ``notifier/policy.py``).
DELIVERY_PENDING = "PENDING"
DELIVERY_DELIVERED = "DELIVERED"
DELIVERY_FAILED = "FAILED"
DELIVERY_ENDED = (DELIVERY_DELIVERED, DELIVERY_FAILED)
