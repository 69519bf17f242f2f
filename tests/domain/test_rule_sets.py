"""Versioned rule sets and working days: figures by effective date, never constants in code."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from timebank.domain.rules import DEFAULT_RULES, RuleBook, RuleSet, WeekdayCalendar, add_working_days

OLD = RuleSet("beijing-2021", date(2021, 3, 1))
NEW = RuleSet("beijing-2027", date(2027, 1, 1), credit_minutes_per_service_hour=90, recording_deadline_working_days=5)


class TestRuleBook:
    def test_the_version_in_force_is_the_latest_one_that_has_taken_effect(self) -> None:
        book = RuleBook((NEW, OLD))  # order of declaration does not matter
        assert book.in_force(date(2021, 3, 1)) is OLD
        assert book.in_force(date(2026, 12, 31)) is OLD
        assert book.in_force(date(2027, 1, 1)) is NEW
        assert book.in_force(date(2030, 6, 1)) is NEW

    def test_no_version_is_in_force_before_the_first_one(self) -> None:
        with pytest.raises(ValueError, match="2021-02-28"):
            RuleBook((OLD, NEW)).in_force(date(2021, 2, 28))

    def test_versions_are_found_by_name(self) -> None:
        book = RuleBook((OLD, NEW))
        assert book.by_version("beijing-2027") is NEW
        with pytest.raises(KeyError):
            book.by_version("nope")

    def test_a_book_needs_versions_with_distinct_names(self) -> None:
        with pytest.raises(ValueError):
            RuleBook(())
        with pytest.raises(ValueError, match="distinct"):
            RuleBook((OLD, RuleSet("beijing-2021", date(2027, 1, 1))))

    def test_the_defaults_are_the_figures_of_the_domain(self) -> None:
        rules = RuleBook().in_force(date(2026, 11, 18))
        assert rules == DEFAULT_RULES[-1]
        assert (rules.credit_minutes_per_service_hour, rules.recording_deadline_working_days) == (60, 10)
        assert (rules.min_registration_age, rules.guardian_consent_below_age) == (14, 18)
        assert (rules.auto_check_out_after_hours, rules.max_service_minutes_per_day) == (24, 960)

    def test_both_star_threshold_sets_ship_as_versions_by_effective_date(self) -> None:
        book = RuleBook()
        trial, current = book.in_force(date(2020, 6, 1)), book.in_force(date(2026, 11, 18))
        assert (trial.version, trial.star_level_thresholds_hours) == ("beijing-trial", (100, 200, 500, 800, 1000))
        assert (current.version, current.star_level_thresholds_hours) == ("beijing-2021", (100, 300, 600, 1000, 1500))
        assert set(current.star_excluded_categories) == {"community_staff_routine", "school_practice", "donation"}
        assert current.five_star_notice_working_days == 5

    def test_star_thresholds_must_be_five_increasing_hours_and_the_notice_at_least_five_days(self) -> None:
        with pytest.raises(ValueError, match="five increasing"):
            RuleSet("x", date(2021, 1, 1), star_level_thresholds_hours=(100, 300, 200, 1000, 1500))
        with pytest.raises(ValueError, match="at least 5"):
            RuleSet("x", date(2021, 1, 1), five_star_notice_working_days=3)

    def test_the_description_lists_every_version_with_iso_dates(self) -> None:
        described = RuleBook((OLD, NEW)).describe()
        assert [d["version"] for d in described] == ["beijing-2021", "beijing-2027"]
        assert described[1]["effective_from"] == "2027-01-01"
        assert described[1]["credit_minutes_per_service_hour"] == 90


class TestCredits:
    @pytest.mark.parametrize(("rate", "minutes", "credits"), [(60, 60, 60), (60, 95, 95), (90, 60, 90), (90, 1, 1), (30, 1, 0)])
    def test_credits_are_minutes_times_the_hourly_rate_rounded_down(self, rate: int, minutes: int, credits: int) -> None:
        assert RuleSet("v", date(2021, 1, 1), credit_minutes_per_service_hour=rate).credits_for(minutes) == credits


class TestFromFile:
    def test_a_rule_file_loads_its_versions_and_defaults_missing_fields(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.json"
        path.write_text(json.dumps([
            {"version": "a", "effective_from": "2021-03-01"},
            {"version": "b", "effective_from": "2027-01-01", "credit_minutes_per_service_hour": 120},
        ]), encoding="utf-8")
        book = RuleBook.from_file(path)
        assert book.in_force(date(2026, 1, 1)) == RuleSet("a", date(2021, 3, 1))
        assert book.in_force(date(2027, 1, 1)).credits_for(30) == 60

    def test_a_rule_file_with_an_unknown_field_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "rules.json"
        path.write_text(json.dumps([{"version": "a", "effective_from": "2021-03-01", "credit_per_hour": 2}]))
        with pytest.raises(ValueError, match="credit_per_hour"):
            RuleBook.from_file(path)


class TestWorkingDays:
    calendar = WeekdayCalendar()

    def test_monday_to_friday_are_working_days(self) -> None:
        week = [date(2026, 11, 16 + i) for i in range(7)]  # Monday 16th to Sunday 22nd
        assert [self.calendar.is_working_day(d) for d in week] == [True] * 5 + [False] * 2

    @pytest.mark.parametrize(
        ("start", "count", "expected"),
        [
            (date(2026, 11, 18), 0, date(2026, 11, 18)),  # Wednesday, nothing to add
            (date(2026, 11, 18), 1, date(2026, 11, 19)),
            (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday -> Monday
            (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday -> Monday: the start never counts
            (date(2026, 11, 18), 10, date(2026, 12, 2)),  # two calendar weeks
        ],
    )
    def test_adding_working_days_skips_weekends(self, start: date, count: int, expected: date) -> None:
        assert add_working_days(self.calendar, start, count) == expected

    def test_adding_working_days_follows_the_injected_calendar(self) -> None:
        class OnlyMondays:
            def is_working_day(self, day: date) -> bool:
                return day.weekday() == 0

        assert add_working_days(OnlyMondays(), date(2026, 11, 18), 2) == date(2026, 11, 30)
