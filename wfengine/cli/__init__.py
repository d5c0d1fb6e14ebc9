"""``wfengine``: the companion command line client of the wfengine API.

A cliff application that talks to the server over HTTP only; it knows
nothing of the engine, the database or the API's code.
"""
