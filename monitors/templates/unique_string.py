"""ARM's ``uniqueString()``: 13 characters of a 64-bit MurmurHash of the arguments joined by ``-``. Pure.

Azure does not document the hash, so this follows the one public reimplementation that Microsoft ships and whose
values were checked against Bicep's own output: the ``unique_string`` function of Azure/terraform-provider-azapi (a
two-lane MurmurHash3-style 64-bit hash with seed 0 over the UTF-8 bytes, read as 13 base-32 digits from the top,
alphabet ``a-z2-7``). The tests hold its published values. ``guid()`` uses another, unreproduced algorithm and stays
unresolved.
"""

from __future__ import annotations

_MASK = 0xFFFFFFFF
_C1 = 0x239B961B
_C2 = 0xAB0E9789
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def unique_string(*values: str) -> str:
    """What ``uniqueString(values...)`` deploys as, e.g. ``unique_string('fu') == '6rkxbspxjmsho'``."""
    digest = _hash64("-".join(values).encode("utf-8"))
    return "".join(_ALPHABET[(digest << 5 * digit) >> 59 & 31] for digit in range(13))


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK


def _mix_low(word: int) -> int:
    return _rotl(word * _C1 & _MASK, 15) * _C2 & _MASK


def _mix_high(word: int) -> int:
    return _rotl(word * _C2 & _MASK, 17) * _C1 & _MASK


def _finish(value: int) -> int:
    value ^= value >> 16
    value = value * 0x85EBCA6B & _MASK
    value ^= value >> 13
    value = value * 0xC2B2AE35 & _MASK
    return value ^ (value >> 16)


def _hash64(data: bytes) -> int:
    low = high = 0
    whole = len(data) - len(data) % 8
    for at in range(0, whole, 8):
        low = (_rotl(low ^ _mix_low(int.from_bytes(data[at : at + 4], "little")), 19) + high) & _MASK
        low = (low * 5 + 0x561CCD1B) & _MASK
        high = (_rotl(high ^ _mix_high(int.from_bytes(data[at + 4 : at + 8], "little")), 13) + low) & _MASK
        high = (high * 5 + 0x0BCAA747) & _MASK
    tail = data[whole:]
    if tail:
        low ^= _mix_low(int.from_bytes(tail[:4], "little"))
        if len(tail) > 4:
            high ^= _mix_high(int.from_bytes(tail[4:], "little"))
    low ^= len(data) & _MASK
    high ^= len(data) & _MASK
    low = (low + high) & _MASK
    high = (high + low) & _MASK
    low, high = _finish(low), _finish(high)
    low = (low + high) & _MASK
    high = (high + low) & _MASK
    return high << 32 | low
