"""`lcc-plus` command: one entry point, one module per subcommand.

Subcommands are imported only when used, so `lcc-plus eval` works from a plain
pip install while the ROS ones (`up`, `demo`, `record`, `play`) need the colcon
workspace.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module with `add_arguments(parser)` and `run(args) -> int`, help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("lcc_plus.launcher.demo", "run the full node graph on the built-in simulator"),
    "up": ("lcc_plus.launcher.up", "start the node graph as processes over DDS (like ros2 launch)"),
    "eval": ("lcc_plus.evaluation.cli", "evaluate a driver on scenarios, write reports"),
    "pool": ("lcc_plus.evaluation.pool", "pool evaluation reports on disjoint seeds, with exact intervals"),
    "record": ("lcc_plus.bags.record", "record topics into a rosbag2 (MCAP or sqlite3)"),
    "play": ("lcc_plus.bags.play", "play a rosbag2 with its original timing"),
    "replay": ("lcc_plus.bags.replay", "process replay: run a bag through the stack and diff"),
    "datagen": ("lcc_plus.vla.datagen", "generate VLA training data from the simulator"),
    "train": ("lcc_plus.vla.train", "train the VLA model and export ONNX (needs the train extra)"),
    "select": ("lcc_plus.vla.select", "choose between trained models by closed-loop driving on validation seeds"),
    "model-card": ("lcc_plus.vla.model_card", "rewrite docs/model_card.md with the closed-loop KPIs of the model"),
}


def _load(name: str):
    module_name, _ = SUBCOMMANDS[name]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        missing = err.name or "?"
        if missing.startswith(("rclpy", "lcc_plus.msg")) or missing.endswith("_msgs"):
            raise SystemExit(
                f"lcc-plus {name}: needs the ROS 2 workspace ({missing} not importable). "
                "Run scripts/setup.sh, then `source scripts/env.sh`."
            ) from err
        raise SystemExit(f"lcc-plus {name}: missing module {missing}: {err}") from err


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="lcc-plus", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    name = argv[0]
    if name not in SUBCOMMANDS:
        parser.error(f"unknown command {name!r}")
    module = _load(name)
    sub_parser = argparse.ArgumentParser(prog=f"lcc-plus {name}", description=SUBCOMMANDS[name][1])
    module.add_arguments(sub_parser)
    return int(module.run(sub_parser.parse_args(argv[1:])) or 0)


if __name__ == "__main__":
    sys.exit(main())
