"""The pure part of wfengine: the workflow language, expressions and the
engine's decisions.

What this package computes depends only on what it is handed: it reads no
database, sends no message and reads no configuration (the limits it
applies to expressions, YAML documents and stored fields are handed in
through ``configure()`` by ``wfengine.conf``). The decisions read no clock either;
only an expression's own deadline does. The services (``wfengine.engine``,
``wfengine.api``, ...) load, call in here and persist what comes out.

* :mod:`.lang`: YAML text -> validated workflow specs;
* :mod:`.expressions`: YAQL and Jinja2, evaluated within bounds;
* :mod:`.engine`: the state tables, the conductor and the records it emits;
* :mod:`.yamlsafe`, :mod:`.jsonsafe`, :mod:`.fieldsize`: bounded loading
  and measuring of untrusted documents.

Outside itself it may import only the leaves ``wfengine.exceptions``,
``wfengine.state_names`` and ``wfengine.metrics``. The ``pure-core``
import contract (setup.cfg) has the whole package as its source and
forbids it every other module of ``wfengine``, so a module added here is
checked as it lands.
"""
