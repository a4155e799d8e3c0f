"""Mode manager, lane geometry, lane changes without a route, gap acceptance, speed policy."""
