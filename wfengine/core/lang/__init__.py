"""The Mistral v2 workflow language: YAML text -> validated specs.

Use ``from wfengine.lang import parser, spec``:

* :func:`wfengine.lang.parser.parse_workflows` parses and validates a
  workflow file into :class:`wfengine.lang.spec.WorkflowSpec` objects;
* :func:`wfengine.lang.parser.validate_workflows` lists its problems;
* ``WorkflowSpec.to_dict()`` / ``WorkflowSpec.from_dict()`` store and
  rebuild a spec without re-validating it.

This package is pure: no database, RPC or configuration access. YAML text
is loaded by the leaf module :mod:`wfengine.yamlsafe`, which
:mod:`wfengine.expressions` uses too: expressions never import this
package back.
"""
