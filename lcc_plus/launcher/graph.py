"""The lcc_plus node graph as data: which executables, with which remaps and parameters.

launch/lcc_plus.launch.py, launch/sim.launch.py and `lcc-plus up` / `lcc-plus demo`
all build their processes from `graph(options)`, so the three start the same graph.
Defaults come from config/*.yaml (read by each node); a user parameter file is laid
over them, and the few launch arguments (model path, use_sim_time, simulator
settings) become parameter overrides. Topic defaults are in lcc_plus/nodes/topics.py;
only the camera topics are remapped here, on every node that reads the camera.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lcc_plus.nodes.topics import STACK_NODES

EXECUTABLES = {"vla_node": "vla_node", "mode_manager": "mode_manager_node", "controller": "controller_node",
               "safety_monitor": "safety_monitor_node", "sim": "sim_node", "twist_adapter": "twist_adapter_node",
               "ackermann_adapter": "ackermann_adapter_node"}
COMPOSED_EXECUTABLE = "lcc_plus_composed"
# node -> (private topic, GraphOptions attribute naming the camera topic)
CAMERA_REMAPS = {
    "vla_node": (("~/input/image", "camera_topic"), ("~/input/image_compressed", "compressed_topic"),
                 ("~/input/camera_info", "camera_info_topic")),
    "safety_monitor": (("~/input/image", "camera_topic"),),
}
SIM_OVERRIDES = ("scenario", "seed", "duration_s", "rate_factor", "report_dir")
# Where the stack's VlaAction comes from: the model on the camera, or (with the simulator
# only) the simulator's ground truth in place of the model, to test the rest of the graph.
PERCEPTION_SOURCES = ("model", "ground_truth")


@dataclass
class GraphOptions:
    camera_topic: str = "camera/image_raw"
    compressed_topic: str = "camera/image_raw/compressed"
    camera_info_topic: str = "camera/camera_info"
    model_path: str = ""
    params_file: str = ""
    namespace: str = ""
    use_sim_time: bool = False
    composed: bool = False
    twist_adapter: bool = False
    ackermann_adapter: bool = False
    sim: bool = False
    sim_overrides: dict[str, Any] = field(default_factory=dict)  # SIM_OVERRIDES -> value
    perception: str = "model"  # one of PERCEPTION_SOURCES

    def __post_init__(self):
        if self.perception not in PERCEPTION_SOURCES:
            raise ValueError(f"perception must be one of {', '.join(PERCEPTION_SOURCES)}, not {self.perception!r}")
        if self.perception == "ground_truth" and not self.sim:
            raise ValueError("perception 'ground_truth' needs the simulator (sim=True)")


@dataclass
class ProcessSpec:
    """One process: an lcc_plus executable with its ROS arguments."""

    label: str
    executable: str
    node_name: str | None  # None for the composed process (it holds several)
    arguments: list[str]
    remaps: list[tuple[str, str]]
    parameters: dict[str, Any]
    params_files: list[str]


def _stack_names(o: GraphOptions) -> list[str]:
    stack = [n for n in STACK_NODES if not (n == "vla_node" and o.perception == "ground_truth")]
    return [*stack, *(n for n in ("twist_adapter", "ackermann_adapter") if getattr(o, n))]


def _camera_remaps(o: GraphOptions, name: str, prefix: str = "") -> list[tuple[str, str]]:
    return [(f"{prefix}{private}", getattr(o, attr)) for private, attr in CAMERA_REMAPS.get(name, ())]


def _stack_parameters(o: GraphOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"use_sim_time": o.use_sim_time or o.sim}
    if o.model_path:
        out["model_path"] = o.model_path
    return out


def graph(o: GraphOptions) -> list[ProcessSpec]:
    """The processes of the stack (and the simulator with `o.sim`), in start order."""
    files = [o.params_file] if o.params_file else []
    names = _stack_names(o)
    if o.composed:
        procs = [ProcessSpec("composed", COMPOSED_EXECUTABLE, None, ["--nodes", ",".join(names)],
                             [r for n in names for r in _camera_remaps(o, n, prefix=f"{n}:")],
                             _stack_parameters(o), files)]
    else:
        procs = [ProcessSpec(n, EXECUTABLES[n], n, [], _camera_remaps(o, n),
                             {k: v for k, v in _stack_parameters(o).items() if k != "model_path" or n == "vla_node"},
                             files) for n in names]
    if o.sim:
        sim_params = {k: v for k, v in o.sim_overrides.items() if k in SIM_OVERRIDES and v not in (None, "")}
        remaps = [("~/output/ground_truth", "lcc/vla_action")] if o.perception == "ground_truth" else []
        procs.append(ProcessSpec("sim", EXECUTABLES["sim"], "sim", [], remaps, sim_params, files))
    return procs


def ros_arguments(p: ProcessSpec, namespace: str = "") -> list[str]:
    """The command-line arguments of `p` for a plain process (what `ros2 launch` would pass)."""
    args = [*p.arguments, "--ros-args"]
    if p.node_name:
        args += ["-r", f"__node:={p.node_name}"]
    if namespace:
        args += ["-r", f"__ns:={namespace if namespace.startswith('/') else '/' + namespace}"]
    for f in p.params_files:  # the user's file over config/*.yaml, explicit options over both
        args += ["--params-file", f]
    for key, value in p.parameters.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        args += ["-p", f"{key}:={text}"]
    for src, dst in p.remaps:
        args += ["-r", f"{src}:={dst}"]
    return args
