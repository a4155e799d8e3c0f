"""How one drive looks: lighting, sensor and lens effects, occlusion, wear (domain randomization).

`Appearance()` is the neutral look: no perturbation on top of the renderer's palette
(config/camera.yaml, section `camera_renderer`). `Appearance.randomized(rng)` draws a
look from the ranges of section `camera_randomization`; equal generators give equal looks.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from lcc_plus.common import params


@dataclass(frozen=True)
class RandomizationParams:
    """Ranges (low, high) and probabilities of the domain randomization."""

    brightness_range: tuple[float, ...] = params.spec("exposure gain range", min=0.1, max=3.0)
    contrast_range: tuple[float, ...] = params.spec("contrast factor range about mid-grey", min=0.1, max=3.0)
    temperature_range: tuple[float, ...] = params.spec(
        "colour temperature shift range: +t raises red and lowers blue gain by t", min=-0.5, max=0.5)
    asphalt_offset_range: tuple[float, ...] = params.spec("asphalt grey-level shift range", unit="grey levels",
                                                          min=-100.0, max=100.0)
    vegetation_offset_range: tuple[float, ...] = params.spec("grass/hill grey-level shift range",
                                                             unit="grey levels", min=-100.0, max=100.0)
    marking_wear_range: tuple[float, ...] = params.spec("extra wear on every marking", min=0.0, max=1.0)
    haze_range: tuple[float, ...] = params.spec("extra haze (0 clear .. 1 thick)", min=0.0, max=1.0)
    noise_sigma_range: tuple[float, ...] = params.spec("sensor noise standard deviation range",
                                                       unit="grey levels", min=0.0, max=40.0)
    motion_blur_probability: float = params.spec("chance of a motion-blurred drive", min=0.0, max=1.0)
    motion_blur_px_range: tuple[float, ...] = params.spec("motion blur length range", unit="px",
                                                          min=0.0, max=50.0)
    defocus_probability: float = params.spec("chance of a defocused drive", min=0.0, max=1.0)
    defocus_sigma_range: tuple[float, ...] = params.spec("defocus Gaussian sigma range", unit="px",
                                                         min=0.0, max=10.0)
    shadow_probability: float = params.spec("chance of tree shadows on the road", min=0.0, max=1.0)
    shadow_density_range: tuple[float, ...] = params.spec("tree-shadow blobs per shadow cell", min=0.0, max=2.0)
    shadow_strength_range: tuple[float, ...] = params.spec("fraction of light a shadow removes",
                                                           min=0.0, max=0.95)
    occlusion_probability: float = params.spec("chance of dirt patches on the windshield", min=0.0, max=1.0)
    occlusion_max_patches: int = params.spec("most dirt patches", min=1, max=20)
    occlusion_radius_range: tuple[float, ...] = params.spec("dirt patch radius range, fraction of image width",
                                                            min=0.0, max=0.5)
    wiper_probability: float = params.spec("chance that the wipers run during the drive", min=0.0, max=1.0)
    wiper_frame_probability: float = params.spec("with wipers running, chance a frame shows the blade",
                                                 min=0.0, max=1.0)

    def validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_range") and (len(value) != 2 or value[0] > value[1]):
                raise ValueError(f"{f.name} must be [low, high] with low <= high, got {list(value)}")


@lru_cache(maxsize=4)
def load_randomization(file_name: str = "camera.yaml") -> RandomizationParams:
    return params.load(RandomizationParams, file_name, "camera_randomization")


@dataclass(frozen=True)
class DirtPatch:
    """An opaque blob on the windshield; positions and radii are fractions of the image width/height."""

    u: float
    v: float
    radius_u: float
    radius_v: float
    angle_deg: float
    grey: int


@dataclass
class Appearance:
    """Perturbations applied on top of the renderer palette; the defaults change nothing."""

    brightness: float = 1.0          # exposure gain
    contrast: float = 1.0            # factor about mid-grey
    temperature: float = 0.0         # + warmer (more red, less blue)
    asphalt_offset: float = 0.0      # grey levels added to the asphalt colour
    vegetation_offset: float = 0.0   # grey levels added to grass and hills
    marking_wear: float = 0.0        # added to every boundary's wear, 0..1
    haze: float = 0.0                # extra aerial haze, 0..1
    noise_sigma: float = 0.0         # sensor noise std, grey levels
    motion_blur_px: float = 0.0      # motion blur kernel length, px
    motion_blur_angle_rad: float = 0.0
    defocus_sigma_px: float = 0.0
    shadow_density: float = 0.0      # tree-shadow blobs per cell (world-fixed, see RenderParams)
    shadow_strength: float = 0.0     # fraction of light removed in a shadow
    shadow_seed: int = 0
    dirt: tuple[DirtPatch, ...] = ()
    wiper_frame_probability: float = 0.0

    @classmethod
    def randomized(cls, rng: np.random.Generator, ranges: RandomizationParams | None = None) -> Appearance:
        """A random look drawn from the configured ranges (deterministic for a given generator state)."""
        r = ranges or load_randomization()

        def u(pair: tuple[float, ...]) -> float:
            return float(rng.uniform(pair[0], pair[1]))

        look = dict(brightness=u(r.brightness_range), contrast=u(r.contrast_range),
                    temperature=u(r.temperature_range), asphalt_offset=u(r.asphalt_offset_range),
                    vegetation_offset=u(r.vegetation_offset_range), marking_wear=u(r.marking_wear_range),
                    haze=u(r.haze_range), noise_sigma=u(r.noise_sigma_range))
        # Draw every value unconditionally so that the stream stays aligned whatever the coin flips say.
        blur_on, defocus_on, shadow_on, dirt_on, wiper_on = rng.uniform(size=5) < (
            r.motion_blur_probability, r.defocus_probability, r.shadow_probability,
            r.occlusion_probability, r.wiper_probability)
        blur_px, blur_angle = u(r.motion_blur_px_range), float(rng.uniform(0.0, np.pi))
        defocus, density, strength = u(r.defocus_sigma_range), u(r.shadow_density_range), u(r.shadow_strength_range)
        seed = int(rng.integers(0, 2**31 - 1))
        n_dirt = int(rng.integers(1, r.occlusion_max_patches + 1))
        patches = tuple(DirtPatch(u=float(rng.uniform(0.0, 1.0)), v=float(rng.uniform(0.0, 1.0)),
                                  radius_u=u(r.occlusion_radius_range),
                                  radius_v=u(r.occlusion_radius_range) * 4.0 / 3.0,
                                  angle_deg=float(rng.uniform(0.0, 180.0)), grey=int(rng.integers(20, 90)))
                        for _ in range(n_dirt))
        return cls(**look,
                   motion_blur_px=blur_px if blur_on else 0.0, motion_blur_angle_rad=blur_angle,
                   defocus_sigma_px=defocus if defocus_on else 0.0,
                   shadow_density=density if shadow_on else 0.0, shadow_strength=strength, shadow_seed=seed,
                   dirt=patches if dirt_on else (),
                   wiper_frame_probability=r.wiper_frame_probability if wiper_on else 0.0)
