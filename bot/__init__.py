"""launchbrief's Slack front: Bolt listeners, Block Kit rendering, scheduler wiring, runners.

Listeners stay thin: parse the request, call :mod:`briefings`, render Block Kit.
"""
