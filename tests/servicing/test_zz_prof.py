import cProfile, pstats, datetime as dt, pytest
from tests.servicing.test_eod_agreement import _book, _pay_if_due, START
from tests.servicing.eod_helpers import days
from tests.servicing.loan_helpers import set_day
from servicing.eod.runner import batch_run_sync
pytestmark = pytest.mark.django_db

def test_prof(settings):
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2
    ids, payments = _book()
    set_day(START)
    pr = cProfile.Profile(); pr.enable()
    for day in days(START, START + dt.timedelta(days=10)):
        _pay_if_due(day, payments)
        batch_run_sync(business_date=day)
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(35)
