"""Sphinx configuration of wfengine's documentation.

Build with ``tox -e docs`` (warnings are errors). The API reference is
generated from the OpenAPI document before each build.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, os.pardir, "tools"))

import api_reference  # noqa: E402

api_reference.main([os.path.join(HERE, "api-reference.rst")])

project = "wfengine"
copyright = "wfengine contributors"
extensions = []
master_doc = "index"
exclude_patterns = []
html_theme = "alabaster"
html_static_path = []
