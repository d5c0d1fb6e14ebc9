"""Deployments with authentication: ready when the version root answers
(every other path wants credentials)."""
import requests

from tests.functional import harness


class Deployment(harness.Deployment):
    """A :class:`harness.Deployment` whose API authenticates."""

    @property
    def root(self):
        return self.url.rsplit("/v2", 1)[0] + "/"

    def wait_for_api(self, timeout=60):
        harness.wait_until(lambda: _answers(self.root), timeout,
                           "GET %s to answer 200" % self.root)


def _answers(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
