"""etc/wfengine.conf.sample is what oslo-config-generator makes today."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_sample_config_is_current(tmp_path):
    out = tmp_path / "wfengine.conf.sample"
    subprocess.run(
        [sys.executable, "-m", "oslo_config.generator", "--config-file",
         str(ROOT / "etc" / "oslo-config-generator" / "wfengine.conf"),
         "--output-file", str(out)],
        check=True, cwd=ROOT, capture_output=True)
    current = (ROOT / "etc" / "wfengine.conf.sample").read_text()
    assert out.read_text() == current, (
        "etc/wfengine.conf.sample is stale: run 'tox -e genconfig'")
