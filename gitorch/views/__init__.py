"""Views: pure functions of events (fold into run state, dashboard, report, progress).

Views know the event union (gitorch/events.py) and the plan model, never the engine.
"""
