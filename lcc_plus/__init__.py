"""lcc_plus: navigation-free assisted-driving planner service."""

# The generated message module (lcc_plus.msg) lives in the colcon install, while the
# hand-written code may be imported from the source tree or a pip install. Extending
# the package path lets `lcc_plus.msg` resolve from whichever lcc_plus comes first.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

__version__ = "0.1.0"
