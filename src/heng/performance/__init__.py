"""Indicators, frameworks and assessment schemes with scoped and seasonal overrides (B1–B4).

The scoring itself is done by the pure engine ``heng.engine``; this app holds the policy
(what is scored, with which weights, for whom, when) and turns it into the engine's frames.
"""
