"""The size limit of stored fields counts the JSON text a column stores."""
import json

import pytest

from wfengine.core import fieldsize
from wfengine import exceptions


@pytest.fixture
def limit():
    def set_limit(n):
        fieldsize.configure(n)
    yield set_limit
    fieldsize.configure(1024 * 1024)


def _stored(value):
    # What SQLAlchemy's JSON type writes (json.dumps with its defaults).
    return len(json.dumps(value).encode())


@pytest.mark.parametrize("value", [
    "x" * 98,
    "é" * 16,                 # 1 character, 6 bytes as JSON (\u00e9)
    "\U0001F600" * 8,         # 1 character, 12 bytes (a surrogate pair)
    'a"b\\c\n' * 14,          # escapes
    {"k": [1, 2.5, None, True, False, "v"]},
    [10 ** 40, -3, 1e-300],
    {"a": {"b": {"c": [[], {}, ""]}}},
])
def test_a_value_fits_exactly_at_its_json_size_and_not_one_byte_under(
        limit, value):
    size = _stored(value)
    assert fieldsize.stored_size(value) == size
    limit(size)
    assert fieldsize.size_over(value) is None
    fieldsize.check("field 'x'", value)
    limit(size - 1)
    assert fieldsize.size_over(value) is not None
    with pytest.raises(exceptions.FieldSizeLimitExceeded):
        fieldsize.check("field 'x'", value)


def test_characters_are_not_bytes(limit):
    # 200 characters, but 1,202 bytes as stored: over a 1 KiB limit.
    limit(1024)
    assert fieldsize.size_over("é" * 200) == 1202


def test_the_message_starts_with_mistrals_words_and_names_the_limit(limit):
    limit(1024)
    with pytest.raises(exceptions.FieldSizeLimitExceeded) as caught:
        fieldsize.check(fieldsize.TASK_PUBLISHED, {"v": "secret" * 400})
    message = str(caught.value)
    assert message.startswith("Field size limit exceeded: ")
    assert "published" in message
    assert "limit of 1 KiB ([engine] execution_field_size_limit_kb)" in message
    assert "secret" not in message
    assert caught.value.http_code == 400


def test_no_limit(limit):
    limit(None)
    assert fieldsize.size_over("x" * 5000000) is None


def test_the_count_stops_at_the_limit(limit):
    limit(1000)
    huge = [["x" * 100] * 1000] * 10000     # a billion bytes as JSON
    assert 1000 < fieldsize.size_over(huge) <= 1000 + 200
