"""Créneau's own checks, run by Schemathesis beside its built-in ones
(loaded through SCHEMATHESIS_HOOKS by scripts/api-fuzz)."""

import os

import schemathesis

# A resident's name and phone booked before the run, in the forms an
# answer could show them: no answer to a caller without staff credentials
# may hold any of them.
SECRETS = [s for s in os.environ.get("CRENEAU_FUZZ_SECRETS", "").split("|") if s]


@schemathesis.check
def no_resident_data_for_strangers(ctx, response, case):
    """An answer to a caller without staff credentials holds no resident's data."""
    if not SECRETS:
        return None
    body = response.text or ""
    for secret in SECRETS:
        if secret in body:
            raise AssertionError(
                f"the answer to {case.method} {case.path} holds a resident's data ({secret!r})"
            )
    return None
