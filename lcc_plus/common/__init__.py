"""Plain-Python building blocks shared by every core: data types, parameters, geometry."""
