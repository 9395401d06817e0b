"""The browse filter: what a supervisor may narrow all customers by."""
import contextlib

import psycopg2.errors
import pytest

from services.common.errors import InvalidArgument
from services.customer.domain.browse import BrowseFilter, browse_filter
from services.customer.handlers import CustomerHandlers


def test_empty_strings_mean_any():
    assert browse_filter() == BrowseFilter()
    assert browse_filter().given() == {}


def test_given_filters_are_kept_by_name():
    f = browse_filter(station_code="ST01", status="active", tier="VIP", origin="bss")
    assert f.given() == {"station_code": "ST01", "status": "active", "tier": "VIP", "origin": "bss"}


@pytest.mark.parametrize("kwargs, message", [
    ({"tier": "gold"}, "tier"), ({"status": "gone"}, "status"), ({"origin": "crm"}, "origin"),
    ({"station_code": "ST 01"}, "station"), ({"station_code": "S" * 17}, "station"),
    ({"station_code": "站01"}, "station"), ({"station_code": "ST01'--"}, "station"),
])
def test_bad_filters_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        browse_filter(**kwargs)


class _CanceledDb:
    """A database whose every statement runs past its timeout."""

    @contextlib.contextmanager
    def transaction(self):
        raise psycopg2.errors.QueryCanceled("canceling statement due to statement timeout")
        yield


def test_the_handler_refuses_a_bad_filter_before_any_query():
    with pytest.raises(InvalidArgument) as err:
        CustomerHandlers(db=None, cms=None, sms=None).browse(tier="gold")
    assert err.value.reason == "invalid-filter"


def test_a_browse_that_runs_out_of_time_is_a_clear_refusal():
    with pytest.raises(InvalidArgument) as err:
        CustomerHandlers(db=_CanceledDb(), cms=None, sms=None).browse(origin="bss")
    assert err.value.reason == "browse-too-slow" and "search" in str(err.value)
