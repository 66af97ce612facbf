"""A pure, sans-IO TCP simulator: RFC 9293 state machine, RFC 6298 timers, loss.

No sockets, no clock, no printing: time is passed in (whole microseconds) and every
random choice comes from a seeded random.Random.
"""
