# The two commands of the README. Both set everything up first (idempotent).
.PHONY: demo test setup lint

setup:
	@scripts/setup.sh

demo: setup
	@scripts/in_env.sh lcc-plus demo

test: setup
	@LCC_REQUIRE_ROS=1 scripts/in_env.sh python -m pytest

lint: setup
	@scripts/in_env.sh ruff check .
