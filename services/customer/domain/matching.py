"""Is this legacy record the same person as that one? A score from 0 to 1 with the reasons.

Rules, in order:
1. The same valid ID-card number is the same person (score 1).
2. Two different valid ID-card numbers are never the same person, whatever else agrees (score 0).
3. Otherwise the evidence adds up: the name (exact, or one character typed wrong), a shared phone
   (a mobile belongs to one person; a landline is shared by a household, so it weighs less) and
   the address (equal, or nearly equal after normalization).
4. A different name caps the score below REVIEW: family members share phones and addresses and
   must stay apart.

score >= AUTO_LINK links the records to one customer; REVIEW <= score < AUTO_LINK keeps them apart
and puts the pair in the review queue for a clerk; below REVIEW they are different people.
"""
from __future__ import annotations

from dataclasses import dataclass

AUTO_LINK = 0.90
REVIEW = 0.60

NAME_EXACT = 0.55
NAME_ONE_EDIT = 0.45
MOBILE_SHARED = 0.45
LANDLINE_SHARED = 0.35
ADDRESS_EQUAL = 0.30
ADDRESS_SIMILAR = 0.15
ADDRESS_SIMILARITY_MIN = 0.8
DIFFERENT_NAME_CAP = 0.50


@dataclass(frozen=True)
class Identity:
    """What a legacy record or a customer says about a person, already normalized."""
    name: str | None
    id_no: str | None = None
    phones: frozenset[str] = frozenset()   # normalized; landlines start with 0
    address: str | None = None


def one_edit_apart(a: str, b: str) -> bool:
    """True when one substitution, insertion or deletion turns a into b (and a != b)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def address_similarity(a: str, b: str) -> float:
    """Dice coefficient over character bigrams: robust to one missing or extra segment."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y))


def score(a: Identity, b: Identity) -> tuple[float, list[str]]:
    if a.id_no and b.id_no:
        return (1.0, ["same_id_no"]) if a.id_no == b.id_no else (0.0, ["different_id_no"])
    total, reasons = 0.0, []
    same_name = False
    if a.name and b.name and a.name == b.name:
        total, same_name = NAME_EXACT, True
        reasons.append("name_exact")
    elif a.name and b.name and one_edit_apart(a.name, b.name):
        total, same_name = NAME_ONE_EDIT, True
        reasons.append("name_one_edit")
    else:
        reasons.append("name_different")
    shared = a.phones & b.phones
    if any(not p.startswith("0") for p in shared):
        total += MOBILE_SHARED
        reasons.append("mobile_shared")
    elif shared:
        total += LANDLINE_SHARED
        reasons.append("landline_shared")
    if a.address and b.address:
        if a.address == b.address:
            total += ADDRESS_EQUAL
            reasons.append("address_equal")
        elif address_similarity(a.address, b.address) >= ADDRESS_SIMILARITY_MIN:
            total += ADDRESS_SIMILAR
            reasons.append("address_similar")
    if not same_name:
        total = min(total, DIFFERENT_NAME_CAP)
    return round(min(total, 1.0), 4), reasons


def decide(value: float) -> str:
    """link | review | apart for a score."""
    return "link" if value >= AUTO_LINK else "review" if value >= REVIEW else "apart"
