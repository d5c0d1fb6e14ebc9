"""The Mistral v2 workflow language: YAML text -> validated specs.

Use ``from wfengine.lang import parser, spec``:

* :func:`wfengine.lang.parser.parse_workflows` parses and validates a
  workflow file into :class:`wfengine.lang.spec.WorkflowSpec` objects;
* :func:`wfengine.lang.parser.validate_workflows` lists its problems;
* ``WorkflowSpec.to_dict()`` / ``WorkflowSpec.from_dict()`` store and
  rebuild a spec without re-validating it.

This package is pure: no database, RPC or configuration access. It does
not import its submodules eagerly, so that :mod:`wfengine.expressions`
can use :mod:`wfengine.lang.safe_yaml` without an import cycle.
"""
