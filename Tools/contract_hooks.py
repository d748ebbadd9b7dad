"""Schemathesis hooks of Tools/contract-test (loaded through SCHEMATHESIS_HOOKS).

An object's archive (PUT /v1/objects/{type}/{id}/archive) is JSON Lines, application/x-ndjson,
which schemathesis has no serializer for: its generated strings are sent as they are, as text."""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
