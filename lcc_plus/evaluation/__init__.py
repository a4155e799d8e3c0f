"""Closed-loop evaluation: reference drivers, runner, KPIs, reports (`lcc-plus eval`)."""
