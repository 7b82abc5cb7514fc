"""The package exports exactly its documented public names."""

from __future__ import annotations

import redset
import redset.asyncio
import redset.codecs
import redset.errors
from redset._core import SetCore


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in vars(redset) if not name.startswith("_")}
    submodules = {"asyncio", "codecs", "errors", "serializers"}
    assert redset.__all__ == sorted(redset.__all__)
    assert set(redset.__all__) == public - submodules


def test_codecs_all_lists_public_codecs() -> None:
    expected = [
        "BytesCodec",
        "Codec",
        "DataclassCodec",
        "JsonCodec",
        "MsgpackCodec",
        "PydanticCodec",
        "Serializer",
        "SerializerCodec",
        "TextCodec",
    ]
    assert redset.codecs.__all__ == expected
    for name in expected:
        assert hasattr(redset.codecs, name), name


def test_async_module_mirrors_sync_classes() -> None:
    sync_classes = {
        name
        for name in redset.__all__
        if isinstance(getattr(redset, name), type)
        and issubclass(getattr(redset, name), SetCore)
    }
    assert "ExpiringSet" in sync_classes
    assert redset.asyncio.__all__ == sorted(sync_classes)
    for name in sync_classes:
        async_class = getattr(redset.asyncio, name)
        assert issubclass(async_class, SetCore), name
        assert async_class.is_async, name


def test_every_error_derives_from_root() -> None:
    for name in redset.errors.__all__:
        error = getattr(redset.errors, name)
        assert issubclass(error, redset.errors.RedsetError)
