"""Administrative units (2025) and thôn / tổ dân phố names: pure lookups, no servers."""

from __future__ import annotations

import pytest

from storage.units import commune, find_communes, normalise_hamlet


@pytest.mark.parametrize("typed", ["hong bang", "Hồng Bàng", "phuong hong bang", "Hồng Bàng, Hải Phòng"])
def test_hong_bang_is_found_with_or_without_diacritics(typed: str) -> None:
    found = find_communes(typed)
    assert [c.label for c in found] == ["Phường Hồng Bàng, Thành phố Hải Phòng"]


def test_ambiguous_names_offer_several_and_the_province_narrows() -> None:
    many = find_communes("tan phu")
    assert len(many) == 5 and len({c.province_code for c in many}) == 5
    narrowed = find_communes("tan phu dong nai")
    assert len(narrowed) == 1 and "Đồng Nai" in narrowed[0].label
    assert find_communes("xa an binh")[0].name.startswith("Xã")


def test_unknown_and_lookup_by_code() -> None:
    assert find_communes("khong co xa nao ten nay") == [] and find_communes("  ") == []
    c = find_communes("hoan kiem")[0]
    assert commune(c.code) == c and commune(-1) is None


@pytest.mark.parametrize("typed,expected", [
    ("thon 3", "Thôn 3"), ("tổ dân phố số 5", "Tổ dân phố Số 5"), ("  xóm   đông ", "Xóm Đông"),
    ("tdp 12", "Tổ dân phố 12"), ("Ấp Tân Lợi", "Ấp Tân Lợi"), ("làng vạc", "Làng Vạc"), ("", ""),
])
def test_hamlet_names_are_normalised(typed: str, expected: str) -> None:
    assert normalise_hamlet(typed) == expected
