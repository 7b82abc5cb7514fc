"""The package exports exactly its documented public names."""

from __future__ import annotations

import redset
import redset.asyncio
import redset.errors


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in vars(redset) if not name.startswith("_")}
    submodules = {"asyncio", "codecs", "errors", "serializers"}
    assert redset.__all__ == sorted(redset.__all__)
    assert set(redset.__all__) == public - submodules


def test_async_module_mirrors_sync_class_names() -> None:
    sync_classes = {"SortedSet", "TimeSortedSet", "ScheduledSet"}
    assert sync_classes <= set(redset.asyncio.__all__)


def test_every_error_derives_from_root() -> None:
    for name in redset.errors.__all__:
        error = getattr(redset.errors, name)
        assert issubclass(error, redset.errors.RedsetError)
