"""Resident identity numbers (居民身份证号码, GB 11643) for demo and generated people, made and
checked with python-stdnum: region code, birth date, order code, check digit."""

from __future__ import annotations

import functools
from datetime import date
from random import Random

from stdnum.cn import ric

from demo.places import DEVELOPMENT_AREA_CODE, DISTRICT_CODES


def resident_id_number(region_code: str, birth_date: date, sequence: int, sex: str) -> str:
    """The number of the `sequence`-th person (0..499) of that sex born on that day in that region.

    The order code is odd for men and even for women. Raises ValueError when the region code was
    not assigned in the birth year (python-stdnum checks that), so callers pick a fitting one.
    """
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError(f"not an administrative division code: {region_code!r}")
    if not 0 <= sequence < 500:
        raise ValueError(f"the sequence must be 0 to 499, not {sequence}")
    body = f"{region_code}{birth_date:%Y%m%d}{sequence * 2 + (sex == 'male'):03d}"
    # calc_check_digit takes the full number and ignores its last character.
    return ric.validate(body + ric.calc_check_digit(body + "0"))  # stdnum's errors are ValueErrors


@functools.cache
def region_code_in_use(code: str, year: int) -> bool:
    """Whether the region code was assigned in that year (a number of someone born then may carry it)."""
    probe = f"{code}{year}0101001"
    return ric.is_valid(probe + ric.calc_check_digit(probe + "0"))


# Codes in use since before anyone alive was born (the others date from 1986-2015).
OLD_CODES = tuple(code for code in DISTRICT_CODES.values() if region_code_in_use(code, 1920))


def birth_region_code(rng: Random, home_district: str, birth_date: date) -> str:
    """The region code in a person's number: usually their home district's, else an older one."""
    code = DISTRICT_CODES.get(home_district, DEVELOPMENT_AREA_CODE)
    if rng.random() < 0.2:
        code = rng.choice(sorted(DISTRICT_CODES.values()))
    if region_code_in_use(code, birth_date.year):
        return code
    return rng.choice(OLD_CODES)
