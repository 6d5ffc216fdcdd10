"""Every external rail's adapter setting: the sandbox class (AUTOFIN_SANDBOX=1: `make run`, the
tests, the demo) and the production one (signed JSON over HTTP, docs/integrations.md). One table
read by the settings (each is overridable from the environment under its own name) and by the
deploy checks (autofin/checks.py refuses a sandbox class in production)."""

ADAPTERS = {
    "SERVICING_PAYMENT_PROVIDER": (
        "servicing.adapters.SandboxPaymentProvider",
        "servicing.adapters.HttpPaymentProvider",
    ),
    "PAYMENT_GATEWAY": (
        "servicing.gateway.sandbox_bank.SandboxBank",
        "servicing.gateway.http_bank.HttpBankGateway",
    ),
    "SERVICING_AUTO_DEBIT_BANK": (
        "servicing.adapters.SandboxBank",
        "servicing.adapters.HttpAutoDebitBank",
    ),
    "RISK_BUREAU_ADAPTER": ("risk.adapters.SandboxBureau", "risk.adapters.HttpBureau"),
    "RISK_VERIFICATION_ADAPTER": (
        "risk.adapters.SandboxVerification",
        "risk.adapters.HttpVerification",
    ),
    "RISK_PHONE_ADAPTER": ("risk.adapters.SandboxPhone", "risk.adapters.HttpPhone"),
    "RISK_VALUATION_ADAPTER": ("risk.adapters.SandboxValuation", "risk.adapters.HttpValuation"),
    "RISK_INCOME_ADAPTER": ("risk.adapters.SandboxIncome", "risk.adapters.HttpIncome"),
    "SMS_BACKEND": (
        "autofin.notifications.SandboxSmsGateway",
        "autofin.notifications.HttpSmsGateway",
    ),
    "EMAIL_BACKEND": (
        "autofin.notifications.SandboxEmailBackend",
        "autofin.notifications.HttpEmailBackend",
    ),
    "ESIGN_ADAPTER": ("origination.esign.SandboxESign", "origination.esign.HttpESign"),
    "SERVICING_CREDIT_REPORTING_ADAPTER": (
        "servicing.services.credit_reporting.adapters.SandboxCreditCenter",
        "servicing.services.credit_reporting.adapters.HttpCreditReporting",
    ),
    "SERVICING_OEM_CLAIMS": (
        "servicing.partner_adapters.SandboxOemClaims",
        "servicing.partner_adapters.HttpOemClaims",
    ),
    "SERVICING_INVOICING": (
        "servicing.partner_adapters.SandboxInvoicing",
        "servicing.partner_adapters.HttpInvoicing",
    ),
    "ORIGINATION_BANK_CARD_ADAPTER": (
        "origination.bank_cards.SandboxBankCardVerification",
        "origination.bank_cards.HttpBankCardVerification",
    ),
    # --- insurance: renewal quotes, binding, commission statements (docs/insurance.md)
    "SERVICING_INSURERS": (
        "servicing.insurer_adapters.SandboxInsurers",
        "servicing.insurer_adapters.HttpInsurers",
    ),
}
