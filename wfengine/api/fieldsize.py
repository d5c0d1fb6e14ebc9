"""The size limit of stored fields, for what clients send.

``[engine] execution_field_size_limit_kb`` (Mistral's option) bounds every
field stored for an execution; the executor applies it to action results
(``wfengine.executor.fieldsize``), the API to what clients send: input,
params, variables, an asynchronous action's output.
"""
from wfengine import conf
from wfengine.conf import limits as conf_limits
from wfengine import exceptions
from wfengine import jsonsafe


def check(name, value):
    """Refuse a field stored as is (input, params, variables) over
    ``[engine] execution_field_size_limit_kb``.

    :raises InputError: naming the field and the limit.
    """
    limit = conf_limits.field_size_limit(conf.CONF)
    if limit is not None and jsonsafe.size_over(value, limit):
        raise exceptions.InputError(
            "Field %r is larger than the limit of %d KiB for stored fields "
            "([engine] execution_field_size_limit_kb)"
            % (name, limit // 1024))
