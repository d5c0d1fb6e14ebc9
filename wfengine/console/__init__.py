"""The operations console: HTML pages under ``/console``.

Server-rendered with Jinja2; htmx (vendored in ``static/``) swaps the
parts of a page that change. Every read and every action goes through the
REST API's own WSGI application with the browser's credentials
(:mod:`wfengine.console.apiclient`), so the API's rules (validation,
authentication, projects) are the console's rules. The console imports
neither the database nor the engine (an import contract checks it).
"""
