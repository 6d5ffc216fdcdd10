from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("todo")


my_loans = my_loan_detail = my_loan_pay = my_loan_payoff = my_loan_prepay = _todo
my_loan_statements = my_contact = sandbox_pay = loan_search = loan_detail = _todo
loan_manual_repayment = repayment_approve = repayment_reverse = loan_restructure = _todo
loan_payoff_quote = loan_note = _todo
