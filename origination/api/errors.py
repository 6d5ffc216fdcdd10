"""DRF's validation errors in the one shape every origination endpoint answers with."""

from __future__ import annotations


def errors_flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as one level with dotted names: {"vehicle.price": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in errors_flatten(value, name).items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and errors and all(isinstance(e, (dict, list)) for e in errors):
        for index, value in enumerate(errors):
            if value:
                for k, v in errors_flatten(value, f"{prefix}.{index}").items():
                    flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list):
        flat[prefix or "non_field_errors"] = [str(e) for e in errors]
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat
