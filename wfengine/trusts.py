"""Keystone trusts: how a cron trigger acts for its creator later.

In keystone mode (``[api] auth_strategy = keystone``), as in Mistral:

* creating a cron trigger creates a trust from its creator (the trustor,
  with the creator's own token) to the service user of
  ``[keystone_authtoken]`` (the trustee), with impersonation, on the
  creator's project and with the creator's roles;
* when the trigger fires, the engine authenticates as the service user
  scoped to that trust: Keystone answers with a token of the creator in
  the creator's project, and the execution starts as them. A trust that
  no longer works (deleted, the creator disabled or stripped of the
  roles) refuses the firing;
* deleting the trigger (or its last firing) deletes the trust.

The service user is configured with keystonemiddleware's own options
(``[keystone_authtoken] auth_type``, ``auth_url``, ``username``,
``password``, ...), which keystoneauth1 loads.
"""
import dataclasses
import logging

from wfengine import exceptions

LOG = logging.getLogger(__name__)

GROUP = "keystone_authtoken"
# The options that scope the service user to a project or domain: a
# trust-scoped authentication must not carry them.
_UNSCOPED = dict(project_id=None, project_name=None, project_domain_id=None,
                 project_domain_name=None, domain_id=None, domain_name=None)


class TrustError(exceptions.WFEngineException):
    """A trust operation failed (the message names which): 403 when
    Keystone refused it, 503 when Keystone could not be reached or the
    service user is not configured."""

    http_code = 503


@dataclasses.dataclass(frozen=True)
class Acting:
    """Who a trust lets the engine act as."""

    user_id: str
    project_id: str


def enabled(conf):
    """True if cron triggers work through trusts (keystone mode)."""
    return conf.api.auth_strategy == "keystone"


def _register(conf):
    from keystoneauth1 import loading
    from keystonemiddleware.auth_token import _opts
    conf.register_opts(_opts._OPTS, group=GROUP)
    loading.register_auth_conf_options(conf, GROUP)


def _session(conf, auth):
    """A keystoneauth1 session with keystonemiddleware's TLS options."""
    from keystoneauth1 import session as ks_session
    opts = conf[GROUP]
    verify = False if opts.insecure else (opts.cafile or True)
    cert = (opts.certfile, opts.keyfile) \
        if opts.certfile and opts.keyfile else None
    return ks_session.Session(auth=auth, verify=verify, cert=cert,
                              timeout=opts.http_connect_timeout)


def _service_session(conf, **overrides):
    """A keystoneauth1 session of the service user."""
    from keystoneauth1 import loading
    _register(conf)
    auth = _keystone_call(
        "load the service user of [keystone_authtoken]",
        lambda: loading.load_auth_from_conf_options(conf, GROUP,
                                                    **overrides))
    if auth is None:
        raise TrustError("[keystone_authtoken] auth_type is not set: the "
                         "service user that trusts are given to is unknown")
    return _session(conf, auth)


def _identity_url(conf):
    _register(conf)
    url = (getattr(conf[GROUP], "auth_url", None)
           or conf[GROUP].www_authenticate_uri or "").rstrip("/")
    if not url:
        raise TrustError("[keystone_authtoken] auth_url is not set")
    return url if url.endswith("/v3") else url + "/v3"


def _keystone_call(what, call):
    from keystoneauth1 import exceptions as ks_exc
    try:
        return call()
    except ks_exc.HttpError as e:
        # keystoneauth's message names the status, never a credential.
        error = TrustError("Keystone refused to %s: %s" % (what, e))
        error.http_code = 403 if 400 <= (e.http_status or 0) < 500 else 503
        raise error from e
    except ks_exc.ClientException as e:
        raise TrustError("Could not %s in Keystone: %s" % (what, e)) from e


def create(conf, ctx):
    """A trust from the caller ``ctx`` (an ``api.context.RequestContext``
    with its Keystone token) to the service user; returns its id.

    :raises TrustError: Keystone refused it.
    """
    from keystoneauth1 import token_endpoint
    trustee = _keystone_call("authenticate the service user",
                             _service_session(conf).get_user_id)
    url = _identity_url(conf)
    caller = _session(conf, token_endpoint.Token(url, ctx.auth_token))
    body = {"trust": {"trustor_user_id": ctx.user_id,
                      "trustee_user_id": trustee,
                      "project_id": ctx.project_id,
                      "impersonation": True,
                      "roles": [{"name": r} for r in ctx.roles]}}
    resp = _keystone_call("create a trust", lambda: caller.post(
        url + "/OS-TRUST/trusts", json=body))
    trust_id = resp.json()["trust"]["id"]
    LOG.info("Created Keystone trust %s from user %s in project %s",
             trust_id, ctx.user_id, ctx.project_id)
    return trust_id


def _trust_session(conf, trust_id):
    return _service_session(conf, trust_id=trust_id, **_UNSCOPED)


def act_as(conf, trust_id):
    """Authenticate with the trust: whom it lets the engine act as.

    :raises TrustError: the trust no longer works.
    """
    sess = _trust_session(conf, trust_id)
    return Acting(
        _keystone_call("authenticate with trust %s" % trust_id,
                       sess.get_user_id),
        _keystone_call("authenticate with trust %s" % trust_id,
                       sess.get_project_id))


def acting_for(conf, trigger):
    """``(project, user)`` a trigger's firing acts as: its trust's in
    keystone mode, else its creator's recorded on the trigger (a cron or
    an event trigger: ``project_id``, ``user_id``, ``trust_id``).

    :raises TrustError: the trust no longer works, or is scoped to
        another project than the trigger's.
    """
    if not (trigger.trust_id and conf is not None and enabled(conf)):
        return trigger.project_id, trigger.user_id
    acting = act_as(conf, trigger.trust_id)
    if acting.project_id != trigger.project_id:
        raise TrustError(
            "trust %s is scoped to another project than the "
            "trigger's" % trigger.trust_id)
    return acting.project_id, acting.user_id


def delete(conf, trust_id):
    """Delete a trust, as Mistral does: authenticated with the trust
    itself (the token is the trustor's, who may delete it). A failure is
    logged, never raised: the trigger is gone either way."""
    if not trust_id:
        return
    try:
        sess = _trust_session(conf, trust_id)
        _keystone_call("delete trust %s" % trust_id, lambda: sess.delete(
            _identity_url(conf) + "/OS-TRUST/trusts/" + trust_id))
        LOG.info("Deleted Keystone trust %s", trust_id)
    except TrustError as e:
        LOG.warning("%s", e)
