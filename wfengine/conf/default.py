"""``[DEFAULT]`` options of wfengine itself (logging: ``conf.log``)."""
from wfengine.conf import log

OPTS = log.list_opts()


def register_opts(conf):
    log.register_opts(conf)
