"""Talking to outside parties: one signed-JSON HTTP client every production adapter uses
(`autofin.integrations.http`) and the guard that keeps sandbox adapters out of production
(`autofin.integrations.sandbox`). The wire protocol is documented in docs/integrations.md."""
