"""Abuse controls for Haven's public endpoints (signing, registering): one place for all.

- ``ratelimit``: per-IP and per-address limits; going over raises ``RateLimited``, which
  ``RateLimitMiddleware`` (pages) and the API's handler turn into a 429 with a clear message.
- ``addresses``: e-mail normalisation, so one person signs once whatever the spelling of
  their address, and the blocklist of throw-away domains.
- ``honeypot``: a form field that people never see and bots fill in.

None of these reveals whether an address is already known: callers answer the same way
for a new and a known address.
"""
