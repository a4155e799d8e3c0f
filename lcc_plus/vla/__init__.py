"""The VLA driving model: preprocessing, text intent, ONNX runtime, output decoding, data, training."""
