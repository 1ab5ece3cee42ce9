"""The ``augment`` command."""

from __future__ import annotations

import augment as A
from augment.cli import main


def test_ops_lists_every_operator(capsys):
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    for name in A.OPERATORS:
        assert f"{name}(" in out


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: augment" in capsys.readouterr().out
