"""The HTTP edge both faces stand on: who is calling, the per-request rules (body limits and deadlines,
rate limits, security headers, the request log), problem answers, and the process's edge state.

``reelq/api/`` (the JSON API) and ``reelq/web/`` (the console) are route sets side by side on it.
"""
