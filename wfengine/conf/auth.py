"""Authentication options: ``[api] auth_strategy`` and its modes' groups.

``[jwt]`` configures OpenID Connect bearer tokens; ``[keystone_authtoken]``
is keystonemiddleware's own group (registered by it) and ``[oslo_policy]``
oslo.policy's.
"""
from oslo_config import cfg

API_OPTS = [
    cfg.StrOpt("auth_strategy", default="noauth",
               choices=[("noauth", "no authentication: every request acts "
                                   "as the admin of the default project; "
                                   "for one user on one machine"),
                        ("keystone", "OpenStack Keystone tokens "
                                     "(X-Auth-Token) checked by "
                                     "keystonemiddleware, as Mistral does"),
                        ("jwt", "OpenID Connect bearer tokens checked "
                                "against the issuer's JWKS ([jwt])")],
               help="How the API authenticates requests."),
    cfg.BoolOpt("allow_noauth_on_network", default=False,
                help="Let the API serve with auth_strategy = noauth on an "
                     "address other than loopback. Without it the server "
                     "refuses to start: anyone who reaches the port could "
                     "read every environment and run any action."),
    cfg.StrOpt("callback_signing_key", secret=True,
               help="Key signing the tokens of asynchronous actions' "
                    "callback URLs (Mistral-Callback-URL); the same in "
                    "every process. Unset: a key generated once and kept "
                    "in the database."),
    cfg.ListOpt("callback_previous_keys", default=[], secret=True,
                help="Keys whose callback tokens are still accepted "
                     "after callback_signing_key changed: keep the old "
                     "key here for as long as actions started before "
                     "the change may call back, then remove it."),
]

JWT_GROUP = cfg.OptGroup("jwt", title="OpenID Connect bearer tokens "
                                      "(auth_strategy = jwt)")

JWT_OPTS = [
    cfg.URIOpt("jwks_url",
               help="URL of the issuer's JSON Web Key Set (for Keycloak: "
                    "<realm>/protocol/openid-connect/certs)."),
    cfg.StrOpt("issuer", help="Required value of the iss claim."),
    cfg.ListOpt("audience", default=[],
                help="Accepted values of the aud claim (one must match)."),
    cfg.ListOpt("algorithms", default=["RS256"],
                help="Signature algorithms accepted (asymmetric only: "
                     "RS*, PS*, ES*, EdDSA; 'none' and HS* are refused)."),
    cfg.StrOpt("project_claim", default="project_id",
               help="Claim holding the caller's project (a dotted path "
                    "reads into nested objects)."),
    cfg.StrOpt("user_claim", default="sub",
               help="Claim holding the caller's user id."),
    cfg.StrOpt("roles_claim", default="roles",
               help="Claim holding the caller's roles (a list, or a "
                    "comma-separated string; a dotted path such as "
                    "realm_access.roles reads into nested objects)."),
    cfg.StrOpt("default_project",
               help="Project of a token without the project claim; unset: "
                    "such a token is refused (401)."),
    cfg.IntOpt("leeway", default=30, min=0,
               help="Seconds of clock skew allowed on exp, nbf and iat."),
    cfg.IntOpt("jwks_cache_time", default=3600, min=0,
               help="Seconds a fetched key set is used before it is "
                    "fetched again."),
    cfg.IntOpt("jwks_min_refetch_interval", default=30, min=0,
               help="At most one fetch of the key set in this many "
                    "seconds for tokens signed by an unknown key (kid): "
                    "a rotated key is found, a flood of forged kids does "
                    "not hammer the issuer."),
    cfg.FloatOpt("jwks_timeout", default=5.0, min=0.1,
                 help="Seconds to wait for the key set."),
]


def register_opts(conf):
    conf.register_opts(API_OPTS, group="api")
    conf.register_group(JWT_GROUP)
    conf.register_opts(JWT_OPTS, group=JWT_GROUP)
