"""The browse filter: what a supervisor may narrow all customers by."""
import pytest

from services.customer.domain.browse import BrowseFilter, browse_filter


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
