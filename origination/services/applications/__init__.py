"""Application intake, one module per use case: start a draft (``start``), its steps
(``applicants``, ``items``; step 1's checks and live quote in ``vehicle``), consents
(``consents``) and the dealer channel's SMS confirmation (``confirmation``), submission
(``submission``), withdrawal (``withdrawal``) and applying a risk decision (``decision``).

Every step validates everything first and raises ``ApplicationValidationError`` (``errors``)
with field-level messages (Chinese msgids) before writing anything, so a rejected step changes
nothing. Writes run in ``transaction.atomic()`` under a row lock on the application.
"""
