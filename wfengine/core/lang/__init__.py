"""The Mistral v2 workflow language: YAML text -> validated specs.

Use ``from wfengine.core.lang import parser, spec``:

* :func:`wfengine.core.lang.parser.parse_workflows` parses and validates a
  workflow file into :class:`wfengine.core.lang.spec.WorkflowSpec` objects;
* :func:`wfengine.core.lang.parser.validate_workflows` lists its problems;
* ``WorkflowSpec.to_dict()`` / ``WorkflowSpec.from_dict()`` store and
  rebuild a spec without re-validating it.

This package is pure: no database, RPC or configuration access. YAML text
is loaded by the leaf module :mod:`wfengine.core.yamlsafe`, which
:mod:`wfengine.core.expressions` uses too: expressions never import this
package back.
"""
