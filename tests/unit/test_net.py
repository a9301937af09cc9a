"""Redirect targets taken from ?next= or a form stay on this site."""

import pytest

from portal.core.net import local_path


@pytest.mark.parametrize("target", ["/", "/me", "/courses/?q=보고서", "/my/learning#x"])
def test_paths_on_this_site_are_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "me",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
    ],
)
def test_anything_else_is_refused(target):
    assert local_path(target) is None
