"""Atomic file writes shared by the store and the report writers."""

from __future__ import annotations

import pytest

from hedgekit._files import atomic_path, atomic_write_bytes


def test_atomic_write_creates_folder_and_replaces_content(tmp_path):
    target = tmp_path / "new" / "report.html"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_failure_inside_the_block_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "catalog.json"
    target.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.json"]
