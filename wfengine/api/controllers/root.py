"""``GET /``: the API versions, as Mistral lists them."""
from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import root as v2_root
from wfengine.api.expose import expose
from wfengine.api import wstypes


def versions_document(base):
    """Mistral's versions document for the API at ``base``."""
    return {"versions": [{
        "id": "v2.0",
        "status": "CURRENT",
        "links": [{"href": "%s/v2" % base, "target": "v2", "rel": "self"}],
    }]}


class RootController:
    """The application root: the versions, and ``/v2``."""

    v2 = v2_root.V2Controller()

    @expose(wstypes.Versions)
    def index(self):
        """GET / -> the versions document."""
        common.only("GET", "HEAD")
        return versions_document(common.base_url())
