"""Day boundaries are Kyiv's, whatever the server's zone, across both DST changes."""
from datetime import date, datetime, time, timezone

from core.clock import kyiv_moment, kyiv_today


def test_a_kyiv_day_starts_at_22_utc_in_winter_and_21_in_summer():
    assert kyiv_moment(date(2026, 1, 15)) == datetime(2026, 1, 14, 22, 0, tzinfo=timezone.utc)
    assert kyiv_moment(date(2026, 7, 15)) == datetime(2026, 7, 14, 21, 0, tzinfo=timezone.utc)


def test_a_wall_clock_hour_on_the_night_the_clocks_go_forward_is_that_hour():
    assert kyiv_moment(date(2026, 3, 29), time(8)) == datetime(2026, 3, 29, 5, 0, tzinfo=timezone.utc)


def test_the_kyiv_date_changes_at_kyiv_midnight():
    assert kyiv_today(datetime(2026, 1, 14, 21, 59, tzinfo=timezone.utc)) == date(2026, 1, 14)
    assert kyiv_today(datetime(2026, 1, 14, 22, 0, tzinfo=timezone.utc)) == date(2026, 1, 15)
