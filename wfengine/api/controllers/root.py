"""``GET /``: the API versions, as Mistral lists them."""
import pecan

from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import root as v2_root


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

    @pecan.expose("json")
    def index(self):
        """GET / -> the versions document."""
        common.only("GET", "HEAD")
        return versions_document(common.base_url())
