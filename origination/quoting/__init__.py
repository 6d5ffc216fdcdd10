"""Quote evaluation: a product version's rules + a deal -> schedule, APR, fees and violations.

Pure Python: imports only ``autofin.pricing`` and the standard library, so the risk app's
counter-offer logic and tests can use the very same rules without a database.

    evaluation = quote_evaluate(rules, deal, caps=RegulatoryCaps())    # evaluation.py
    schedule, apr, fees, violations = evaluation   # the four headline results
    evaluation.amount_financed, evaluation.customer_rate, ...  # every other figure

- ``vocabulary``: the kinds a rule or a deal names, and their labels (msgids);
- ``rules``: a published ``ProductVersion.rules`` snapshot, parsed (``ProductRules``);
- ``caps``: the regulatory caps every quote and every published version is held to;
- ``deal``: what the customer asks for (``Deal``) and every figure of its quote
  (``QuoteEvaluation``);
- ``checks``: the figures a deal implies and the rules it must keep, one named check each;
- ``evaluation``: ``quote_evaluate`` runs those checks and, when none fails, prices the deal;
- ``validation``: ``rules_validate``, what publishing a version checks, one named check each;
- ``violations`` and ``figures``: a broken rule, and how the figures in its message read.

Messages are Chinese msgids (marked with ``gettext_noop`` so ``makemessages`` finds them) with
named ``%(...)s`` parameters that already carry the figures; the Django layer translates the
template and interpolates the parameters (``Violation.render``).

Definitions (glossary): LTV is the car's part of the amount financed ÷ the car price; the amount
financed is car price − down payment + financed add-ons + financed fees. Percentage fees are a
percentage of the car's part plus the financed add-ons.
"""
