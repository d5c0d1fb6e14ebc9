"""The inline ``name key=value`` syntax."""

import pytest

from wfengine.core.lang import inline


@pytest.mark.parametrize("text, name, params", [
    ("std.noop", "std.noop", {}),
    ("  std.echo   output=hi  ", "std.echo", {"output": "hi"}),
    ('std.echo output="hi there"', "std.echo", {"output": "hi there"}),
    ("std.echo output='hi there'", "std.echo", {"output": "hi there"}),
    ('x s="a \\"q\\" b"', "x", {"s": 'a "q" b'}),
    ("x n=1 f=1.5 t=true z=null", "x", {"n": 1, "f": 1.5, "t": True,
                                          "z": None}),
    ("x l=[1, 2] d={\"k\": 1} y={k: v}", "x",
     {"l": [1, 2], "d": {"k": 1}, "y": {"k": "v"}}),
    ("x e=<% $.a + 1 %> j={{ _.b }}", "x",
     {"e": "<% $.a + 1 %>", "j": "{{ _.b }}"}),
    ("x url=http://h/p?a=b", "x", {"url": "http://h/p?a=b"}),
    ("<% $.name %> p=1", "<% $.name %>", {"p": 1}),
    ('fail msg="boom"', "fail", {"msg": "boom"}),
    ("x word=yes", "x", {"word": "yes"}),
])
def test_split_call(text, name, params):
    assert inline.split_call(text) == (name, params)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("x y", "expected key=value at 'y'"),
    ('x a="open', "unterminated quoted string"),
    ("x a=<% $.x", "unterminated expression"),
    ("x a=[1, 2", "unbalanced brackets"),
    ("x a=1 a=2", "given twice"),
])
def test_split_call_errors(text, message):
    with pytest.raises(inline.InlineError) as info:
        inline.split_call(text)
    assert message in str(info.value)
