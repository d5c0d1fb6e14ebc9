"""wfengine: a workflow engine speaking OpenStack Mistral's v2 API."""
from oslo_service import backend as _oslo_service_backend

# oslo.messaging imports oslo.service, whose default backend is eventlet.
# wfengine runs on plain threads: choose that before anything imports
# oslo.messaging, so eventlet is neither imported nor half-patched.
_oslo_service_backend.register_backend_default_hook(
    lambda: _oslo_service_backend.BackendType.THREADING)
