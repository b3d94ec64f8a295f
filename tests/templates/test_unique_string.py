"""uniqueString() against the values Microsoft publishes for it.

The expected values are the test cases of the ``unique_string`` function in Azure/terraform-provider-azapi
(``internal/services/functions/unique_string_function_test.go``, Microsoft's Terraform provider, MPL-2.0), whose
author checked them against Bicep's own ``output value string = uniqueString(...)``. They cover every tail length the
hash treats differently (2, 5, 6 and 7 bytes after the last whole 8-byte block).
"""

from __future__ import annotations

import pytest

from monitors.templates.unique_string import unique_string


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        (("/subscriptions/00000000-0000-0000-0000-000000000000", "resource-id"), "cwvxuqg24sifi"),
        (("fu",), "6rkxbspxjmsho"),
        (("fubar",), "cj2xpqsiwjfne"),
        (("fu", "bar"), "q5wxoscxs5j6k"),
    ],
)
def test_published_values(seed: tuple[str, ...], expected: str) -> None:
    assert unique_string(*seed) == expected


def test_shape_and_separator() -> None:
    names = {unique_string(f"/subscriptions/s/resourceGroups/rg-{n}") for n in range(500)}
    assert len(names) == 500
    assert all(len(name) == 13 and set(name) <= set("abcdefghijklmnopqrstuvwxyz234567") for name in names)
    assert unique_string("fu", "bar") == unique_string("fu-bar")  # arguments are joined by '-' before hashing
    assert unique_string("Fu") != unique_string("fu")  # case matters
