"""Names as a host compares them (the ban of a removed guest, issue 10 row 5)."""

from __future__ import annotations

import pytest

from signaling.domain.names import name_key


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Nguyễn Văn An", "nguyen van an", True),
        ("Đỗ Thị Hà", "do thi ha", True),
        ("  Lê   Minh ", "LÊ MINH", True),
        ("Ｔｒầｎ", "tran", True),  # full-width compatibility letters
        ("Nguyễn Văn An", "Nguyễn Văn Anh", False),
        ("Lê Minh", "Lê Mình Hải", False),
    ],
)
def test_names_compare_without_case_accents_or_spacing(one: str, other: str, same: bool) -> None:
    assert (name_key(one) == name_key(other)) is same
