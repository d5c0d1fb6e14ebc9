"""Secrets of the env never reach a page."""
from wfengine.console import masking

ENV = {"token": "CANARY-123", "nested": {"pw": "hunter22"}, "n": 987654,
       "short": "ab", "flag": True}


def test_every_env_value_is_hidden_and_keys_stay():
    assert masking.masked_env(ENV) == {
        "token": "***", "nested": {"pw": "***"}, "n": "***",
        "short": "***", "flag": "***"}
    assert masking.masked_env('{"a": "b"}') == {"a": "***"}


def test_env_values_are_masked_wherever_they_appear():
    masker = masking.Masker(masking.secret_values(ENV))
    assert masker.text("Bearer CANARY-123 failed") == "Bearer *** failed"
    shown = masker.data({"result": ["x hunter22 y", 987654, 12],
                         "ok": "ab"})
    assert shown == {"result": ["x *** y", "***", 12], "ok": "ab"}
    assert masker.data('{"v": "CANARY-123"}') == {"v": "***"}


def test_keys_that_name_a_secret_are_masked():
    masker = masking.Masker()
    assert masker.data({"password": "x", "api_key": 1, "name": "n",
                        "Token": None}) == {
        "password": "***", "api_key": "***", "name": "n", "Token": None}


def test_urls_lose_user_info_and_query_values():
    assert masking.url("https://u:p@h.example:8443/a?key=s3&x=1") == \
        "https://***@h.example:8443/a?key=***&x=***"
    assert masking.url("http://h/hook") == "http://h/hook"


def test_url_secrets_are_found_for_masking_messages():
    assert masking.url_secrets("http://user:pa55w0rd@h/x?key=abcd&n=1") \
        == ["abcd", "user", "pa55w0rd"]
