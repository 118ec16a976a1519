"""Administrative units valid from 1/7/2025 (34 tỉnh, 3,321 xã/phường/đặc khu) from `vietnam-provinces`.

Thôn / tổ dân phố are not an administrative level: they are kept as normalised free text under a commune.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from vietnam_provinces import Province, Ward

_PREFIXES = re.compile(r"^(thanh pho|tinh|phuong|xa|dac khu|thi tran)\s+")
_WORDS = re.compile(r"[0-9a-z]+")
_HAMLET_PREFIX = re.compile(r"^(thon|to dan pho|tdp|to|khu pho|kp|ap|ban|buon|lang|khom|xom|khoi|doi)\b\.?\s*",
                            re.I)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return " ".join(_WORDS.findall("".join(c for c in text if unicodedata.category(c) != "Mn")))


@dataclass(frozen=True)
class Commune:
    code: int
    name: str
    province_code: int
    province_name: str

    @property
    def label(self) -> str:
        """How the commune is shown to a person: "Phường Hồng Bàng, Thành phố Hải Phòng"."""
        return f"{self.name}, {self.province_name}"


@lru_cache(maxsize=1)
def _provinces() -> dict[int, str]:
    return {int(p.code.value): p.name for p in Province.iter_all()}


@lru_cache(maxsize=1)
def _communes() -> tuple[tuple[Commune, str, str], ...]:
    provinces = _provinces()
    out = []
    for w in Ward.iter_all():
        pcode = int(w.province_code.value)
        commune = Commune(int(w.code.value), w.name, pcode, provinces[pcode])
        out.append((commune, _PREFIXES.sub("", _fold(w.name)), _PREFIXES.sub("", _fold(provinces[pcode]))))
    return tuple(out)


def province_name(code: int) -> str | None:
    """Name of a province by its code."""
    return _provinces().get(code)


def commune(code: int) -> Commune | None:
    """A commune by its code."""
    return _by_code().get(code)


@lru_cache(maxsize=1)
def _by_code() -> dict[int, Commune]:
    return {c.code: c for c, _, _ in _communes()}


def communes_of(province_code: int) -> list[Commune]:
    """Every commune of a province, in the package's order."""
    return [c for c, _, _ in _communes() if c.province_code == province_code]


def hamlet_key(text: str) -> str:
    """What two spellings of one thôn have in common ("thon 3", "Thôn  3"): for matching, never for showing."""
    return _fold(normalise_hamlet(text))


def find_communes(query: str, limit: int = 5) -> list[Commune]:
    """Communes matching what a person typed ("hong bang", "Hồng Bàng hải phòng"), best first.

    A full-name match beats a prefix match, which beats a partial one; words that name the province
    narrow the list.
    """
    folded = _fold(query)
    typed = _PREFIXES.match(folded)
    kind = typed.group(1) if typed and typed.group(1) in ("phuong", "xa", "dac khu") else None
    q = _PREFIXES.sub("", folded)
    if not q:
        return []
    scored: list[tuple[float, str, Commune]] = []
    for c, core, prov in _communes():
        rest = q
        in_province = False
        if prov and f" {prov} " in f" {q} " and q != prov:
            rest = f" {q} ".replace(f" {prov} ", " ").strip()
            in_province = True
        rest = _PREFIXES.sub("", rest)
        if not rest:
            continue
        if rest == core:
            score = 3.0
        elif core.startswith(rest + " ") or (len(rest) >= 3 and core.startswith(rest)):
            score = 2.0
        elif f" {rest} " in f" {core} ":
            score = 1.5
        else:
            continue
        if kind and _fold(c.name).startswith(kind + " "):
            score += 0.5  # the person wrote "xã" or "phường" themselves
        scored.append((score + (1.0 if in_province else 0.0), c.label, c))
    scored.sort(key=lambda t: (-t[0], t[1]))
    if scored and any(s >= 4.0 for s, _, _ in scored):
        scored = [t for t in scored if t[0] >= 4.0]
    if not scored:
        return _close_communes(q, limit)
    return [c for _, _, c in scored[:limit]]


FUZZY_CUTOFF = 88  # rapidfuzz ratio: one or two letters wrong or missing in a name of 8 or more


@lru_cache(maxsize=1)
def _fuzzy_names() -> tuple[list[str], list[Commune]]:
    names, owners = [], []
    for c, core, prov in _communes():
        names += [core, f"{core} {prov}"]
        owners += [c, c]
    return names, owners


def _close_communes(q: str, limit: int) -> list[Commune]:
    """Names typed with a slip ("hong bangg hai phong"): the closest, only when clearly close."""
    if len(q) < 4:
        return []
    names, owners = _fuzzy_names()
    found = process.extract(q, names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=limit * 4)
    best = max((score for _, score, _ in found), default=0.0)
    out: list[Commune] = []
    for _, score, i in sorted(found, key=lambda t: -t[1]):
        if score >= best - 3 and owners[i] not in out:
            out.append(owners[i])
    return out[:limit]


def normalise_hamlet(text: str) -> str:
    """A tidy thôn / tổ dân phố name: the usual prefix written out, spacing and capitals fixed."""
    text = " ".join(unicodedata.normalize("NFC", text).split()).strip(" .,")
    if not text:
        return ""
    folded = _fold(text)
    match = _HAMLET_PREFIX.match(folded)
    kinds = {"thon": "Thôn", "to dan pho": "Tổ dân phố", "tdp": "Tổ dân phố", "to": "Tổ", "khu pho": "Khu phố",
             "kp": "Khu phố", "ap": "Ấp", "ban": "Bản", "buon": "Buôn", "lang": "Làng", "khom": "Khóm",
             "xom": "Xóm", "khoi": "Khối", "doi": "Đội"}
    if match:
        kind = kinds[match.group(1)]
        # Cut the same number of words from the original text as the folded prefix had.
        n_words = len(match.group(0).split())
        rest = " ".join(w[:1].upper() + w[1:] for w in text.split()[n_words:])
        return f"{kind} {rest}".strip()
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def all_province_codes() -> list[int]:
    """Codes of the 34 provinces."""
    return list(_provinces())


@dataclass(frozen=True)
class Scope:
    """Cả nước (both None), one tỉnh, or one xã/phường."""

    province_code: int | None = None
    ward_code: int | None = None

    @classmethod
    def parse(cls, code: str) -> Scope:
        """"VN" for the whole country, "P31" for a province, "X11311" for a commune."""
        code = code.strip().upper()
        if code in ("", "VN"):
            return cls()
        if code[0] == "P" and code[1:].isdigit() and province_name(int(code[1:])):
            return cls(province_code=int(code[1:]))
        if code[0] == "X" and code[1:].isdigit() and (c := commune(int(code[1:]))) is not None:
            return cls(province_code=c.province_code, ward_code=c.code)
        raise ValueError(f"unknown unit code {code!r} (use VN, P<province code> or X<commune code>)")

    @property
    def code(self) -> str:
        if self.ward_code is not None:
            return f"X{self.ward_code}"
        if self.province_code is not None:
            return f"P{self.province_code}"
        return "VN"

    @property
    def name(self) -> str:
        if self.ward_code is not None:
            c = commune(self.ward_code)
            return c.label if c else str(self.ward_code)
        if self.province_code is not None:
            return province_name(self.province_code) or str(self.province_code)
        return "Cả nước"

    def contains(self, province_code: int | None, ward_code: int | None) -> bool:
        if self.ward_code is not None:
            return ward_code == self.ward_code
        if self.province_code is not None:
            return province_code == self.province_code
        return province_code is not None
