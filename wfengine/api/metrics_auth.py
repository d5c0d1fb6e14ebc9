"""``/metrics`` behind the API's authentication, when the operator asks
for it (``[monitoring] metrics_require_auth``).

Placed behind the authentication middleware (``api.auth``): a request
without valid credentials got its 401 there; here the caller must pass
the policy rule ``metrics:get`` (administrators by default), or gets a
403 naming the rule. The probes (``/healthz``, ``/readyz``) never come
here: they are answered, open, in front of everything.
"""
from wfengine.api import context
from wfengine.api import errors
from wfengine.api import policy
from wfengine import exceptions
from wfengine.ops import endpoints

PATH = "/metrics"


class ProtectedMetrics:
    """Answers an authenticated ``/metrics``; passes everything else."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").rstrip("/") != PATH or \
                not required(self.conf):
            return self.app(environ, start_response)
        try:
            policy.enforce(policy.METRICS_RULE.name,
                           environ.get(context.ENVIRON_KEY))
        except exceptions.Forbidden as e:
            errors.log_error(403, str(e), None)
            return errors.fault_response(403, str(e))(environ,
                                                      start_response)
        return endpoints.serve(self.conf, environ, start_response)


def required(conf):
    """True if ``/metrics`` on the API's port wants credentials."""
    return conf.monitoring.api_endpoints and \
        conf.monitoring.metrics_require_auth
