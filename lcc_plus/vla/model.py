"""The VLA network (torch): a small CNN over the camera frames + MLP heads conditioned on state.

Input "image" is uint8 (B, 3*F, H, W) exactly as the runtime feeds it; the network
scales it itself so the exported ONNX file and training share one normalisation.
Input "state" is preprocess.encode_state: ego speed, yaw rate, intent and fork
one-hots. The state enters the trunk twice (after the image features and again
before the output layer) so the intent can bend the planned path directly.
About 1M parameters at 3x96x192; BatchNorm folds into the convolutions on export.
"""
from __future__ import annotations

import torch
from torch import nn

from lcc_plus.vla.decode import OUTPUT_SIZE
from lcc_plus.vla.preprocess import STATE_SIZE

# (out channels, stride) of each 3x3 conv after the 5x5 stem
_BLOCKS = ((32, 2), (32, 1), (64, 2), (64, 1), (96, 2), (128, 2))
_STEM_CHANNELS = 24


def _conv(cin: int, cout: int, k: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class VlaNet(nn.Module):
    def __init__(self, num_frames: int, height: int, width: int, hidden: int = 256):
        super().__init__()
        layers = [_conv(3 * num_frames, _STEM_CHANNELS, 5, 2)]
        cin = _STEM_CHANNELS
        for cout, stride in _BLOCKS:
            layers.append(_conv(cin, cout, 3, stride))
            cin = cout
        self.backbone = nn.Sequential(*layers)
        with torch.no_grad():
            feat = self.backbone(torch.zeros(1, 3 * num_frames, height, width)).numel()
        self.image_fc = nn.Sequential(nn.Flatten(), nn.Linear(feat, hidden), nn.ReLU(inplace=True))
        self.state_fc = nn.Sequential(nn.Linear(STATE_SIZE, 64), nn.ReLU(inplace=True))
        self.trunk = nn.Sequential(nn.Linear(hidden + 64, hidden), nn.ReLU(inplace=True))
        self.head = nn.Linear(hidden + STATE_SIZE, OUTPUT_SIZE)

    def forward(self, image: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        x = image.float() * (1.0 / 127.5) - 1.0
        f = self.image_fc(self.backbone(x))
        h = self.trunk(torch.cat([f, self.state_fc(state)], dim=1))
        return self.head(torch.cat([h, state], dim=1))


def parameter_count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
